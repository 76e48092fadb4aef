"""The torch backend of the matrix measures: shape metrics, CKA (linear, angular, kernel) and RSA.

Tensors are checked and centred on the host by the NumPy code, and the
heavy work (SVDs, Gram matrices, RDMs, the pairs) runs on the tensors' device
in float64, so the values must agree with NumPy input to rounding.  The test
asks 1e-10 (relative, absolute below 1), a hundred times tighter than the
contract check's 1e-8.  The MSA family has its own tests
(tests/riemann/test_torch_backend.py).
"""

import subprocess
import sys
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import repgeo as rg
from repgeo._registry import registered

torch = pytest.importorskip("torch")

TOL = 1e-10
MATRIX_MEASURES = sorted(
    name for name, m in registered().items()
    if "torch" in m.info.backends and m.info.input == "matrix" and not name.startswith("msa")
)
CUDA = pytest.param(
    "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: torch.cuda.is_available() is False")
)
DEVICES = ["cpu", CUDA]

pytestmark = pytest.mark.filterwarnings("ignore::repgeo.RepresentationWarning")  # CCA on wide data, on purpose


def close(got, want, tol=TOL):
    return abs(got - want) <= tol * max(1.0, abs(want))


def draw(seed, n, p, q, scale):
    """Two matched representations: Y shares part of X's structure, so values are not all near chance."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.2, 3.0, p)
    Y = np.tanh(X @ rng.standard_normal((p, q))) + 0.5 * rng.standard_normal((n, q))
    return scale * X, scale * Y


def test_the_ported_measures_declare_torch():
    """Every family the backend issue names declares torch (the convolutional shape metric too)."""
    want = {"shape", "procrustes", "procrustes_euclidean", "cca", "permutation", "permutation_euclidean",
            "linear_cka", "linear_cka_unbiased",
            "angular_cka", "kernel_cka", "kernel_cka_unbiased", "rsa", "rsa_euclidean", "rsa_kendall"}
    assert want <= set(MATRIX_MEASURES), sorted(want - set(MATRIX_MEASURES))
    assert {"conv_shape", "conv_shape_euclidean"} <= {n for n, m in registered().items() if "torch" in m.info.backends}


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(MATRIX_MEASURES),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 40),
    p=st.integers(1, 30),
    q=st.integers(1, 30),
    scale=st.sampled_from([1e-150, 1e-8, 1.0, 1e8, 1e150]),
)
def test_registered_measures_agree_with_numpy(name, seed, n, p, q, scale):
    """Tall, square and wide inputs of unequal widths at scales from 1e-150 to 1e150."""
    m = registered()[name]
    X, Y = draw(seed, n, p, q, scale)
    try:
        want = m(X, Y)
    except ValueError as err:  # e.g. correlation RDMs need 3 features: the tensor must fail the same way
        with pytest.raises(ValueError) as info:
            m(torch.from_numpy(X), torch.from_numpy(Y))
        assert str(info.value) == str(err)
        return
    got = m(torch.from_numpy(X), torch.from_numpy(Y))
    assert isinstance(got, float)
    assert close(got, want), (got, want)


@settings(max_examples=30, deadline=None)
@given(
    alpha=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    score=st.sampled_from(["angular", "euclidean"]),
    ridge=st.sampled_from([0.0, 0.1]),
    convention=st.sampled_from(["repgeo", "netrep", "repsim"]),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 40),
    p=st.integers(1, 25),
    q=st.integers(1, 25),
)
def test_shape_metric_family_agrees_with_numpy(alpha, score, ridge, convention, seed, n, p, q):
    m = rg.ShapeMetric(alpha=alpha, score=score, ridge=ridge, convention=convention)
    X, Y = draw(seed, n, p, q, 1.0)
    assert close(m(torch.from_numpy(X), torch.from_numpy(Y)), m(X, Y))


@pytest.mark.parametrize(
    "measure",
    [rg.KernelCKA(kernel="polynomial"), rg.KernelCKA(kernel="polynomial", coef0=-1.0, hsic="unbiased"),
     rg.KernelCKA(sigma=2.0), rg.KernelCKA(sigma_scale=0.5)]
    + [rg.RSA(rdm=r, compare=c) for r in ("correlation", "euclidean", "sqeuclidean", "cosine")
       for c in ("spearman", "pearson", "kendall_tau_a", "cosine")],
    ids=repr,
)
def test_unregistered_settings_agree_with_numpy(measure):
    for seed in range(3):
        X, Y = draw(seed, 25, 6, 4, 1.0)
        assert close(measure(torch.from_numpy(X), torch.from_numpy(Y)), measure(X, Y))


def test_rsa_ranks_keep_exact_ties_on_tensors():
    """Duplicated stimuli give tied distances; the device-computed RDM must tie them as the host does."""
    rng = np.random.default_rng(30)
    X = rng.standard_normal((6, 5))[[0, 0, 1, 1, 2, 2, 3, 3, 4, 5]]
    Y = rng.standard_normal((10, 4))
    for compare in ("spearman", "kendall_tau_a"):
        m = rg.RSA(rdm="correlation", compare=compare)
        values = [m(torch.from_numpy(c * X), torch.from_numpy(Y)) for c in (1.0, 3.0, 0.3, 7.1)]
        assert np.ptp(values) < 1e-12 and close(values[0], m(X, Y)), values


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", MATRIX_MEASURES)
def test_prepared_forms_stay_on_the_device_in_float64(name, device):
    """The prepared arrays of a tensor are float64 tensors on its device (float32 input is promoted)."""
    m = registered()[name]
    X, _ = draw(0, 20, 6, 3, 1.0)
    prepared = m.prepare(torch.from_numpy(X).float().to(device))
    tensors = [v for f in dataclasses.fields(prepared) if isinstance(v := getattr(prepared, f.name), torch.Tensor)]
    if name != "rsa_kendall":  # Kendall's tau is computed by SciPy on the host: nothing to keep on the device
        assert tensors, f"{name} keeps no tensor on the device"
    for t in tensors:
        assert t.dtype == torch.float64 and t.device.type == device


@pytest.mark.parametrize("name", MATRIX_MEASURES)
def test_float32_tensors_give_the_float32_array_value(name):
    """float32 tensors are promoted to float64 for the SVD and eigen work, exactly as float32 arrays are:
    the two agree to rounding (the rank cut-off of the shape metrics uses float32's precision in both)."""
    m = registered()[name]
    X, Y = draw(1, 30, 8, 5, 1.0)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    assert close(m(torch.from_numpy(X32), torch.from_numpy(Y32)), m(X32, Y32))


@pytest.mark.parametrize("name", MATRIX_MEASURES)
def test_bad_tensors_give_the_numpy_errors(name):
    """NaN, inf, a missing axis, constant data, unmatched rows and too few samples: the same message."""
    m = registered()[name]
    X, Y = draw(2, 12, 5, 4, 1.0)
    nan, inf = X.copy(), Y.copy()
    nan[3, 1], inf[0, 0] = np.nan, -np.inf
    cases = [(nan, Y), (X, inf), (X[:, 0], Y), (np.ones_like(X), Y), (X[:-2], Y), (X[:2], Y[:2])]
    for A, B in cases:
        with pytest.raises((ValueError, TypeError)) as want:
            m(A, B)
        with pytest.raises(type(want.value)) as got:
            m(torch.from_numpy(np.ascontiguousarray(A)), torch.from_numpy(np.ascontiguousarray(B)))
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize("name", ["procrustes", "cca", "permutation", "kernel_cka", "rsa", "linear_cka"])
def test_an_array_joins_a_tensor(name):
    """One argument an array, the other a tensor (and the reverse): the NumPy value."""
    m = registered()[name]
    X, Y = draw(3, 30, 6, 4, 1.0)
    want = m(X, Y)
    assert close(m(X, torch.from_numpy(Y)), want) and close(m(torch.from_numpy(X), Y), want)


def test_tensors_that_need_grad_are_accepted():
    X, Y = draw(4, 20, 5, 3, 1.0)
    tx, ty = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    for name in ("procrustes", "kernel_cka", "rsa"):
        assert close(rg.get_measure(name)(tx, ty), rg.get_measure(name)(X, Y))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["procrustes", "cca", "shape", "procrustes_euclidean", "permutation", "rsa", "kernel_cka", "linear_cka", "linear_cka_unbiased"])
