"""repgeo.capture: hooks give what a manual forward pass computes, and never lose a layer silently."""

from __future__ import annotations

import numpy as np
import pytest

import repgeo as rg

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from repgeo.capture import activations  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def stack():
    """Conv -> ReLU -> Conv -> ReLU -> Flatten -> Linear -> ReLU -> Linear, with a dropout that eval disables."""
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(2 * 3 * 3, 6), nn.ReLU(), nn.Linear(6, 3),
    )


class Residual(nn.Module):
    """conv-bn-relu-conv-bn plus the identity, then relu (a ResNet basic block), and a head."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3)
        self.conv2, self.bn2 = nn.Conv2d(3, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3)
        self.relu = nn.ReLU()
        self.head = nn.Linear(3 * 7 * 7, 4)

    def forward(self, x):
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return self.head(self.relu(h + x).flatten(1))


def manual_stack(net, x):
    """Every layer's output by hand, with the functional ops and the module's weights."""
    c1 = F.conv2d(x, net[0].weight, net[0].bias, padding=1)
    r1 = c1.clamp_min(0)
    c2 = F.conv2d(r1, net[2].weight, net[2].bias, stride=2)
    r2 = c2.clamp_min(0)
    flat = r2.reshape(len(x), -1)
    l1 = flat @ net[6].weight.T + net[6].bias
    r3 = l1.clamp_min(0)
    return {"0": c1, "1": r1, "2": c2, "3": r2, "6": l1, "7": r3, "8": r3 @ net[8].weight.T + net[8].bias}


def manual_residual(net, x):
    def bn(b, h):  # evaluation mode: the running statistics
        scale = b.weight / torch.sqrt(b.running_var + b.eps)
        return (h - b.running_mean[:, None, None]) * scale[:, None, None] + b.bias[:, None, None]

    h1 = bn(net.bn1, F.conv2d(x, net.conv1.weight, padding=1))
    h2 = bn(net.bn2, F.conv2d(h1.clamp_min(0), net.conv2.weight, padding=1))
    out = (h2 + x).clamp_min(0)
    return {"bn1": h1, "bn2": h2, "relu": out, "head": out.flatten(1) @ net.head.weight.T + net.head.bias}


def randomize_batchnorm(net):
    for b in (net.bn1, net.bn2):
        b.running_mean.uniform_(-1, 1)
        b.running_var.uniform_(0.5, 2)
        b.weight.data.uniform_(0.5, 1.5)
        b.bias.data.uniform_(-0.5, 0.5)


def test_equals_a_manual_forward_pass_for_a_conv_relu_linear_stack():
    net, x = stack(), torch.randn(11, 3, 8, 8)
    want = manual_stack(net, x)
    got = activations(net, x, layers=list(want), batch_size=4)
    assert list(got) == list(want)
    for name, a in want.items():
        assert got[name].shape == (11, a[0].numel())
        np.testing.assert_allclose(got[name], a.detach().reshape(11, -1).numpy(), rtol=0, atol=1e-6)
    kept = activations(net, x, layers=["2"], flatten=False)
    assert kept["2"].shape == (11, 2, 3, 3)


def test_equals_a_manual_forward_pass_for_a_residual_block():
    net = Residual()
    randomize_batchnorm(net)
    net.train()  # capture must switch to evaluation mode (running statistics), then restore this
    x = torch.randn(9, 3, 7, 7)
    want = manual_residual(net, x)
    got = activations(net, x, layers=["bn1", "bn2", "relu", "head"], batch_size=5)
    for name, a in want.items():
        np.testing.assert_allclose(got[name], a.detach().reshape(9, -1).numpy(), rtol=0, atol=1e-6)
    assert net.training and all(m.training for m in net.modules())


def test_dataloader_iterable_and_array_give_the_tensor_result():
    net, x = stack(), torch.randn(23, 3, 8, 8)
    y = torch.arange(23)
    want = activations(net, x, layers=["3", "8"])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5, shuffle=False)
    for inputs in (loader, (x[i : i + 6] for i in range(0, 23, 6)), [x[:10], x[10:]], x.numpy().astype(np.float64)):
        got = activations(net, inputs, layers=["3", "8"])
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-6)


def test_runs_without_gradients_in_eval_mode_and_restores_each_flag():
    seen = []

    class Probe(nn.Module):
        def forward(self, h):
            seen.append((torch.is_grad_enabled(), self.training))
            return h

    net = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), Probe(), nn.Dropout(0.9))
    net.train()
    net[1].eval()  # a frozen batch-norm stays frozen afterwards
    flags = [m.training for m in net.modules()]
    x = torch.randn(8, 4)
    got = activations(net, x, layers=["2", "3"])
    assert seen == [(False, False)]
    np.testing.assert_array_equal(got["3"], got["2"])  # the dropout is off
    assert [m.training for m in net.modules()] == flags
    assert not any(m._forward_hooks for m in net.modules())


def test_flags_and_hooks_are_restored_after_an_error():
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))  # the second layer cannot take the first's output
    net.train()
    with pytest.raises(RuntimeError):
        activations(net, torch.randn(4, 4), layers=["0"])
    assert all(m.training for m in net.modules()) and not any(m._forward_hooks for m in net.modules())


def test_a_missing_layer_lists_the_valid_names():
    net = stack()
    with pytest.raises(ValueError, match=r"'9' is not among the modules of the model.*valid names: '0', '1', '2'"):
        activations(net, torch.randn(2, 3, 8, 8), layers=["0", "9"])
    with pytest.raises(ValueError, match=r"did you mean 'conv1'"):
        activations(Residual(), torch.randn(2, 3, 7, 7), layers=["conv_1"])


def test_a_module_that_never_runs_or_runs_twice_raises():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused, self.shared = nn.Linear(3, 3), nn.Linear(3, 3), nn.Tanh()

        def forward(self, x):
            return self.shared(self.used(self.shared(x)))

    with pytest.raises(ValueError, match="'unused' never ran in the forward pass"):
        activations(Odd(), torch.randn(4, 3), layers=["used", "unused"])
    with pytest.raises(ValueError, match="'shared' ran 2 times in one forward pass"):
        activations(Odd(), torch.randn(4, 3), layers=["shared"])


def test_outputs_that_are_not_one_tensor_with_samples_first_raise():
    lstm = nn.Sequential(nn.LSTM(3, 4, batch_first=True))
    with pytest.raises(TypeError, match="'0' returned a tuple, not a tensor"):
        activations(lstm, torch.randn(2, 5, 3), layers=["0"])

    class Transposed(nn.Module):
        def forward(self, x):
            return x.T

    with pytest.raises(ValueError, match="first axis is not the batch of 4 samples"):
        activations(nn.Sequential(Transposed()), torch.randn(4, 3), layers=["0"])


@pytest.mark.parametrize(
    "kwargs,exc,fragment",
    [
        ({"layers": []}, TypeError, "non-empty list of strings"),
        ({"layers": ["0", "0"]}, ValueError, "names '0' more than once"),
        ({"layers": [0]}, TypeError, "list of strings"),
        ({"layers": ["0"], "batch_size": 0}, ValueError, "batch_size must be an integer >= 1; got 0"),
        ({"layers": ["0"], "on_batch": 3}, TypeError, "on_batch must be a callable"),
    ],
)
def test_bad_arguments_are_named(kwargs, exc, fragment):
    with pytest.raises(exc, match=fragment):
        activations(nn.Sequential(nn.Linear(3, 2)), torch.randn(4, 3), **kwargs)


def test_bad_models_and_inputs_are_named(tmp_path):
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got function"):
        activations(lambda x: x, torch.randn(4, 3), layers=["0"])
    with pytest.raises(ValueError, match="batch_size applies to a tensor or array input"):
        activations(net, [torch.randn(4, 3)], layers=["0"], batch_size=2)
    with pytest.raises(ValueError, match="at least one batch"):
        activations(net, [], layers=["0"])
    with pytest.raises(ValueError, match="at least one sample"):
        activations(net, torch.randn(0, 3), layers=["0"])
    with pytest.raises(TypeError, match="batch 1 of inputs must be a tensor"):
        activations(net, [torch.randn(2, 3), "text"], layers=["0"])
    with pytest.raises(TypeError, match="inputs must be a tensor, an array or an iterable"):
        activations(net, 3.0, layers=["0"])
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="out must be a directory"):
        activations(net, torch.randn(4, 3), layers=["0"], out=tmp_path / "f")


def test_streaming_to_disk_equals_memory_and_reads_back_as_memory_maps(tmp_path):
    net, x = stack(), torch.randn(17, 3, 8, 8)
    want = activations(net, x, layers=["1", "8"], batch_size=5)  # the same batches: bit for bit
    # a generator has no length: the file's length is written when the stream ends
    got = activations(net, (x[i : i + 5] for i in range(0, 17, 5)), layers=["1", "8"], out=tmp_path / "acts")
    for name in want:
        assert isinstance(got[name], np.memmap) and not got[name].flags.writeable
        np.testing.assert_array_equal(got[name], want[name])
        np.testing.assert_array_equal(np.load(tmp_path / "acts" / f"{name}.npy"), want[name])
    kept = activations(net, x, layers=["2"], out=tmp_path / "shaped", flatten=False, batch_size=8)
    assert kept["2"].shape == (17, 2, 3, 3)


def test_streaming_to_zarr_equals_memory_and_feeds_pairwise(tmp_path):
    zarr = pytest.importorskip("zarr")
    import repgeo as rg

    net, x = stack(), torch.randn(17, 3, 8, 8)
    want = activations(net, x, layers=["1", "8"], batch_size=5)
    got = activations(net, (x[i : i + 5] for i in range(0, 17, 5)), layers=["1", "8"], out=tmp_path / "acts.zarr")
    for name in want:
        assert isinstance(got[name], zarr.Array) and got[name].chunks[0] == 5
        np.testing.assert_array_equal(np.asarray(got[name]), want[name])
    # the store is a zarr group that pairwise reads lazily, one array per layer
    lazy = rg.pairwise(tmp_path / "acts.zarr", rg.LinearCKA())
    eager = rg.pairwise([want["1"], want["8"]], rg.LinearCKA())
    np.testing.assert_allclose(lazy, eager, rtol=0, atol=1e-12)
    kept = activations(net, x, layers=["2"], out=tmp_path / "shaped.zarr", flatten=False, batch_size=8)
    assert kept["2"].shape == (17, 2, 3, 3)
    with pytest.raises(ValueError, match="new or empty zarr store"):  # never overwrites what a run wrote
        activations(net, x, layers=["2"], out=tmp_path / "shaped.zarr")
    np.testing.assert_array_equal(np.asarray(zarr.open_group(str(tmp_path / "shaped.zarr"), mode="r")["2"]).shape, (17, 2, 3, 3))


class CKAAccumulator:
    """Streaming biased linear CKA from sums (a test double with the update/value protocol)."""

    def __init__(self):
        self.n = 0

    def update(self, X, Y):
        X, Y = np.asarray(X, float), np.asarray(Y, float)
        if self.n == 0:
            self.sx, self.sy = np.zeros(X.shape[1]), np.zeros(Y.shape[1])
            self.xx, self.yy, self.xy = (np.zeros((a.shape[1], b.shape[1])) for a, b in ((X, X), (Y, Y), (X, Y)))
        self.n += len(X)
        self.sx += X.sum(0)
        self.sy += Y.sum(0)
        self.xx += X.T @ X
        self.yy += Y.T @ Y
        self.xy += X.T @ Y

    def value(self):
        def centred(m, a, b):
            return m - np.outer(a, b) / self.n

        xy, xx, yy = centred(self.xy, self.sx, self.sy), centred(self.xx, self.sx, self.sx), centred(self.yy, self.sy, self.sy)
        return float((xy**2).sum() / np.sqrt((xx**2).sum() * (yy**2).sum()))


def test_an_accumulator_sees_every_batch_and_matches_the_whole_data_measure():
    net, x = stack(), torch.randn(40, 3, 8, 8)
    acc, again = CKAAccumulator(), CKAAccumulator()
    whole = activations(net, x, layers=["3", "7"], batch_size=9, on_batch=acc)
    assert acc.n == 40
    assert activations(net, x, layers=["3", "7"], batch_size=9, on_batch=again, keep=False) == {}
    assert again.value() == acc.value()
    assert acc.value() == pytest.approx(rg.LinearCKA()(whole["3"], whole["7"]), rel=1e-10)
    sizes = []
    activations(net, x, layers=["7"], batch_size=16, on_batch=lambda batch: sizes.append(batch["7"].shape))
    assert sizes == [(16, 6), (16, 6), (8, 6)]


def test_two_models_run_in_step_on_the_same_batches():
    a, b = stack(), stack()
    x = torch.randn(12, 3, 8, 8)
    acc = CKAAccumulator()
    both = activations({"a": a, "b": b}, x, layers=["a:7", "b:7"], batch_size=5, on_batch=acc)
    np.testing.assert_array_equal(both["a:7"], activations(a, x, layers=["7"], batch_size=5)["7"])
    np.testing.assert_array_equal(both["b:7"], activations(b, x, layers=["7"], batch_size=5)["7"])
    assert acc.value() == pytest.approx(rg.LinearCKA()(both["a:7"], both["b:7"]), rel=1e-10)
    with pytest.raises(ValueError, match="'c:7' is not among the modules of the models"):
        activations({"a": a, "b": b}, x, layers=["c:7"])


def test_no_progress_output_unless_asked(capsys):
    activations(stack(), torch.randn(4, 3, 8, 8), layers=["0"], batch_size=2)
    assert capsys.readouterr().err == ""
    activations(stack(), torch.randn(4, 3, 8, 8), layers=["0"], batch_size=2, progress=True)
    assert "2/2" in capsys.readouterr().err


def test_the_library_streaming_accumulators_plug_in():
    """StreamingLinearCKA takes update(X_batch, Y_batch); the many-model StreamingCKAMatrix takes the
    batch dict through its bound update method."""
    from repgeo.measures.streaming import StreamingCKAMatrix

    net, x = stack(), torch.randn(30, 3, 8, 8)
    pair, matrix = rg.StreamingLinearCKA(), StreamingCKAMatrix()
    acts = activations(net, x, layers=["3", "7"], batch_size=8, on_batch=pair)
    assert pair.value() == pytest.approx(rg.LinearCKA()(acts["3"], acts["7"]), rel=1e-10)
    acts = activations(net, x, layers=["1", "3", "7"], batch_size=8, on_batch=matrix.update)
    want = rg.pairwise(acts, rg.LinearCKA())
    np.testing.assert_allclose(matrix.value(), want, rtol=1e-10, atol=1e-12)
