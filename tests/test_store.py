"""The tile store: verified loads, refused foreign stores, atomic writes, shared use, torture.

Each tampering test damages tiles in the way the reliability review did
(issue 10) and requires the rerun to equal the uninterrupted matrix; before
the checksums, every one of them was loaded silently.  The helpers read and
write both the old ``.npy`` tiles and the current ``.npz`` ones, so these
tests also ran against the old store.
"""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import repgeo as rg

SRC = str(Path(rg.__file__).resolve().parents[1])


def reps_of(K=6, n=12, p=3, seed=8):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, p)) for _ in range(K)]


def tiles(store):
    return sorted(p for p in Path(store).glob("tile_*") if p.suffix in (".npy", ".npz"))


def read_values(tile: Path) -> np.ndarray:
    if tile.suffix == ".npy":
        return np.load(tile)
    with np.load(tile) as data:
        return data["values"]


def write_values(tile: Path, values: np.ndarray) -> None:
    """Replace a tile's values, keeping everything else (its checksum too) as it was."""
    if tile.suffix == ".npy":
        np.save(tile, values)
        return
    with np.load(tile) as data:
        rest = {k: data[k] for k in data.files if k != "values"}
    with open(tile, "wb") as fh:
        np.savez(fh, values=values, **rest)


@pytest.fixture
def run(tmp_path):
    """A finished run in a store: (reps, store path, the matrix)."""
    reps = reps_of()
    store = tmp_path / "store"
    return reps, store, rg.pairwise(reps, "procrustes", block_size=2, store=store)


def rerun(reps, store):
    return rg.pairwise(reps, "procrustes", block_size=2, store=store)


# ----------------------------------------------------------------------------- tampering (item 10)


def test_a_shifted_tile_is_recomputed(run, caplog):
    reps, store, first = run
    tile = tiles(store)[1]
    write_values(tile, read_values(tile) + 0.25)
    with caplog.at_level("WARNING", logger="repgeo"):
        np.testing.assert_array_equal(rerun(reps, store), first)
    assert f"tile {tile.name} fails verification; recomputing it" in caplog.text


def test_a_flipped_bit_is_recomputed(run):
    reps, store, first = run
    tile = tiles(store)[2]
    raw = bytearray(tile.read_bytes())
    start = raw.find(np.ascontiguousarray(read_values(tile)).tobytes())
    assert start >= 0
    raw[start + 3] ^= 0x10  # one bit of the first value's mantissa
    tile.write_bytes(bytes(raw))
    np.testing.assert_array_equal(rerun(reps, store), first)


def test_swapped_tiles_are_recomputed(run):
    reps, store, first = run
    same = {}
    for t in tiles(store):
        same.setdefault(read_values(t).size, []).append(t)
    a, b = next(v for v in same.values() if len(v) >= 2)[:2]
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)
    np.testing.assert_array_equal(rerun(reps, store), first)


def test_a_nan_in_a_tile_is_recomputed(run):
    reps, store, first = run
    tile = next(t for t in tiles(store) if read_values(t).size > 1)  # not all NaN: that was caught
    values = read_values(tile).copy()
    values[0] = np.nan
    write_values(tile, values)
    np.testing.assert_array_equal(rerun(reps, store), first)


def test_truncated_and_garbage_tiles_are_recomputed(run):
    reps, store, first = run
    a, b = tiles(store)[:2]
    a.write_bytes(a.read_bytes()[:-5])
    b.write_bytes(b"garbage")
    np.testing.assert_array_equal(rerun(reps, store), first)


def test_a_tile_from_another_run_is_recomputed(tmp_path):
    """Same shapes, other data: the checksum is keyed by the run, so an imported tile fails."""
    reps_a, reps_b = reps_of(seed=1), reps_of(seed=2)
    first = rg.pairwise(reps_a, "procrustes", block_size=2, store=tmp_path / "a")
    rg.pairwise(reps_b, "procrustes", block_size=2, store=tmp_path / "b")
    name = tiles(tmp_path / "a")[0].name
    (tmp_path / "a" / name).write_bytes((tmp_path / "b" / name).read_bytes())
    np.testing.assert_array_equal(rg.pairwise(reps_a, "procrustes", block_size=2, store=tmp_path / "a"), first)


def test_tiles_without_metadata_are_refused(run):
    """meta.json deleted, representations reordered: the stale tiles were reused (error 0.014)."""
    reps, store, _ = run
    (store / "meta.json").unlink()
    with pytest.raises(ValueError, match=r"holds \d+ tile files .* but no meta.json"):
        rerun(reps[::-1], store)


def test_damaged_metadata_is_refused(run):
    reps, store, _ = run
    (store / "meta.json").write_text('{"measure": ')
    with pytest.raises(ValueError, match="meta.json' is damaged \\(not valid JSON"):
        rerun(reps, store)
    (store / "meta.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="a JSON list, not an object"):
        rerun(reps, store)


def test_a_file_is_not_a_store(tmp_path):
    path = tmp_path / "result.npy"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="store must be a directory .* is a file"):
        rg.pairwise(reps_of(), "procrustes", store=path)


def test_a_store_of_the_old_format_is_refused(run):
    import json

    reps, store, _ = run
    meta = json.loads((store / "meta.json").read_text())
    del meta["format"]
    (store / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="store format 1"):
        rerun(reps, store)


# ----------------------------------------------------------------------------- writers (item 11)


def test_temporary_names_are_unique_per_writer(tmp_path):
    from repgeo._store import _unique_temporary

    names = {_unique_temporary(tmp_path / "tile_0_1.npz") for _ in range(1000)}
    assert len(names) == 1000 and all(str(os.getpid()) in n.name for n in names)


