"""The App: a template -> typed step configs -> the enabled steps, in order.

``MimtpyApp(template).run(start=..., end=..., dostep=...)``; the command line is
``mimtpyApp.py`` (:mod:`mimtpy.cli.app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mimtpy.analysis import concatenation, horzvert, transects
from mimtpy.basic import plot, velcumu
from mimtpy.config import STEP_SECTIONS, SectionConfig
from mimtpy.context import RunContext
from mimtpy.errors import InputError, TemplateError
from mimtpy.template import Template, read_template
from mimtpy.tools import synthetic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One step of the App: its template section, module group and library function."""

    name: str
    module: str
    run: Callable[[SectionConfig, RunContext], list[Path]]


#: all steps, in the order they run (a test keeps this in step with config.STEP_SECTIONS)
STEPS: list[Step] = [
    Step("synthetic", "tools", synthetic.run),
    Step("velcumu", "basic", velcumu.run),
    Step("horzvert", "analysis", horzvert.run),
    Step("concatenation", "analysis", concatenation.run),
    Step("transects", "analysis", transects.run),
    Step("plot", "basic", plot.run),
]
STEP_NAMES = [s.name for s in STEPS]
assert STEP_NAMES == [s.SECTION for s in STEP_SECTIONS]


def select_steps(template: Template, dostep: str | None = None, start: str | None = None,
                 end: str | None = None) -> list[Step]:
    """The enabled steps within --start/--end (or only --dostep); TemplateError for unknown names."""
    for name in (dostep, start, end):
        if name is not None and name not in STEP_NAMES:
            raise TemplateError(f"unknown step '{name}'. Available steps: {', '.join(STEP_NAMES)}")
    if dostep:
        if not template.enabled[dostep]:
            raise TemplateError(f"{template.where(dostep)}: step '{dostep}' is not enabled; set mimtpy.{dostep} = yes")
        return [s for s in STEPS if s.name == dostep]
    first = STEP_NAMES.index(start) if start else 0
    last = STEP_NAMES.index(end) if end else len(STEPS) - 1
    if first > last:
        raise TemplateError(f"--start {start} comes after --end {end}. Steps run in order: {', '.join(STEP_NAMES)}")
    return [s for s in STEPS[first:last + 1] if template.enabled[s.name]]


def plan(template: Template, steps: list[Step]) -> list[tuple[Step, list[str]]]:
    """Check the inputs of every selected step; raise TemplateError listing all that are missing.

    Returns, per step, lines describing its inputs and outputs (for --dry-run).
    """
    base = template.project_dir
    problems: list[str] = []
    planned: list[Path] = []
    lines: list[tuple[Step, list[str]]] = []
    for step in steps:
        cfg = template.configs[step.name]
        info: list[str] = []
        if step.name == "synthetic":
            try:
                folders = synthetic.planned_outputs(cfg, base)
            except InputError as err:
                problems.append(f"{template.where('synthetic', 'tracks')}: {err}")
                folders = []
            planned += folders
            info += [f"writes {f}/S1_*.he5 + truth.h5" for f in folders]
        elif step.name == "velcumu":
            found, missing = velcumu.planned_inputs(cfg, base, planned)
            problems += [f"{template.where('velcumu', 'dataset')}: {m}" for m in missing]
            info += [f"reads {p}" for p in found]
            for kind in cfg.type:
                info.append(f"writes {kind}_<D1>_<D2>.h5{' + .tif' if cfg.geotiff else ''} "
                            f"under {cfg.outdir or '<project>/mintpy/' + kind + '/'}")
        elif step.name == "horzvert":
            info += _plan_multitrack(template, "horzvert", cfg, base, planned, problems)
            names = ["hz", "up"] + (["north"] if cfg.north else [])
            suffix = "_timeseries.h5" if cfg.timeseries else ".h5 + .tif"
            info.append(f"writes {', '.join(n + suffix for n in names)} under {cfg.outdir or base / 'horzvert'}")
            planned.append(cfg.outdir or base / "horzvert")
        elif step.name == "concatenation":
            info += _plan_multitrack(template, "concatenation", cfg, base, planned, problems)
            info.append(f"writes {cfg.outname or '<dataname>_mosaic'}.h5 + overlap report under "
                        f"{cfg.outdir or base / 'concatenation'}")
            planned.append(cfg.outdir or base / "concatenation")
        elif step.name == "transects":
            for entry in cfg.dataset or ():
                path = Path(entry) if Path(entry).is_absolute() else base / entry
                if not path.exists() and not _is_planned(path, planned):
                    problems.append(f"{template.where('transects', 'dataset')}: mimtpy.transects.DataSet: "
                                    f"{path} not found")
            if not cfg.dataset:
                problems.append(f"{template.where('transects', 'dataset')}: mimtpy.transects.DataSet: no file given")
            problems += _missing_files(template, "transects", {"fault": cfg.fault, "gnss": cfg.gnss}, planned)
            if not cfg.fault and not (cfg.start and cfg.end):
                problems.append(f"{template.where('transects')}: mimtpy.transects: give fault, or start and end")
            info.append(f"writes {cfg.outname or 'transects'}.csv/.h5/.png under {cfg.outdir or base / 'transects'}")
        elif step.name == "plot":
            for entry in cfg.dataset or ():
                path = Path(entry) if Path(entry).is_absolute() else base / entry
                if not path.exists() and not _is_planned(path, planned):
                    problems.append(f"{template.where('plot', 'dataset')}: mimtpy.plot.DataSet: {path} not found")
            problems += _missing_files(template, "plot", {"fault": cfg.fault, "gnss": cfg.gnss, "dem": cfg.dem,
                                                          "shpdir": cfg.shpdir}, planned)
            info.append(f"draws {', '.join(cfg.dataset) if cfg.dataset else 'the products of the steps before'}"
                        f" as {cfg.format}")
        lines.append((step, info))
    if problems:
        raise TemplateError(problems)
    return lines


