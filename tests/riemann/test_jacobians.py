"""Torch Jacobians and the end-to-end helper (torch tests skip when torch is absent)."""

import subprocess
import sys

import numpy as np
import pytest

import repgeo as rg
from repgeo import riemann as rr


def test_import_does_not_import_torch():
    code = "import sys, repgeo, repgeo.riemann; rg = repgeo; rg.MSA(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_compare_models_on_sampled_data():
    rng = np.random.default_rng(0)
    U = rng.uniform(-1, 1, (400, 2))
    A = rng.standard_normal((5, 2))
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    X1 = np.tanh(U @ A.T)
    res = rr.compare_models((U, X1), (U, 3 * X1 @ Q.T + 1), U[:50])
    assert res.per_point.shape == (50,) and res.mean < 1e-10
    # trajectories, per step: (n_samples, n_time, n)
    traj = np.stack([X1, 2 * X1], axis=1)
    res_t = rr.compare_models((U, traj), (U, traj[:, :, ::-1]), time="per_step")
    assert res_t.per_point.shape == (400, 2) and res_t.mean < 1e-10
    w = np.r_[np.ones(200), np.zeros(200)]  # one weight per point, shared by the time steps
    res_w = rr.compare_models((U, traj), (U, traj + U[:, None, :1] ** 2), time="per_step", weights=w)
    assert res_w.weights.shape == (400, 2) and np.all(res_w.weights[200:] == 0)
    assert res_w.mean == pytest.approx(np.mean(res_w.per_point[:200]), rel=1e-12)
    with pytest.raises(ValueError, match="time='joint' needs callable models"):
        rr.compare_models((U, traj), (U, traj))
    with pytest.raises(TypeError, match="pair \\(U, X\\)"):
        rr.compare_models(U, (U, X1))




def _torch():
    return pytest.importorskip("torch")


def test_jacobians_forward_and_reverse_match_analytic():
    torch = _torch()
    W = torch.tensor([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]], dtype=torch.float64)
    f = lambda u: torch.tanh(W @ u)  # noqa: E731
    U = np.random.default_rng(1).uniform(-1, 1, (20, 2))
    Wn = W.numpy()
    expected = (1 - np.tanh(U @ Wn.T) ** 2)[:, :, None] * Wn[None]
    for mode in ("auto", "forward", "reverse"):
        np.testing.assert_allclose(rr.jacobians(f, U, mode=mode), expected, atol=1e-12)
    np.testing.assert_allclose(rr.jacobians(f, U, chunk_size=7), expected, atol=1e-12)
    with pytest.raises(ValueError, match="mode must be one of"):
        rr.jacobians(f, U, mode="central")


def _rnn(W, B, n_steps):
    torch = _torch()

    def f(u):
        h = torch.tanh(B @ u)
        states = [h]
        for _ in range(n_steps - 1):
            h = torch.tanh(W @ h)
            states.append(h)
        return torch.stack(states)  # (n_time, n)

    return f


def test_rnn_vs_signed_permuted_rnn_time_field():
    torch = _torch()
    g = torch.Generator().manual_seed(0)
    n, steps = 24, 6
    W = 1.2 * torch.randn(n, n, generator=g, dtype=torch.float64) / n**0.5
    B = torch.randn(n, 2, generator=g, dtype=torch.float64)
    P = torch.eye(n, dtype=torch.float64)[torch.randperm(n, generator=g)]
    P = P * torch.where(torch.rand(n, 1, generator=g) < 0.5, -1.0, 1.0).double()
    U = np.random.default_rng(2).uniform(-1, 1, (30, 2))
    f1, f2 = _rnn(W, B, steps), _rnn(P @ W @ P.T, P @ B, steps)
    joint = rr.compare_models(f1, f2, U)
    assert joint.per_point.shape == (30, steps) and joint.mean < 1e-12
    assert rr.compare_models(f1, f2, U, time="per_step").mean < 1e-12
    W3 = 1.2 * torch.randn(n, n, generator=g, dtype=torch.float64) / n**0.5
    other = rr.compare_models(f1, _rnn(W3, B, steps), U, time="per_step")
    per_step = np.nanmean(other.per_point, axis=0)
    assert per_step[0] < 1e-12 < 0.05 < per_step[-1]  # same input map at step 1, diverging after


