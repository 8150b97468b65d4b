"""The datacube steps as steps: plan() finds problems before anything runs, configs have real defaults,
step modules import without numpy (for fast --help)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mimtpy.context import RunContext
from mimtpy.datacube import netcdf, strain, track


def test_steps_are_declared():
    for module, name, script in ((netcdf, "netcdf", "save_netcdf.py"), (strain, "strain", "strain_rates.py"),
                                 (track, "track", "track_particles.py")):
        assert module.STEP.name == name and module.STEP.group == "datacube" and module.STEP.scripts == (script,)
        assert module.STEP.config.SECTION == name


def test_step_modules_import_light():
    code = ("import sys; import mimtpy.datacube.netcdf, mimtpy.datacube.strain, mimtpy.datacube.track; "
            "heavy = [m for m in ('numpy', 'h5py', 'matplotlib', 'xarray') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_defaults():
    cfg = strain.StrainConfig()
    assert (cfg.method, cfg.upscale, cfg.composite, cfg.annual, cfg.outdir) == ("nominal", 1, "auto", False,
                                                                               Path("strain"))
    assert track.TrackConfig().method == "rk2" and track.TrackConfig().step == 10.0
    assert netcdf.NetcdfConfig().format == "netcdf" and netcdf.NetcdfConfig().alignsar is False


def test_plans_report_problems_before_running(tmp_path):
    ctx = RunContext(tmp_path)
    plan = strain.plan(strain.StrainConfig(dataset=("missing.nc",), period="2019_2018", season="13"), ctx)
    keys = [k for k, _ in plan.problems]
    assert keys == ["DataSet", "period", "season"]
    assert "missing.nc not found" in plan.problems[0][1]
    plan = track.plan(track.TrackConfig(dataset=("a.tif", "b.tif", "c.tif")), ctx)
    assert {k for k, _ in plan.problems} >= {"DataSet", "seeds"}
    plan = netcdf.plan(netcdf.NetcdfConfig(), ctx)
    assert plan.problems == [("DataSet", "no product to export")]
    src = tmp_path / "in.tif"
    src.write_bytes(b"")
    plan = netcdf.plan(netcdf.NetcdfConfig(dataset=(str(src),), outdir=Path("cubes"), format="zarr"), ctx)
    assert plan.problems == [] and plan.outputs == [tmp_path / "cubes" / "in.zarr"]
    assert not (tmp_path / "cubes").exists()            # planning writes nothing