def test_every_file_reaches_the_disk_before_its_rename(tmp_path, monkeypatch):
    """A rename of an unflushed file can survive a power cut as an empty tile: each file is fsynced first,
    and its directory after the rename."""
    import repgeo._store as store_module

    events = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else fd))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", str(src), str(dst)))
        return real_replace(src, dst)

    def link(src, dst):
        events.append(("rename", str(src), str(dst)))
        return real_link(src, dst)

    monkeypatch.setattr(store_module.os, "fsync", fsync)
    monkeypatch.setattr(store_module.os, "replace", replace)
    monkeypatch.setattr(store_module.os, "link", link)
    got = rg.pairwise(reps_of(K=5), "procrustes", block_size=2, store=tmp_path / "s", n_jobs=1)
    np.testing.assert_array_equal(got, rg.pairwise(reps_of(K=5), "procrustes"))
    renames = [e for e in events if e[0] == "rename"]
    assert len(renames) == 1 + len(tiles(tmp_path / "s"))  # meta.json and every tile
    if not os.path.exists("/proc/self/fd"):
        return
    for rename in renames:
        at = events.index(rename)
        assert ("fsync", rename[1]) in events[:at], f"{rename[1]} was renamed before it was flushed"
        assert ("fsync", str(tmp_path / "s")) in events[at + 1 :], "the directory was not synced after a rename"


def test_threads_sharing_a_store_all_finish_right(tmp_path):
    """Writers used one temporary name per tile: the second rename failed with FileNotFoundError."""
    reps = reps_of(K=14, n=8)
    expected = rg.pairwise(reps, "procrustes")
    results, errors = [], []

    def work():
        try:
            results.append(rg.pairwise(reps, "procrustes", block_size=1, store=tmp_path))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got in results:
        np.testing.assert_array_equal(got, expected)
    assert not list(tmp_path.glob("*.tmp")), "temporary files left behind"


def test_the_store_alone_decides_how_to_resume():
    """One owner: the engine and the CLI never read the store's metadata themselves."""
    import repgeo.cli  # noqa: F401 - loads the module

    for name in ("repgeo.pairwise", "repgeo.cli"):
        module = sys.modules[name]
        source = inspect.getsource(module)
        assert not hasattr(module, "json") and '"meta.json"' not in source and "'meta.json'" not in source, name


# ----------------------------------------------------------------------------- torture


WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import repgeo as rg
    rng = np.random.default_rng(0)
    reps = [rng.standard_normal((60, 12)) for _ in range(80)]
    store, out = sys.argv[1], sys.argv[2]
    D = rg.pairwise(reps, "procrustes", block_size=1, store=store if store != "-" else None)
    np.save(out, D)
    """
)


def _start(store, out):
    env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(store), str(out)], env=env)


def _corrupt(store: Path, rng: np.random.Generator) -> None:
    files = tiles(store)
    for tile in rng.choice(files, size=min(8, len(files)), replace=False):
        kind = rng.integers(4)
        if kind in (0, 3):
            try:
                write_values(tile, read_values(tile))  # reads every member, changes nothing
            except Exception:  # noqa: BLE001 - corrupted by an earlier round and not yet recomputed
                kind = 1
        if kind == 0:
            write_values(tile, read_values(tile) + 0.25)
        elif kind == 1:
            raw = bytearray(tile.read_bytes())
            raw[int(rng.integers(len(raw)))] ^= 1 << int(rng.integers(8))
            tile.write_bytes(bytes(raw))
        elif kind == 2:
            tile.write_bytes(tile.read_bytes()[: int(rng.integers(len(tile.read_bytes())))])
        else:
            values = read_values(tile).copy()
            values[int(rng.integers(values.size))] = np.nan
            write_values(tile, values)


@pytest.mark.slow
def test_store_survives_kills_corruption_and_two_writers(tmp_path):
    """20 runs killed with SIGKILL at random moments (during the import, the computation, a tile's
    write or the exit), random tiles corrupted (shifted, a flipped bit, truncated, a NaN) or lost,
    then two writers at once: both final matrices equal the uninterrupted one bit for bit."""
    rng = np.random.default_rng(2024)
    started = time.monotonic()
    reference = _start("-", tmp_path / "reference.npy")
    assert reference.wait(600) == 0
    full_run = time.monotonic() - started  # import plus every tile, on this machine, now
    expected = np.load(tmp_path / "reference.npy")
    store = tmp_path / "store"
    n_tiles = 80 * 79 // 2  # block_size=1: one tile per pair of the upper triangle
    killed_mid_run = 0
    scale = 0.6  # kill moments are drawn from (0.1..1) x scale x full_run, adapted to how fast runs end
    for _ in range(20):
        done = tiles(store)
        if len(done) > n_tiles // 2:  # lose a quarter of the finished tiles, so that every run has work
            for tile in rng.choice(done, size=len(done) // 4, replace=False):
                tile.unlink()
        proc = _start(store, tmp_path / "partial.npy")
        time.sleep(float(rng.uniform(0.1, 1.0)) * scale * full_run)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_run += 1
            scale = min(1.0, scale * 1.1)
        else:  # a run that ended before its kill: later kills come earlier, so the test holds on fast machines
            scale *= 0.6
        proc.wait(60)
        if tiles(store) and rng.random() < 0.5:
            _corrupt(store, rng)
    writers = [_start(store, tmp_path / f"writer{k}.npy") for k in range(2)]
    assert [w.wait(600) for w in writers] == [0, 0]
    for k in range(2):
        np.testing.assert_array_equal(np.load(tmp_path / f"writer{k}.npy"), expected)
    assert killed_mid_run >= 10, f"only {killed_mid_run} of 20 runs were still running when killed"
    assert time.monotonic() - started < 900
