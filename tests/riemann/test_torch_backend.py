"""The torch backend of the SPD distances and MSA: the same numbers as NumPy, on every available device.

Agreement is asked to 1e-10 (relative, or absolute below 1).  Where the data
do not determine the value that well, the test allows the error that a
backward-stable evaluation of float64 metric tensors may carry: a Cholesky
factor of ``G`` is exact for ``G + dG`` with ``|dG| ~ eps |G|``, which moves
each generalised eigenvalue by up to ``~ m eps (kappa1 + kappa2)`` relative.
Jacobian input (thin QR, ``J^T J`` never formed) is asked 1e-10 at every
conditioning.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import repgeo as rg
from repgeo import riemann as rr
from repgeo.riemann import _kernels as K

from test_conditioning import exact_airm, jacobians_with_singular_values
from test_two_tier import factors, spd_with_condition

torch = pytest.importorskip("torch")

EPS = np.finfo(float).eps
TOL = 1e-10  # the agreement the issue asks for, written out so that the test pins it
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SPD_FUNCTIONS = {
    "spectral_ratio": (rr.spectral_ratio, lambda v, m: 1 - v),  # sensitivity to a relative eigenvalue error
    "airm": (rr.airm, lambda v, m: np.sqrt(m)),
    "thompson": (rr.thompson, lambda v, m: 1.0),
    "log_euclidean": (rr.log_euclidean, lambda v, m: np.sqrt(m)),
    "bures": (rr.bures, lambda v, m: 1.0),
}


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny batches: torch's intra-op pool costs ~15 ms a call on a busy 2-core machine, the work microseconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def jacobians_with_condition(rng, n, p, m, cond):
    """``n`` Jacobians ``p x m`` whose metrics ``J^T J`` have condition number ``cond`` (random orientations)."""
    out = []
    for _ in range(n):
        U = np.linalg.qr(rng.standard_normal((p, m)))[0]
        V = np.linalg.qr(rng.standard_normal((m, m)))[0]
        out.append((U * (np.sqrt(np.geomspace(1.0, cond, m)) * rng.uniform(0.5, 2.0))) @ V.T)
    return np.stack(out)


def on(device, *arrays):
    return [torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in arrays]


def numpy_of(x):
    return x.cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def outcome(f, *args):
    """``(value, None)`` or ``(None, message)`` of a ValueError."""
    try:
        return f(*args), None
    except ValueError as err:
        return None, str(err)


conditioning = dict(
    seed=st.integers(0, 2**32 - 1),
    m=st.sampled_from([2, 3, 5, 8, 16]),
    log_cond1=st.floats(0, 12),
    log_cond2=st.floats(0, 12),
)


def spd_distances_match_numpy(device, seed, m, log_cond1, log_cond2):
    rng = np.random.default_rng(seed)
    G1 = rr.pullback_metric(jacobians_with_condition(rng, 8, m + 2, m, 10**log_cond1))
    G2 = rr.pullback_metric(jacobians_with_condition(rng, 8, m + 3, m, 10**log_cond2))
    T1, T2 = on(device, G1, G2)
    rho = m * EPS * (np.linalg.cond(G1) + np.linalg.cond(G2))  # backward-error sensitivity, per point
    for kind, (f, sensitivity) in SPD_FUNCTIONS.items():
        want, err = outcome(f, G1, G2)
        got, terr = outcome(rr.spd_distance, T1, T2, kind)
        assert terr == err, kind  # the same ValueError, word for word, or none
        if err is None:
            assert got.device.type == device and got.dtype == torch.float64
            diff = np.abs(numpy_of(got) - want)
            assert np.all(diff <= TOL * np.maximum(1, np.abs(want)) + sensitivity(want, m) * rho), kind
    want, err = outcome(rr.generalized_eigvalsh, G1, G2)
    got, terr = outcome(rr.generalized_eigvalsh, T1, T2)
    assert terr == err
    if err is None:
        rel = np.abs(numpy_of(got) / want - 1)
        assert np.all(rel <= TOL + 4 * rho[:, None])
        split, tsplit = rr.airm_split(G1, G2), rr.airm_split(T1, T2)
        for part in ("log_scale", "shape", "distance"):
            a, b = getattr(split, part), numpy_of(getattr(tsplit, part))
            assert np.all(np.abs(a - b) <= TOL * np.maximum(1, np.abs(a)) + np.sqrt(m) * rho), part


#: Relative distance (in log) from a drop threshold inside which the backends may decide differently
#: (the computed conditions carry rounding errors of about m eps sqrt(cond), below 1e-9 up to cond 1e12).
BORDERLINE = 1e-6


def borderline(J1, J2, max_condition=1e10):
    """Points whose keep-or-drop decision is within rounding of a threshold: a metric's condition
    number at ``max_condition``, or the pair's ``8 m eps cond(R1) cond(R2)`` at ``K.RESOLUTION``."""
    m = J1.shape[-1]
    c1, c2 = (np.linalg.cond(J) ** 2 for J in (J1, J2))  # cond(J^T J) from the Jacobians, no squaring
    near = lambda x, limit: np.abs(np.log(x / limit)) <= BORDERLINE  # noqa: E731
    return near(c1, max_condition) | near(c2, max_condition) | near(8 * m * EPS * np.sqrt(c1 * c2), K.RESOLUTION)