def _missing_files(template: Template, section: str, files: dict[str, Path | None], planned: list[Path]) -> list[str]:
    """Problems for input files of a step that neither exist nor will be made by an earlier step."""
    return [f"{template.where(section, key)}: mimtpy.{section}.{key}: {path} not found"
            for key, path in files.items() if path and not path.exists() and not _is_planned(path, planned)]


def _is_planned(path: Path, planned: list[Path]) -> bool:
    """Whether ``path`` lies in a project folder an earlier step of this run will create, or in
    the output folder of an earlier analysis step."""
    text = str(path.resolve())
    return any(text.startswith(str(p.parent.parent.resolve() if p.name == "mintpy" else p.resolve()))
               for p in planned)


def _plan_multitrack(template: Template, section: str, cfg, base: Path, planned: list[Path],
                     problems: list[str]) -> list[str]:
    """Inputs of a step that takes several tracks: found now, or made by an earlier step."""
    where = template.where(section, "dataset")
    if not cfg.dataset or len(cfg.dataset) < 2:
        problems.append(f"{where}: mimtpy.{section}.DataSet: give two or more tracks")
        return []
    info = []
    for entry in cfg.dataset:
        path = Path(entry) if Path(entry).is_absolute() else base / entry
        if path.exists() or _is_planned(path, planned):
            info.append(f"reads {path}")
        else:
            problems.append(f"{where}: mimtpy.{section}.DataSet: {path} not found")
    return info


class MimtpyApp:
    """Run a template: ``MimtpyApp('project.template').run()``."""

    def __init__(self, template_path: str | Path, force: bool = False):
        self.template = read_template(template_path)
        compute = self.template.configs["compute"]
        self.ctx = RunContext(self.template.project_dir, compute=compute, force=force)

    def check(self, dostep: str | None = None, start: str | None = None, end: str | None = None) -> list[Step]:
        """Select the steps and check their inputs (TemplateError listing every problem); log the plan."""
        steps = select_steps(self.template, dostep, start, end)
        steps_plan = plan(self.template, steps)
        if not steps:
            logger.warning("no step enabled in %s (enable one with mimtpy.<step> = yes; steps: %s)",
                           self.template.path, ", ".join(STEP_NAMES))
        for step, info in steps_plan:
            logger.info("step %s (%s)%s", step.name, step.module, "".join(f"\n    {i}" for i in info))
        return steps

    def run(self, dostep: str | None = None, start: str | None = None, end: str | None = None,
            dry_run: bool = False) -> list[Path]:
        """Check, then run the selected steps in order; with ``dry_run`` only check and log the plan."""
        steps = self.check(dostep, start, end)
        return [] if dry_run else self.execute(steps)

    def execute(self, steps: list[Step]) -> list[Path]:
        """Run already checked steps; returns every output written or found up to date."""
        for step in steps:
            logger.info("---- running step %s ----", step.name)
            outputs = step.run(self.template.configs[step.name], self.ctx)
            self.ctx.produced += outputs
        return list(self.ctx.produced)
