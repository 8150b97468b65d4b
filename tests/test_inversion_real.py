"""Real data: 30 Sentinel-1 interferograms over Mexico City (PyRate cropA, GAMMA GeoTIFFs, 13 epochs).

The network is connected, so SBAS and NSBAS must agree; the residuals are small; the basin subsides by tens
of cm/yr (published InSAR rates for Mexico City reach a few tens of cm/yr) while the western hills are
stable; an independent dense least-squares solve (NumPy SVD per pixel) of the same network gives the same series.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from mimtpy.cli.invert_network import main
from mimtpy.inversion.solve import Network, solve_network_numpy
from mimtpy.io import open_ifgram_stack

DATA = Path(__file__).parent / "data" / "pyrate_mexico_cropA"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("mexico")
    out = {}
    for method in ("sbas", "nsbas"):
        out[method] = work / method
        assert main([str(DATA), "--method", method, "--outdir", str(out[method]), "-q"]) == 0
    return out


def read(folder: Path, name: str, dataset: str | None = None) -> np.ndarray:
    with h5py.File(folder / f"{name}.h5") as f:
        return f[dataset or name][:]


def test_stack_is_read_as_pyrate_geotiffs() -> None:
    stack = open_ifgram_stack(DATA)
    assert (stack.family, stack.num_ifgram, len(stack.dates), stack.has_coherence) == ("geotiff", 30, 13, True)
    assert stack.dates[0] == "20180106" and stack.dates[-1] == "20180717"
    assert stack.wavelength == pytest.approx(0.05550415767769124)
    assert Network.from_date12(stack.date12).components() == 1


def test_sbas_and_nsbas_agree_on_a_connected_network(runs) -> None:
    sbas, nsbas = read(runs["sbas"], "timeseries"), read(runs["nsbas"], "timeseries")
    both = np.isfinite(sbas).all(axis=0) & np.isfinite(nsbas).all(axis=0)
    assert both.mean() > 0.95
    np.testing.assert_allclose(sbas[:, both], nsbas[:, both], rtol=0, atol=1e-5)
    assert np.all(read(runs["sbas"], "numComponent")[both] == 1)


def test_residuals_small_and_basin_subsides(runs) -> None:
    rms = read(runs["sbas"], "residualRMS")
    assert np.nanmedian(rms) < 0.003                          # m: ~1.4 mm (0.3 rad)
    assert np.nanmedian(read(runs["sbas"], "temporalCoherence")) > 0.9
    vel = read(runs["sbas"], "velocity")
    assert np.nanpercentile(vel, 5) < -0.2                    # tens of cm/yr of LOS subsidence in the basin
    assert np.nanmedian(vel[:, 85:]) < -0.15
    assert abs(np.nanmedian(vel[:, :12])) < 0.02              # hills in the west: stable
    assert np.nanmin(vel) > -0.5


def test_equals_an_independent_dense_solve(runs) -> None:
    stack = open_ifgram_stack(DATA)
    with h5py.File(runs["sbas"] / "timeseries.h5") as f:
        ts = f["timeseries"][:]
        ref_y, ref_x = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
        wavelength = float(f.attrs["WAVELENGTH"])
    phase, _coh = stack.read()
    phase = phase - phase[:, ref_y:ref_y + 1, ref_x:ref_x + 1]
    pick = (slice(None), slice(0, None, 5), slice(0, None, 7))
    obs = phase[pick].reshape(30, -1).T
    ref = solve_network_numpy(obs, Network.from_date12(stack.date12), "sbas")
    expected = (ref.ts.T * (-wavelength / (4 * np.pi))).reshape(13, *ts[pick].shape[1:])
    ok = np.isfinite(expected).all(axis=0)
    assert ok.mean() > 0.95
    np.testing.assert_allclose(ts[pick][:, ok], expected[:, ok], rtol=0, atol=1e-6)