def test_pairwise_on_tensors_equals_pairwise_on_arrays(name, device):
    """The all-pairs engine's block paths take tensors (unequal widths included)."""
    rng = np.random.default_rng(5)
    reps = [rng.standard_normal((40, p)) for p in (3, 5, 5, 8, 12)]
    want = rg.pairwise(reps, name)
    got = rg.pairwise([torch.from_numpy(r).to(device) for r in reps], name, block_size=2)
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL)


def test_shape_fit_takes_tensors():
    """fit() works from prepared tensors (the alignment maps are NumPy arrays, as for arrays)."""
    X, Y = draw(6, 60, 5, 4, 1.0)
    for m in (rg.ShapeMetric(), rg.ShapeMetric(alpha=0.5, score="euclidean")):
        want, got = m.fit(X, Y), m.fit(torch.from_numpy(X), torch.from_numpy(Y))
        assert close(got.distance, want.distance)
        np.testing.assert_allclose(np.abs(got.transform_x(X[:10])), np.abs(want.transform_x(X[:10])), rtol=1e-8, atol=1e-12)
        assert close(got(X, Y), want(X, Y), 1e-8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: torch.cuda.is_available() is False")
def test_tensors_on_two_devices_are_refused():
    X, Y = draw(7, 20, 4, 4, 1.0)
    with pytest.raises(ValueError, match="different devices"):
        rg.ShapeMetric()(torch.from_numpy(X), torch.from_numpy(Y).cuda())


def test_numpy_input_never_imports_torch():
    """The ported measures reach torch only through tensors: NumPy work leaves torch unimported."""
    code = (
        "import sys, numpy as np, repgeo as rg; X = np.random.default_rng(0).standard_normal((30, 5));"
        "[rg.get_measure(n)(X, X[:, ::-1] + 1) for n in ('procrustes', 'cca', 'kernel_cka', 'rsa', 'linear_cka', 'angular_cka')];"
        "rg.pairwise([X, 2 * X, X ** 2], 'procrustes');"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("device", DEVICES)
def test_the_gpu_forms_of_distances_and_median_equal_numpy(device):
    """``distance_matrix`` and ``median`` take SciPy/NumPy on the CPU and torch's own kernels on a GPU;
    the GPU forms are checked here on every device (the CPU included), so they are tested without a GPU."""
    from repgeo._backend import NUMPY, namespace

    rng = np.random.default_rng(8)
    X = rng.standard_normal((31, 7))
    xp = namespace(torch.from_numpy(X).to(device))
    D = xp.cdist(xp.asarray(X))
    np.testing.assert_allclose(xp.to_numpy(D), NUMPY.distance_matrix(X), rtol=1e-14, atol=0)
    assert (xp.to_numpy(torch.diagonal(D)) == 0).all()
    for m in (1, 2, 7, 10):
        v = rng.standard_normal(m)
        assert xp.median_by_selection(xp.asarray(v)) == np.median(v)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("measure", [rg.ConvShapeMetric(), rg.ConvShapeMetric(score="euclidean"),
                                     rg.ConvShapeMetric(alpha=0.5), rg.ConvShapeMetric(alpha=0.0, zero_pad=True)], ids=repr)
def test_conv_shape_metric_agrees_with_numpy(measure, device):
    """Shifted, rotated layers (the near-identical branch at the best shift) and unrelated ones; unequal
    channel counts; the spectra stay on the device; pairwise and fit take tensors."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((8, 5, 6, 4))
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    related = np.roll(X, (1, -2), axis=(1, 2)) @ Q
    noisy = np.roll(X, (2, 1), axis=(1, 2)) @ rng.standard_normal((4, 3)) + 0.3 * rng.standard_normal((8, 5, 6, 3))
    on = lambda A: torch.from_numpy(A).to(device)  # noqa: E731
    for Y in (related, noisy):
        assert close(measure(on(X), on(Y)), measure(X, Y))
    prepared = measure.prepare(on(X).float())
    assert prepared.spectrum.device.type == device and prepared.spectrum.dtype == torch.complex128
    reps = [X, related, noisy]
    np.testing.assert_allclose(rg.pairwise([on(r) for r in reps], measure), rg.pairwise(reps, measure), rtol=TOL, atol=TOL)
    fitted, want = measure.fit(on(X), on(noisy)), measure.fit(X, noisy)
    assert fitted.shift == want.shift and close(fitted(X, noisy), want(X, noisy), 1e-8)


def test_conv_errors_on_tensors_read_as_on_arrays():
    """Found by the fuzzer: unequal spatial sizes were reported as ``torch.Size([1, 1])`` for tensors."""
    rng = np.random.default_rng(10)
    X, Y = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal((4, 3, 2, 2))
    with pytest.raises(ValueError) as want:
        rg.ConvShapeMetric()(X, Y)
    with pytest.raises(ValueError) as got:
        rg.ConvShapeMetric()(torch.from_numpy(X), torch.from_numpy(Y))
    assert str(got.value) == str(want.value) and "(3, 3)" in str(got.value)