def msa_matches_numpy(device, seed, m, log_cond1, log_cond2):
    rng = np.random.default_rng(seed)
    J1 = jacobians_with_condition(rng, 8, m + 2, m, 10**log_cond1)
    J2 = jacobians_with_condition(rng, 8, m + 3, m, 10**log_cond2)
    G1, G2 = rr.pullback_metric(J1), rr.pullback_metric(J2)
    rho = m * EPS * (np.linalg.cond(G1) + np.linalg.cond(G2))
    edge = borderline(J1, J2)
    for field, (X, Y), slack in (("jacobian", (J1, J2), 0.0), ("metric", (G1, G2), np.sqrt(m) * rho)):
        for spd in rr.SPD_DISTANCES:
            msa = rg.MSA(spd=spd, field=field, on_ill_conditioned="drop")
            want, err = outcome(msa.evaluate, X, Y)
            got, terr = outcome(msa.evaluate, *on(device, X, Y))
            if edge.any() and (err is None) != (terr is None):  # all kept points were borderline
                assert "nothing is left to compare" in (err or terr), (spd, field)
                continue
            assert terr == err or (edge.any() and err.split(":")[0] == terr.split(":")[0]), (spd, field)
            if err is not None:
                continue
            a, b = want.per_point, numpy_of(got.per_point)
            kept = ~np.isnan(a)
            # the same points dropped, except those whose condition lies within rounding of a threshold
            assert np.array_equal(kept[~edge], ~np.isnan(b)[~edge]), (spd, field)
            both = kept & ~np.isnan(b)
            bound = TOL * np.maximum(1, np.abs(a)) + slack
            assert np.all((np.abs(a - b) <= bound)[both]), (spd, field)
            if not edge.any():
                assert got.dropped_fraction == want.dropped_fraction


#: Draws that failed before the borderline rule: metrics exactly at max_condition (the backends'
#: rounding put them on opposite sides), and a pair near both thresholds.
KNOWN_EDGES = [{"seed": 360, "m": 3, "log_cond1": 10.0, "log_cond2": 10.0},
               {"seed": 370, "m": 5, "log_cond1": 10.875, "log_cond2": 11.87}]


def on_draws(check, device, draws):
    """Run ``check(device, seed, m, log_cond1, log_cond2)`` on ``draws`` hypothesis draws and the known edges."""
    test = given(**conditioning)(lambda **draw: check(device, **draw))
    for edge in KNOWN_EDGES:
        test = example(**edge)(test)
    settings(max_examples=draws, deadline=None)(test)()


DRAWS = [40, pytest.param(400, marks=pytest.mark.slow, id="400")]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("draws", DRAWS)
def test_spd_distances_match_numpy(device, draws):
    on_draws(spd_distances_match_numpy, device, draws)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("draws", DRAWS)
