"""The command line and its errors (issue 8, items 11-15): every template problem at once, read-only folders
found before any work, options of every script built one way, errors in the log, stale temporaries removed,
and a second run that rewrites nothing."""

from __future__ import annotations

import importlib
import logging
import os
import re
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import mimtpy
from mimtpy import steps
from mimtpy.api import plan_step
from mimtpy.app import parse_template
from mimtpy.cli import app as app_cli
from mimtpy.cli import concatenate_tracks, generate_horzvert, synthetic_s1, track_offset
from mimtpy.cli.common import FIXED_COUNT, _TemplateOption, option_flag, section_values
from mimtpy.context import RunContext
from mimtpy.errors import TemplateError
from mimtpy.io import write_h5
from mimtpy.io.atomic import STALE_AGE, atomic_output, remove_stale_parts

SMALL = """\
mimtpy.compute.maxMemory   = 0.05
mimtpy.synthetic           = yes
mimtpy.synthetic.tracks    = asc, desc
mimtpy.synthetic.SNWE      = 34.0 34.3 -118.3 -118.0
mimtpy.synthetic.pixelSize = 0.006
mimtpy.synthetic.endDate   = 20180601
mimtpy.synthetic.fault     = 34.15 -118.15 120 0.02 8
"""


def project(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "project.template"
    path.write_text(text)
    return path


def line_of(template: Path, start: str) -> int:
    return next(i for i, ln in enumerate(template.read_text().splitlines(), 1) if ln.startswith(start))


@pytest.fixture
def read_only(monkeypatch):
    """Make a folder read-only. Root ignores permission bits, so for root the check a normal user's system makes
    (``os.access``) is answered as for that user; the folder's mode is 0555 either way."""
    folders: list[Path] = []
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        inside = any(os.path.abspath(path) == str(f) or os.path.abspath(path).startswith(f"{f}{os.sep}")
                     for f in folders)
        if inside and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    if os.geteuid() == 0:
        monkeypatch.setattr(os, "access", access)

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        folders.append(folder.absolute())
        return folder

    yield make
    for folder in folders:
        folder.chmod(0o755)


# ------------------------------------------------------------------------------------------------ item 11

def test_misspelt_key_bad_value_and_missing_input_are_reported_together(tmp_path, capsys):
    text = ("mimtpy.velcumu = yes\n"
            "mimtpy.velcumu.DataSet = nowhere/S1_x.he5\n"
            "mimtpy.velcumu.tpye = velocity\n"
            "mimtpy.velcumu.minEpochs = many\n")
    template = project(tmp_path / "proj", text)
    for extra in ([], ["--dry-run"]):
        assert app_cli.main([str(template), *extra]) == 2
        lines = [ln.strip() for ln in capsys.readouterr().err.splitlines() if ln.strip().startswith(str(template))]
        assert [ln.split(":")[1] for ln in lines] == ["2", "3", "4"], lines
        assert lines[0].startswith(f"{template}:2: mimtpy.velcumu.DataSet:") and "nowhere/S1_x.he5" in lines[0]
        assert lines[1].startswith(f"{template}:3: mimtpy.velcumu.tpye:") and "did you mean" in lines[1]
        assert lines[2].startswith(f"{template}:4: mimtpy.velcumu.minEpochs: 'many' is not an integer")
    assert not (tmp_path / "proj" / "mimtpy.log").exists()
    # a bad step switch does not hide the step's other problems
    template.write_text(text.replace("mimtpy.velcumu = yes", "mimtpy.velcumu = maybe"))
    assert app_cli.main([str(template), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{template}:1: mimtpy.velcumu: 'maybe' is not yes/no" in err
    assert f"{template}:2: mimtpy.velcumu.DataSet" in err


@pytest.mark.parametrize("section, keys, key", [
    ("velcumu", "startDate = 20190101\nmimtpy.velcumu.endDate = 20180101\nmimtpy.velcumu.DataSet = a.he5", "endDate"),
    ("horzvert", "startDate = 20190101\nmimtpy.horzvert.endDate = 20190101", "endDate"),
    ("gridsearch", "startDate = 20190101\nmimtpy.gridsearch.endDate = 20180101", "endDate"),
    ("synthetic", "startDate = 20190101\nmimtpy.synthetic.endDate = 20180101", "endDate"),
    ("kite", "date = 20190101_20180101", "date"),
    ("subtract", "date = 20190101_20180101", "date"),
])
def test_an_empty_period_is_a_plan_problem_of_every_step_with_a_period(tmp_path, section, keys, key):
    cfg = parse_template(f"mimtpy.{section}.{keys}\n", tmp_path / "t.template").configs[section]
    plan = plan_step(steps.get(section), cfg, RunContext(tmp_path))
    assert [m for k, m in plan.problems if k == key and "is not after" in m], plan.problems


def test_dry_run_finds_mask_maybe_and_an_unwritable_output_folder(tmp_path, capsys):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "blocker").write_text("a file, not a folder")
    text = SMALL + ("mimtpy.velcumu = yes\n"
                    "mimtpy.velcumu.DataSet = synthetic/SynthSenAT100\n"
                    "mimtpy.velcumu.mask = maybe\n"
                    "mimtpy.velcumu.outdir = blocker/vel\n")
    template = project(tmp_path / "proj", text)
    assert app_cli.main([str(template), "--dry-run"]) == 2
    err = capsys.readouterr().err
    mask, outdir = line_of(template, "mimtpy.velcumu.mask"), line_of(template, "mimtpy.velcumu.outdir")
    assert f"{template}:{mask}: mimtpy.velcumu.mask: '{tmp_path / 'proj' / 'maybe'}' is neither yes/no nor an " \
           "existing file" in err
    assert f"{template}:{outdir}: mimtpy.velcumu.outdir: cannot write to {tmp_path / 'proj' / 'blocker' / 'vel'}" in err
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == ["blocker", "project.template"]


# ------------------------------------------------------------------------------------------------ item 12

def test_read_only_output_folders_are_found_before_any_work(tmp_path, capsys, read_only, noisy_pair):
    locked = read_only(tmp_path / "locked")
    # the App: the plan names the folder; the synthetic step before it did not run
    template = project(tmp_path / "proj", SMALL + "mimtpy.velcumu = yes\nmimtpy.velcumu.DataSet = "
                       f"synthetic/SynthSenAT100\nmimtpy.velcumu.outdir = {locked}/vel\n")
    assert app_cli.main([str(template)]) == 2
    assert f"mimtpy.velcumu.outdir: cannot write to {locked}/vel ({locked} is not writable" in capsys.readouterr().err
    assert not (tmp_path / "proj" / "synthetic").exists()
    # a step script and the Python API
    assert generate_horzvert.main([*map(str, noisy_pair), "--outdir", str(locked / "hv")]) == 2
    assert f"cannot write to {locked}/hv" in capsys.readouterr().err
    with pytest.raises(TemplateError, match=f"outdir: cannot write to {locked}/v"):
        mimtpy.run("velcumu", DataSet=[noisy_pair[0]], outdir=locked / "v")
    # a script without a step plan checks its output folder before reading anything
    assert track_offset.main([*map(str, noisy_pair), "-o", str(locked / "pair.png")]) == 2
    assert f"{locked} is not writable" in capsys.readouterr().err
    assert sorted(locked.iterdir()) == []


def test_read_only_project_folder_runs_without_a_log_file(tmp_path, capsys, read_only, noisy_pair):
    out = tmp_path / "out"
    proj = tmp_path / "proj"
    project(proj, f"mimtpy.velcumu = yes\nmimtpy.velcumu.DataSet = {noisy_pair[0]}\n"
                  f"mimtpy.velcumu.outdir = {out}\nmimtpy.velcumu.geotiff = no\n")
    read_only(proj)
    assert app_cli.main([str(proj / "project.template")]) == 0
    err = capsys.readouterr().err
    assert f"cannot write the log file {proj / 'mimtpy.log'}" in err and "Traceback" not in err
    assert not (proj / "mimtpy.log").exists() and len(list(out.glob("velocity_*.h5"))) == 1


# ------------------------------------------------------------------------------------------------ item 13

def _scripts() -> dict[str, object]:
    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.value.startswith("mimtpy.")}
    assert len(scripts) >= 20
    return {name: importlib.import_module(target.split(":")[0]) for name, target in scripts.items()}


def test_every_option_of_every_script_follows_one_style():
    kebab = re.compile(r"^--[a-z0-9]+(-[a-z0-9]+)*$")
    for name, module in _scripts().items():
        parser = module.build_parser()
        text = parser.format_help()
        assert "`" not in text, name
        flags = {s for a in parser._actions for s in a.option_strings}
        assert {"--force", "-q", "--verbose"} <= flags, name
        for action in parser._actions:
            hidden = set(getattr(action, "hidden_aliases", ()))
            shown = [s for s in action.option_strings if s.startswith("--") and s not in hidden]
            assert all(kebab.match(s) for s in shown), (name, action.option_strings)
            assert all(s not in text.replace(",", " ").split() for s in hidden), (name, hidden)
            assert "`" not in (action.help or ""), (name, action.dest)
            if action.choices:
                assert "{" + ",".join(action.choices) + "}" in text, (name, action.dest)
            if not isinstance(action, _TemplateOption) or action.nargs == 0:
                continue
            meta = action.template_meta                                  # the key's declaration in its model
            kind, count = meta["kind"], meta["count"]
            if kind in FIXED_COUNT:
                assert action.nargs == len(FIXED_COUNT[kind]), (name, action.dest)
            elif kind == "floats" and count:
                assert action.nargs == count, (name, action.dest)
            elif kind in ("paths", "words", "floats"):
                assert action.nargs == "+", (name, action.dest)
            else:
                assert action.nargs is None, (name, action.dest)         # scalars take one value
            for choice in meta["choices"]:
                assert choice in action.metavar, (name, action.dest)


def test_options_before_or_after_the_files_and_camel_case_aliases():
    spec = steps.get("horzvert").config
    for argv in (["--outdir", "hv", "a.h5", "b.h5", "--start-date", "20170101"],
                 ["a.h5", "b.h5", "--outdir", "hv", "--startDate", "20170101"],
                 ["--SNWE", "34", "35", "-118", "-117", "--outdir", "hv", "a.h5", "b.h5"]):
        args = generate_horzvert.build_parser().parse_args(argv)
        assert args.tracks == ["a.h5", "b.h5"] and args.outdir == "hv", argv
    assert section_values(args, spec) == {"snwe": "34 35 -118 -117", "outdir": "hv"}
    assert option_flag("startDate") == "--start-date" and option_flag("maxMemory") == "--max-memory"
    assert option_flag("referencepoint") == "--referencepoint" and option_flag("seedCRS") == "--seed-crs"
    args = concatenate_tracks.build_parser().parse_args(["--rewrite", "a.h5", "b.h5"])
    assert args.force is True and args.tracks == ["a.h5", "b.h5"]
    args = synthetic_s1.build_parser().parse_args(["--no-mogi", "--pixelSize", "0.01"])
    assert section_values(args, steps.get("synthetic").config) == {"mogi": "none", "pixel_size": "0.01"}


def test_outdir_before_the_tracks_decomposes_them(noisy_pair, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert generate_horzvert.main(["--outdir", "hv", *map(str, noisy_pair), "-q"]) == 0
    assert (tmp_path / "hv" / "hz.h5").exists() and (tmp_path / "hv" / "up.h5").exists()
    assert capsys.readouterr().out == ""                             # -q: nothing but warnings/errors


# ------------------------------------------------------------------------------------------------ item 14

def test_errors_and_tracebacks_are_written_to_the_log(tmp_path, capsys, monkeypatch):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "notaproduct.h5").write_text("text")
    template = project(tmp_path / "proj", "mimtpy.plot = yes\nmimtpy.plot.DataSet = notaproduct.h5\n")
    assert app_cli.main([str(template)]) == 1
    err = capsys.readouterr().err
    log = (tmp_path / "proj" / "mimtpy.log").read_text()
    assert "notaproduct.h5" in err and "step plot failed" in log and "stopped: " in log and "notaproduct.h5" in log

    def boom(*_args, **_kwargs):
        raise ZeroDivisionError("a bug deep inside")

    monkeypatch.setattr("mimtpy.app.run_step", boom)
    assert app_cli.main([str(template)]) == 3
    err = capsys.readouterr().err
    log = (tmp_path / "proj" / "mimtpy.log").read_text()
    assert "Traceback" not in err and len([ln for ln in err.splitlines() if ln.startswith("mimtpy:")]) == 1
    assert "unexpected error ZeroDivisionError: a bug deep inside" in err and str(template.parent / "mimtpy.log") in err
    assert "Traceback (most recent call last)" in log and "ZeroDivisionError: a bug deep inside" in log
    logging.getLogger().handlers.clear()


def test_stale_temporaries_of_a_killed_run_are_removed_at_the_next_run(tmp_path):
    out = tmp_path / "velocity.h5"
    code = ("import sys, time\nfrom mimtpy.io.atomic import atomic_output\n"
            f"with atomic_output({str(out)!r}) as tmp:\n    tmp.write_bytes(b'half')\n    print(tmp, flush=True)\n"
            "    time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(mimtpy.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    killed = Path(proc.stdout.readline().strip())
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert killed.exists() and killed.name.startswith(".velocity.h5.") and killed.suffix == ".part"
    live = tmp_path / f".velocity.h5.pid{os.getpid()}_{killed.name.split('_', 1)[1]}"     # this process: live
    live.write_bytes(b"live")
    other = tmp_path / killed.name.replace("velocity.h5", "velocityStd.h5")                 # another output
    other.write_bytes(b"other")
    old = tmp_path / ".velocity.h5.abcd1234.part"                                           # no pid, 2 days old
    old.write_bytes(b"old")
    fresh = tmp_path / ".velocity.h5.efgh5678.part"                                         # no pid, recent
    fresh.write_bytes(b"fresh")
    os.utime(old, (time.time() - 2 * STALE_AGE,) * 2)
    import numpy as np

    write_h5(out, {"velocity": np.zeros((2, 3), np.float32)}, {"FILE_TYPE": "velocity"})
    assert not killed.exists() and not old.exists()
    assert live.exists() and other.exists() and fresh.exists() and out.exists()
    assert remove_stale_parts(out) == []
    with atomic_output(tmp_path / "x.txt") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "x.txt").read_text() == "x"


def test_quiet_prints_nothing_on_stdout(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert synthetic_s1.main(["--tracks", "desc", "--snwe", "34.0", "34.1", "-118.1", "-118.0", "--pixel-size",
                              "0.01", "--end-date", "20170601", "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert len(list(tmp_path.glob("synthetic/SynthSenDT*/mintpy/S1_*.he5"))) == 1


# ------------------------------------------------------------------------------------------------ item 15

def test_a_second_app_run_rewrites_nothing_and_says_so_for_every_step(tmp_path, capsys):
    text = SMALL + """\
mimtpy.velcumu             = yes
mimtpy.velcumu.DataSet     = synthetic/SynthSenAT100, synthetic/SynthSenDT151
mimtpy.horzvert            = yes
mimtpy.horzvert.DataSet    = synthetic/SynthSenAT100, synthetic/SynthSenDT151
mimtpy.transects           = yes
mimtpy.transects.DataSet   = horzvert/hz.h5, horzvert/up.h5
mimtpy.transects.fault     = synthetic/fault_trace.gmt
mimtpy.transects.length    = 8
mimtpy.plot                = yes
mimtpy.plot.dpi            = 50
"""
    template = project(tmp_path / "proj", text)

    def files() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in (tmp_path / "proj").rglob("*")
                if p.is_file() and p.name != "mimtpy.log"}

    assert app_cli.main([str(template)]) == 0
    first_err = capsys.readouterr().err
    before = files()
    time.sleep(0.05)
    assert app_cli.main([str(template)]) == 0
    err = capsys.readouterr().err
    assert files() == before                                          # nothing written, nothing removed
    for step in ("synthetic", "velcumu", "horzvert", "transects", "plot"):
        assert len(re.findall(rf"step {step}: up to date, skipped", err)) == 1, step
    panels = [ln for ln in first_err.splitlines() if ln.startswith("INFO: overview of")]
    assert len(panels) == 1 and "cond.h5" in panels[0]
    assert panels == [ln for ln in err.splitlines() if ln.startswith("INFO: overview of")]
    assert (tmp_path / "proj" / "overview.png").stat().st_mtime_ns == before[tmp_path / "proj" / "overview.png"]


def test_every_step_checks_the_folders_its_outputs_go_to(tmp_path, read_only):
    folder = tmp_path / "products"
    folder.mkdir()
    (folder / "velocity.h5").write_bytes(b"")
    read_only(folder)
    ctx = RunContext(tmp_path)
    for section, text in (("plot", "DataSet = products/velocity.h5\nmimtpy.plot.overview = no"),   # figures beside
                          ("netcdf", "DataSet = products/velocity.h5")):                               # cube beside
        cfg = parse_template(f"mimtpy.{section}.{text}\n", tmp_path / "t.template").configs[section]
        problems = plan_step(steps.get(section), cfg, ctx).problems
        assert [m for k, m in problems if k == "outdir" and f"cannot write to {folder}" in m], (section, problems)
    locked = read_only(tmp_path / "proj")
    cfg = parse_template("mimtpy.plot.DataSet = ../products/velocity.h5\nmimtpy.plot.outdir = ../maps\n",
                         locked / "t.template").configs["plot"]
    assert plan_step(steps.get("plot"), cfg, RunContext(locked)).problems == []          # overview in ../maps
    cfg = parse_template("mimtpy.plot.DataSet = ../maps/a.h5, ../maps/b.h5\n", locked / "t.template").configs["plot"]
    problems = plan_step(steps.get("plot"), cfg, RunContext(locked)).problems
    assert [m for k, m in problems if k == "overview" and f"cannot write the overview figure to {locked}" in m]


def test_the_examples_in_every_scripts_help_parse():
    import contextlib
    import io
    import shlex

    count = 0
    for name, module in _scripts().items():
        parser = module.build_parser()
        for line in (parser.epilog or "").replace("\\\n", " ").splitlines():
            line = line.strip().split(" #")[0]
            if not line.startswith(name + " ") or " ... " in line:
                continue
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                try:
                    parser.parse_args(shlex.split(line)[1:])
                except SystemExit:
                    pytest.fail(f"{line}: {err.getvalue().strip()}")
            count += 1
    assert count > 40
