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