def test_msa_matches_numpy_for_every_spd_and_field(device, draws):
    on_draws(msa_matches_numpy, device, draws // 2)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("m", [2, 3, 8, 16])
def test_well_conditioned_inputs_agree_to_1e_10(device, m):
    rng = np.random.default_rng(m)
    J1 = jacobians_with_condition(rng, 100, m + 2, m, 1e3)
    J2 = jacobians_with_condition(rng, 100, m + 5, m, 1e2)
    G1, G2 = rr.pullback_metric(J1), rr.pullback_metric(J2)
    T1, T2 = on(device, G1, G2)
    for kind in rr.SPD_DISTANCES:
        np.testing.assert_allclose(numpy_of(rr.spd_distance(T1, T2, kind)), rr.spd_distance(G1, G2, kind), rtol=TOL)
    np.testing.assert_allclose(numpy_of(rr.generalized_eigvalsh(T1, T2)), rr.generalized_eigvalsh(G1, G2), rtol=TOL)
    for spd in rr.SPD_DISTANCES:
        for field, (X, Y) in (("jacobian", (J1, J2)), ("metric", (G1, G2))):
            msa = rg.MSA(spd=spd, field=field)
            assert msa(*on(device, X, Y)) == pytest.approx(msa(X, Y), rel=TOL, abs=TOL)


@pytest.mark.parametrize("device", DEVICES)
def test_ill_conditioned_pairs_match_the_exact_value(device):
    """The accuracy test of test_conditioning.py (cond 1.1e9 each, pencil ~1e18), on torch."""
    rng = np.random.default_rng(1)
    s = np.geomspace(1, 3e-5, 3)
    J1 = jacobians_with_singular_values(rng, 60, 5, s)
    J2 = jacobians_with_singular_values(rng, 60, 5, s)
    exact = exact_airm(J1, J2)
    res = rg.MSA(spd="airm").evaluate(*on(device, J1, J2))
    assert res.dropped_fraction == 0
    np.testing.assert_allclose(numpy_of(res.per_point), exact, rtol=1e-8)
    G1, G2 = on(device, rr.pullback_metric(J1), rr.pullback_metric(J2))
    assert rg.MSA(spd="airm", field="metric")(G1, G2) == pytest.approx(exact.mean(), rel=1e-5)
    # the standalone distances on two PD matrices of condition 1e9 (mpmath values)
    rot = lambda t: np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])  # noqa: E731
    A, B = rot(0.3), rot(0.3 + np.pi / 2 + 1e-3)
    H1, H2 = on(device, A @ np.diag([1.0, 1e-9]) @ A.T, B @ np.diag([1.0, 1e-9]) @ B.T)
    assert float(rr.airm(H1, H2)) == pytest.approx(29.3071221926612, rel=1e-8)
    assert float(rr.spectral_ratio(H1, H2)) == pytest.approx(0.999999998999999, rel=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_closed_forms(device):
    rng = np.random.default_rng(1)
    W = np.linalg.qr(rng.standard_normal((7, 2)))[0]
    J = np.broadcast_to(W, (30, 7, 2))
    for a, b in [(2.0, 0.5), (1.0, 3.0)]:
        assert rg.MSA()(*on(device, J, J @ np.diag([a, b]))) == pytest.approx(1 - min(a, b) / max(a, b), abs=1e-12)
    Q = np.linalg.qr(rng.standard_normal((7, 7)))[0]
    J3 = rng.standard_normal((50, 7, 3))
    X, Y = on(device, J3, 3 * np.einsum("ij,pjm->pim", Q, J3))
    assert rg.MSA()(X, Y) < 1e-12
    assert rg.MSA(spd="airm")(X, Y) == pytest.approx(np.sqrt(3) * np.log(9), rel=1e-12)
    assert float(rr.airm(*on(device, np.eye(2), np.e**2 * np.eye(2)))) == pytest.approx(2 * np.sqrt(2), rel=1e-14)


@pytest.mark.parametrize("device", DEVICES)
def test_outputs_follow_the_input(device):
    rng = np.random.default_rng(0)
    G = rr.pullback_metric(rng.standard_normal((20, 5, 3)))
    T = torch.from_numpy(G).to(device)
    for kind in rr.SPD_DISTANCES:
        d = rr.spd_distance(T, T.flip(0), kind)  # a tensor on the input's device, float64
        assert isinstance(d, torch.Tensor) and d.shape == (20,) and d.device.type == device and d.dtype == torch.float64
        one = rr.spd_distance(T[0], T[1], kind)  # two single matrices: a 0-d tensor (NumPy gives a float)
        assert one.shape == () and float(one) == pytest.approx(rr.spd_distance(G[0], G[1], kind), rel=1e-12)
        # an array paired with a tensor joins the tensor; float32 is computed in float64
        mixed = rr.spd_distance(G, T.flip(0).float(), kind)
        assert mixed.device.type == device and mixed.dtype == torch.float64
    assert rr.generalized_eigvalsh(T[0], T[1]).shape == (3,)
    assert isinstance(rr.airm_split(T, T).log_scale, torch.Tensor)
    # gradients are not tracked: a tensor that requires them is read as data
    assert not rr.airm(T.clone().requires_grad_(True), T).requires_grad


@pytest.mark.parametrize("device", DEVICES)
def test_prepare_keeps_the_field_in_torch(device):
    rng = np.random.default_rng(2)
    J1, J2 = rng.standard_normal((40, 6, 3)), rng.standard_normal((40, 4, 3))
    X, Y = on(device, J1, J2)
    for spd in rr.SPD_DISTANCES:
        msa = rg.MSA(spd=spd)
        a, b = msa.prepare(X), msa.prepare(J2)
        assert isinstance(a.R, torch.Tensor) and a.R.device.type == device and isinstance(b.R, np.ndarray)
        value = msa.compare(a, b)  # a NumPy field joins the torch one
        assert type(value) is float and value == pytest.approx(msa(J1, J2), rel=TOL)
        assert type(msa(X, Y)) is float
    res = rg.MSA().evaluate(X, Y, weights=np.linspace(0, 1, 40))
    assert isinstance(res.per_point, torch.Tensor) and res.per_point.device.type == device
    assert res.mean == pytest.approx(rg.MSA().evaluate(J1, J2, weights=np.linspace(0, 1, 40)).mean, rel=TOL)


@pytest.mark.parametrize("device", DEVICES)
def test_errors_are_word_for_word_the_numpy_errors(device):
    rng = np.random.default_rng(3)
    G = rr.pullback_metric(rng.standard_normal((30, 5, 3)))
    J = rng.standard_normal((30, 5, 3))

    def nan_at(A, i):
        A = A.copy()
        A.flat[i] = np.nan
        return A

    def set_point(A, i, value):
        A = A.copy()
        A[i] = value
        return A

    asym = set_point(G, 4, G[4] + np.triu(np.ones((3, 3)), 1))
    cases = [
        (rr.airm, (nan_at(G, 7), G)),
        (rr.spectral_ratio, (G, set_point(G, 9, np.diag([1.0, 1.0, 0.0])))),  # singular
        (rr.airm, (set_point(G, 5, np.diag([1.0, 1.0, -2.0])), G)),  # indefinite
        (rr.bures, (G, set_point(G, 2, np.diag([1.0, -1.0, 1.0])))),
        (rr.log_euclidean, (asym, G)),
        (rr.airm, (G, G[:20])),  # unmatched stacks
        (rr.thompson, (G[:, :2], G)),  # not square
        (rr.airm, (np.diag([1.0, 1e-15]), np.array([[1.0, 0.0], [0.0, 1e-15]])[::-1, ::-1])),  # unresolvable pair
        (rg.MSA(), (J, nan_at(J, 11))),
        (rg.MSA(), (J, J[:20])),
        (rg.MSA(), (J[:, :, 0], J[:, :, 1])),
        (rg.MSA(field="metric"), (G, set_point(G, 7, np.diag([1.0, -5.0, 1.0])))),
        (rg.MSA(), (np.zeros((5, 3, 2)), np.ones((5, 3, 2)))),  # nothing left to compare
        (rg.MSA(max_condition=1e2), (J, np.concatenate([J[:, :, :2], 1e-3 * J[:, :, 2:]], axis=2))),
        (lambda a, b: rg.MSA().evaluate(a, b, weights=-np.ones(30)), (J, J)),
    ]
    for f, args in cases:
        with pytest.raises(ValueError) as np_err:
            f(*args)
        with pytest.raises(ValueError) as torch_err:
            f(*on(device, *args))
        assert str(torch_err.value) == str(np_err.value)
    with pytest.raises(TypeError, match="G1 must hold real numbers; got complex dtype"):
        rr.airm(torch.eye(2, dtype=torch.complex128, device=device), torch.eye(2, device=device))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("m", [3, 8])
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), log_cond1=st.floats(0, 12), log_cond2=st.floats(0, 12))
def test_fast_tier_agrees_with_svd_tier_in_torch(device, m, seed, log_cond1, log_cond2):
    """The two-tier guarantee of test_two_tier.py, for the torch kernels."""
    rng = np.random.default_rng(seed)
    G1 = np.stack([spd_with_condition(rng, m, 10**log_cond1) for _ in range(8)])
    G2 = np.stack([spd_with_condition(rng, m, 10**log_cond2) for _ in range(8)])
    R1, R2_inv = on(device, *factors(G1, G2))
    exact_sv = K.singular_values(R1 @ R2_inv)
    dlog = torch.zeros(8, dtype=torch.float64, device=device)
    for kind in ("spectral_ratio", "airm", "thompson"):
        got = numpy_of(K.from_pencil(K.pencil_sv(R1, R2_inv, kind), dlog, kind))
        want = numpy_of(K.from_pencil(exact_sv, dlog, kind))
        assert np.all(np.abs(got - want) <= TOL + 64 * m * EPS * np.abs(want)), kind


@pytest.mark.skipif(torch.cuda.device_count() == 0, reason="needs a GPU")
def test_tensors_on_two_devices_raise():
    with pytest.raises(ValueError, match="different devices"):
        rr.airm(torch.eye(2), torch.eye(2, device="cuda"))


def test_numpy_work_never_imports_torch():
    code = (
        "import sys, numpy as np, repgeo as rg, repgeo.riemann as rr\n"
        "J = np.random.default_rng(0).standard_normal((20, 4, 2))\n"
        "rg.MSA()(J, 2 * J); rr.airm(rr.pullback_metric(J), rr.pullback_metric(J))\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
