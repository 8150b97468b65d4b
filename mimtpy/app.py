"""The App: a template -> typed step configs -> the enabled steps, in order.

``MimtpyApp(template).run(start=..., end=..., dostep=...)``; the command line is ``mimtpyApp.py``
(:mod:`mimtpy.cli.app`). The App names no step: steps, their order and their sections come from
:mod:`mimtpy.steps`; each step's ``plan`` reports its inputs, outputs and problems before anything runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mimtpy import steps
from mimtpy.api import key_label, plan_step, run_step
from mimtpy.context import LOG_FILE_ONLY, RunContext, Step
from mimtpy.errors import TemplateError
from mimtpy.template import Template, line_of
from mimtpy.template import parse_template_text as _parse
from mimtpy.template import read_template as _read

logger = logging.getLogger(__name__)


def read_template(path: str | Path, collect: bool = False) -> Template:
    """Read a template file against the registered sections (TemplateError lists every problem; with
    ``collect`` they are kept in ``Template.problems``)."""
    return _read(path, steps.sections(), collect)


def parse_template(text: str, path: str | Path = "<template>") -> Template:
    """Parse template text against the registered sections; relative paths from the folder of ``path``."""
    return _parse(text, path, steps.sections())


def select_steps(template: Template, dostep: str | None = None, start: str | None = None,
                 end: str | None = None) -> list[Step]:
    """The enabled steps within --start/--end (or only --dostep); TemplateError for unknown names."""
    order = steps.names()
    for name in (dostep, start, end):
        if name is not None:
            steps.get(name)
    if dostep:
        if not template.enabled[dostep.lower()]:
            raise TemplateError(f"{template.where(dostep)}: step '{dostep}' is not enabled; set mimtpy.{dostep} = yes")
        return [steps.get(dostep)]
    first = order.index(start.lower()) if start else 0
    last = order.index(end.lower()) if end else len(order) - 1
    if first > last:
        raise TemplateError(f"--start {start} comes after --end {end}. Steps run in order: {', '.join(order)}")
    return [s for s in steps.steps()[first:last + 1] if template.enabled[s.name]]


class MimtpyApp:
    """Run a template: ``MimtpyApp('project.template').run()``."""

    def __init__(self, template_path: str | Path, force: bool = False):
        self.template = read_template(template_path, collect=True)
        compute = self.template.configs["compute"]
        self.ctx = RunContext(self.template.project_dir, compute=compute, force=force)

    def plan(self, selected: list[Step]) -> list[tuple[Step, list[str]]]:
        """Every selected step's plan, in order (outputs of earlier steps count as found); TemplateError
        with every problem of the template (unknown keys, bad values) and of every step's plan, together,
        ordered by line. Returns per step the lines describing its inputs and outputs."""
        problems: list[str] = list(self.template.problems)
        described = []
        self.ctx.planned = []
        for step in selected:
            cfg = self.template.configs[step.name]
            plan = plan_step(step, cfg, self.ctx)
            for key, message in plan.problems:
                label = f"mimtpy.{step.name}" + (f".{key_label(step, key)}" if key else "")
                if label.lower() in {f"mimtpy.{b}" for b in self.template.bad}:
                    continue            # its bad value is reported already (the plan saw the default)
                problems.append(f"{self.template.where(step.name, key)}: {label}: {message}")
            self.ctx.planned += plan.outputs
            described.append((step, [f"reads {p}" for p in plan.inputs] + plan.notes))
        if problems:
            raise TemplateError(sorted(problems, key=line_of))
        return described

    def check(self, dostep: str | None = None, start: str | None = None, end: str | None = None) -> list[Step]:
        """Select the steps and check their plans (TemplateError listing every problem); log the plan."""
        selected = select_steps(self.template, dostep, start, end)
        described = self.plan(selected)
        if not selected:
            logger.warning("no step enabled in %s (enable one with mimtpy.<step> = yes; steps: %s)",
                           self.template.path, ", ".join(steps.names()))
        for step, info in described:
            logger.info("step %s (%s)%s", step.name, step.group, "".join(f"\n    {i}" for i in info))
        return selected

    def run(self, dostep: str | None = None, start: str | None = None, end: str | None = None,
            dry_run: bool = False) -> list[Path]:
        """Check, then run the selected steps in order; with ``dry_run`` only check and log the plan."""
        selected = self.check(dostep, start, end)
        return [] if dry_run else self.execute(selected)

    def execute(self, selected: list[Step]) -> list[Path]:
        """Run already checked steps; returns every output written or found up to date."""
        for step in selected:
            logger.info("---- running step %s ----", step.name)
            try:
                outputs = run_step(step, self.template.configs[step.name], self.ctx)
            except BaseException:
                logger.error("step %s failed", step.name, extra=LOG_FILE_ONLY)
                raise
            self.ctx.produced += outputs
        return list(self.ctx.produced)