def test_compare_models_callable_vs_samples_on_the_sphere():
    torch = _torch()

    def f(u):
        return torch.stack([torch.sin(u[0]) * torch.cos(u[1]), torch.sin(u[0]) * torch.sin(u[1]), torch.cos(u[0])])

    rng = np.random.default_rng(3)
    U = np.c_[np.arccos(rng.uniform(-0.8, 0.8, 3000)), rng.uniform(0, 2 * np.pi, 3000)]
    X = f(torch.as_tensor(U.T)).T.numpy()
    res = rr.compare_models(f, (U, X), U[:300])
    assert res.mean < 0.05 and res.dropped_fraction == 0


def test_missing_torch_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match=r'pip install "repgeo\[torch\]"'):
        rr.jacobians(lambda u: u, np.zeros((2, 2)))


def test_batches_sized_by_memory_budget_give_the_same_values():
    torch = _torch()
    g = torch.Generator().manual_seed(4)
    W1, W2 = torch.randn(16, 3, generator=g, dtype=torch.float64), torch.randn(5, 16, generator=g, dtype=torch.float64)
    f = lambda u: W2 @ torch.tanh(W1 @ u)  # noqa: E731
    U = np.random.default_rng(4).uniform(-1, 1, (50, 3))
    direct = np.stack([torch.autograd.functional.jacobian(f, torch.as_tensor(u)).numpy() for u in U])
    for mode in ("forward", "reverse"):
        # 2 KB holds a handful of points: many batches, written into one result
        np.testing.assert_allclose(rr.jacobians(f, U, mode=mode, memory_budget=2048), direct, atol=1e-13)
    # tensor points: a float64 tensor on their device
    J = rr.jacobians(f, torch.as_tensor(U))
    assert isinstance(J, torch.Tensor) and J.dtype == torch.float64 and J.shape == (50, 5, 3)
    np.testing.assert_allclose(J.numpy(), direct, atol=1e-13)
    with pytest.raises(ValueError, match="memory_budget must be an integer >= 1"):
        rr.jacobians(f, U, memory_budget=0)


def test_plan_chunks_rule():
    from repgeo.riemann._jacobians import plan_chunks

    # one point: itemsize * (A (1 + k) + S m) bytes; k = m forward, k = S reverse
    assert plan_chunks(out_size=10, activations=1306, m=784, mode="reverse", itemsize=8, budget=8 * (1306 * 11 + 7840) * 7) == 7
    assert plan_chunks(out_size=1, activations=259, m=2, mode="forward", itemsize=4, budget=4 * (259 * 3 + 2) * 5 + 3) == 5
    assert plan_chunks(out_size=1, activations=259, m=2, mode="forward", itemsize=8, budget=1) == 1


_AT_SCALE = """
import resource, sys
import numpy as np, torch
from repgeo.riemann import jacobians
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                          torch.nn.Linear(64, 1)).double()
U = np.random.default_rng(0).uniform(-1, 1, (100_000, 2))
jacobians(net, U[:10])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
J = jacobians(net, U, memory_budget=BUDGET)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
idx = np.random.default_rng(1).choice(len(U), 40, replace=False)
direct = np.stack([torch.autograd.functional.jacobian(net, torch.as_tensor(U[i])).detach().numpy() for i in idx])
print(peak * 1024, np.abs(J[idx] - direct).max(), J.shape)
"""


@pytest.mark.slow
def test_jacobians_of_1e5_points_in_bounded_memory():
    """10^5 points of a 2-64-64-1 MLP: the peak stays near the budget (all at once takes ~300-550 MiB)."""
    _torch()
    budget = 32 << 20
    code = _AT_SCALE.replace("BUDGET", str(budget))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak, err, shape = out.stdout.split(maxsplit=2)
    assert shape.strip() == "(100000, 1, 2)"
    assert float(err) < 1e-12
    # measured about twice the budget (the estimate leaves out temporaries inside derivative formulas)
    assert int(peak) < 4 * budget + (32 << 20), f"peak increase {int(peak) / 2**20:.0f} MiB"
