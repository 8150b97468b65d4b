"""Against the peer: MintPy 1.6.4 ``ifgram_inversion.py`` on an ifgramStack.h5 written by MintPy's own
writer, 60 x 60 pixels, 10 % random gaps and a 10 x 10 corner split into two sub-networks: the same time series
(1e-5 m) wherever both solve (also the minimum-norm solution of the split corner), without weights and with
MintPy's ``var`` weights; the same temporal coherence and number of interferograms.

Skipped when MintPy is not installed (extra 'peer').
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from mimtpy.cli.invert_network import main
from tests.ifgram_synth import synthetic_stack, write_mintpy_stack

pytest.importorskip("mintpy")
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def peer_stack(tmp_path_factory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("peer")
    data = synthetic_stack(60, 60, 20, neighbours=3, gap=0.1, noise=0.3, seed=7, ref=(30, 30))
    # a corner where every interferogram across dates 9 -> 10 is missing: two sub-networks (minimum norm)
    cross = np.array([i <= 9 < j for i, j in data["pairs"]])
    data["phase"][np.ix_(cross, np.arange(10), np.arange(10))] = 0
    data["gaps"][np.ix_(cross, np.arange(10), np.arange(10))] = True
    return write_mintpy_stack(work / "ifgramStack.h5", data), data


@pytest.mark.parametrize("weight", ["no", "var"])
def test_time_series_equal_mintpy_ifgram_inversion(peer_stack, weight: str) -> None:
    stack, data = peer_stack
    work = stack.parent / weight
    work.mkdir()
    run = subprocess.run([str(BIN / "ifgram_inversion.py"), str(stack), "-w", weight, "-o", "ts.h5", "tcoh.h5",
                          "num.h5"], capture_output=True, text=True, cwd=work)
    assert run.returncode == 0, run.stderr[-2000:]
    assert main([str(stack), "--weight-func", weight, "--outdir", str(work / "ours"), "-q", "--no-figure"]) == 0
    with h5py.File(work / "ts.h5") as f:
        ts_ref = f["timeseries"][:]
        dates_ref = list(f["date"][:].astype(str))
    with h5py.File(work / "num.h5") as f:
        num_ref = f["mask"][:]
    with h5py.File(work / "tcoh.h5") as f:
        tcoh_ref = f["temporalCoherence"][:]
    with h5py.File(work / "ours" / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        assert list(f["date"][:].astype(str)) == dates_ref
        assert (f.attrs["REF_Y"], f.attrs["REF_X"]) == ("30", "30")
    with h5py.File(work / "ours" / "temporalCoherence.h5") as f:
        tcoh = f["temporalCoherence"][:]
    with h5py.File(work / "ours" / "numInvIfgram.h5") as f:
        num = f["mask"][:]
    with h5py.File(work / "ours" / "numComponent.h5") as f:
        ncomp = f["numComponent"][:]
    both = (num_ref > 0) & np.isfinite(ts).all(axis=0)
    assert (ncomp[both] == 2).sum() > 80 and np.all(ncomp[:10, :10][both[:10, :10]] == 2)
    assert both.mean() > 0.95                       # nearly every pixel has gaps: the per-pixel path is tested
    assert (data["gaps"][:, both].any(axis=0)).mean() > 0.9
    np.testing.assert_allclose(ts[:, both], ts_ref[:, both], rtol=0, atol=1e-5)
    assert np.abs(ts_ref[:, both]).max() > 0.01     # a real signal, not zeros
    both[30, 30] = False                            # MintPy sets the reference pixel's quality to 1 / all
    np.testing.assert_allclose(tcoh[both], tcoh_ref[both], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(num[both], num_ref[both])
