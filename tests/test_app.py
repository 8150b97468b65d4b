"""The App and the scripts end to end: steps in order, plan, skip/force, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mimtpy import __version__, steps
from mimtpy.app import MimtpyApp
from mimtpy.cli import app as app_cli
from mimtpy.cli import hdfeos_to_geotiff, plot_geotiff, synthetic_s1
from mimtpy.core.dates import nearest_index
from mimtpy.docgen import render_default_template
from mimtpy.io import open_product

BIN = Path(sys.executable).parent

TEMPLATE = """\
mimtpy.compute.maxMemory   = 0.05
mimtpy.synthetic           = yes
mimtpy.synthetic.tracks    = asc, desc
mimtpy.synthetic.SNWE      = 34.0 34.3 -118.3 -118.0
mimtpy.synthetic.pixelSize = 0.004
mimtpy.synthetic.endDate   = 20180601
mimtpy.velcumu             = yes
mimtpy.velcumu.DataSet     = synthetic/SynthSenAT100, synthetic/SynthSenDT151
mimtpy.velcumu.type        = velocity, displacement
mimtpy.plot                = yes
"""


def write_template(folder: Path, text: str = TEMPLATE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "project.template"
    path.write_text(text)
    return path


def test_steps_follow_the_config_sections():
    assert steps.names() == [s.SECTION for s in steps.sections() if s.IS_STEP]
    names = steps.names()
    order = ["synthetic", "inversion", "velcumu", "horzvert", "concatenation", "transects", "plot"]
    assert [n for n in names if n in order] == order and names[0] == "synthetic"
    assert names[-2:] == ["plot", "view"]           # the viewer serves until interrupted: after every product


def test_app_runs_all_enabled_steps_and_writes_products_maps_and_log(tmp_path):
    template = write_template(tmp_path / "proj")
    assert app_cli.main([str(template), "-q"]) == 0
    proj = tmp_path / "proj"
    for track in ("SynthSenAT100", "SynthSenDT151"):
        mintpy = proj / "synthetic" / track / "mintpy"
        (vel,) = (mintpy / "velocity").glob("velocity_*.h5")
        (disp,) = (mintpy / "displacement").glob("displacement_*.h5")
        assert vel.with_suffix(".tif").exists() and vel.with_suffix(".png").exists()
        assert disp.with_suffix(".tif").exists() and disp.with_suffix(".png").exists()
        assert np.isfinite(open_product(vel).read("velocity")).mean() > 0.5
    assert (proj / "overview.png").stat().st_size > 10_000
    log = (proj / "mimtpy.log").read_text()
    assert "running step synthetic" in log and "running step plot" in log


def test_rerun_skips_current_outputs_and_force_reruns(tmp_path):
    template = write_template(tmp_path / "proj")
    app = MimtpyApp(template)
    app.run(end="velcumu")
    vel = next((tmp_path / "proj").glob("synthetic/*AT100/mintpy/velocity/velocity_*.h5"))
    stamp = vel.stat().st_mtime_ns
    MimtpyApp(template).run(end="velcumu")
    assert vel.stat().st_mtime_ns == stamp
    MimtpyApp(template, force=True).run(dostep="velcumu")
    assert vel.stat().st_mtime_ns > stamp
    # a changed setting makes the step run again
    write_template(tmp_path / "proj", TEMPLATE + "mimtpy.velcumu.minEpochs = 4\n")
    stamp = vel.stat().st_mtime_ns
    MimtpyApp(template).run(dostep="velcumu")
    assert vel.stat().st_mtime_ns > stamp


def test_dry_run_writes_nothing_and_prints_the_plan(tmp_path, capsys):
    template = write_template(tmp_path / "proj")
    assert app_cli.main([str(template), "--dry-run"]) == 0
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == ["project.template"]
    err = capsys.readouterr().err
    assert "step synthetic" in err and "reads" in err and "velocity_<D1>_<D2>.h5 + .tif" in err


def test_start_end_and_dostep_select_steps(tmp_path):
    template = write_template(tmp_path / "proj")
    outputs = MimtpyApp(template).run(end="synthetic")
    assert all(p.suffix == ".he5" for p in outputs) and len(outputs) == 2
    outputs = MimtpyApp(template).run(start="velcumu", end="velcumu")
    assert {p.suffix for p in outputs} == {".h5", ".tif"}


def test_unknown_or_disabled_steps_are_reported(tmp_path, capsys):
    template = write_template(tmp_path / "proj", TEMPLATE.replace("mimtpy.plot                = yes", ""))
    assert app_cli.main([str(template), "--dostep", "velcum"]) == 2
    assert f"Available steps: {', '.join(steps.names())}" in (err := capsys.readouterr().err)
    assert "did you mean 'velcumu'" in err
    assert app_cli.main([str(template), "--dostep", "plot"]) == 2
    assert "set mimtpy.plot = yes" in capsys.readouterr().err
    assert app_cli.main([str(template), "--start", "plot", "--end", "synthetic"]) == 2


def test_missing_inputs_are_reported_with_template_line(tmp_path, capsys):
    text = ("mimtpy.velcumu = yes\nmimtpy.velcumu.DataSet = nowhere/S1_x.he5\n"
            "mimtpy.plot = yes\nmimtpy.plot.DataSet = gone.h5\n")
    template = write_template(tmp_path / "proj", text)
    assert app_cli.main([str(template)]) == 2
    err = capsys.readouterr().err
    assert f"{template}:2:" in err and "nowhere/S1_x.he5" in err
    assert f"{template}:4:" in err and "gone.h5 not found" in err
    assert not (tmp_path / "proj" / "mimtpy.log").exists()


def test_three_template_mistakes_exit_2_without_traceback(tmp_path):
    text = TEMPLATE + "mimtpy.velcumu.tpye = velocity\nmimtpy.velcumu.SNWE = 1 2 3\nmimtpy.plot.dpi = many\n"
    template = write_template(tmp_path / "proj", text)
    run = subprocess.run([str(BIN / "mimtpyApp.py"), str(template)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith(f"  {template}:")]
    assert [ln.split(":")[1] for ln in lines] == ["11", "12", "13"]
    assert "did you mean 'mimtpy.velcumu.type'" in lines[0]


def test_help_version_and_default_template(capsys):
    assert app_cli.main(["-H"]) == 0
    assert capsys.readouterr().out == render_default_template()
    with pytest.raises(SystemExit) as exit_info:
        app_cli.main(["--version"])
    assert exit_info.value.code == 0 and __version__ in capsys.readouterr().out
    run = subprocess.run([str(BIN / "HDFEOS_to_geotiff.py"), "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "mimtpy.velcumu.*" in run.stdout and "minEpochs" in run.stdout


def test_scripts_make_synthetic_data_velocity_geometry_and_maps(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert synthetic_s1.main(["--tracks", "desc", "--SNWE", "34.0", "34.2", "-118.2", "-118.0", "--pixelSize",
                              "0.004", "--endDate", "20180101"]) == 0
    he5 = Path(capsys.readouterr().out.split()[0])
    assert he5.exists()
    assert hdfeos_to_geotiff.main([str(he5), "velocity", "--date", "20170201_20171201", "--bbox", "34.05", "34.15",
                                   "-118.15", "-118.05", "--outdir", "vel", "-q"]) == 0
    vel = open_product(next(Path("vel").glob("velocity_*.h5")))
    dates = open_product(he5).dates
    assert vel.attrs["START_DATE"] == dates[nearest_index(dates, "20170201")]
    assert vel.grid.snwe[0] >= 34.04 and vel.grid.snwe[1] <= 34.16
    assert hdfeos_to_geotiff.main([str(he5), "geometry", "--outdir", "geo", "-q"]) == 0
    assert Path("geo/incidenceAngle.tif").exists()
    assert plot_geotiff.main([str(next(Path("vel").glob("velocity_*.tif"))), "--outdir", "pic", "-q"]) == 0
    assert next(Path("pic").glob("*.png")).stat().st_size > 5000
    capsys.readouterr()
    assert hdfeos_to_geotiff.main([str(he5), "velocity", "--date", "2017_2018"]) == 2
    assert "not a date in YYYYMMDD form" in capsys.readouterr().err
    assert hdfeos_to_geotiff.main(["missing.he5", "velocity"]) == 1
    assert "missing.he5" in capsys.readouterr().err


def test_every_console_script_prints_its_help():
    """--help of every installed console script works (MimtPy's help texts crashed on unescaped %)."""
    import importlib
    import io
    from contextlib import redirect_stdout
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.value.startswith("mimtpy.")}
    assert len(scripts) >= 20
    for name, target in scripts.items():
        module, func = target.split(":")
        out = io.StringIO()
        with redirect_stdout(out), pytest.raises(SystemExit) as done:
            getattr(importlib.import_module(module), func)(["--help"])
        assert done.value.code == 0, name
        assert "usage:" in out.getvalue() and len(out.getvalue()) > 200, name


def test_dry_run_finds_dates_outside_the_series_and_quiet_prints_nothing(tmp_path, capsys):
    template = write_template(tmp_path / "proj", TEMPLATE)
    assert app_cli.main([str(template), "-q", "--dostep", "synthetic"]) == 0
    assert capsys.readouterr().out == ""                          # -q: nothing on stdout
    text = TEMPLATE.replace("mimtpy.plot                = yes", "mimtpy.velcumu.startDate = 20100101")
    template = write_template(tmp_path / "proj", text)
    assert app_cli.main([str(template), "--dry-run", "--start", "velcumu"]) == 2
    err = capsys.readouterr().err
    assert f"{template}:10: mimtpy.velcumu.startDate:" in err and "20100101 is outside the series 20170103.." in err
