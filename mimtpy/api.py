"""The Python API: every step as a function call with the template's keys.

>>> import mimtpy
>>> mimtpy.run("velcumu", DataSet=["S1_IW123_100_0001_0001_20170103_20191219.he5"], type="velocity",
...            outdir="vel")                                                       # doctest: +SKIP
[PosixPath('vel/velocity_20170103_20191219.h5'), PosixPath('vel/velocity_20170103_20191219.tif')]

Keys are the template keys of the step's section (case-insensitive, ``DataSet`` = ``dataset``),
validated exactly like a template; values are Python objects (lists, tuples, numbers, bools, paths)
or template text. The App and every script go through :func:`run_config`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mimtpy import steps
from mimtpy.config import ComputeConfig
from mimtpy.context import Plan, RunContext, Step
from mimtpy.errors import TemplateError
from mimtpy.template import config_from_values

logger = logging.getLogger(__name__)


def run(step: str, /, *, compute: Mapping[str, Any] | None = None, force: bool = False,
        project_dir: str | Path | None = None, **keys: Any) -> list[Path]:
    """Run one step with template keys as keywords; returns the files written (or found up to date).

    ``compute`` holds ``mimtpy.compute.*`` keys (``maxMemory``, ``cluster``, ``numWorker``);
    ``project_dir`` is the folder relative paths are taken from (default: the current folder);
    ``force`` recomputes outputs that are up to date. Problems raise TemplateError, all together,
    each naming the key as a template would (without file:line).
    """
    spec = steps.get(step)
    base = Path(project_dir).expanduser().absolute() if project_dir else Path.cwd()
    source = f"mimtpy.run('{spec.name}')"
    cfg = config_from_values(spec.config, keys, base, source)
    compute_cfg = config_from_values(ComputeConfig, compute or {}, base, f"{source} compute")
    return run_config(spec, cfg, RunContext(base, compute=compute_cfg, force=force), source)


def key_label(spec: Step, key: str) -> str:
    """A template key of ``spec`` spelled as its config model declares it (``dataset`` -> ``DataSet``)."""
    for name, meta in spec.config.options():
        if key.lower() in (name.lower(), meta["key"].lower()):
            return meta["key"]
    return key


def plan_problems(spec: Step, plan: Plan, where: str) -> list[str]:
    """The problems of a plan as messages ``<where>: <key>: <message>``."""
    return [f"{where}: {key_label(spec, key) + ': ' if key else ''}{message}" for key, message in plan.problems]


def plan_step(spec: Step, cfg: Any, ctx: RunContext) -> Plan:
    """The step's plan plus the checks every step shares (:meth:`Plan.check_options`)."""
    plan = spec.plan(cfg, ctx)
    plan.check_options(ctx, cfg)
    return plan


def run_step(spec: Step, cfg: Any, ctx: RunContext,
             work: Callable[[], list[Path]] | None = None) -> list[Path]:
    """Run a planned step (or ``work``, a script's own use of it); one log line says when all its outputs were
    found up to date (nothing rewritten)."""
    before = len(ctx.current)
    outputs = work() if work else spec.run(cfg, ctx)
    current = set(ctx.current[before:])
    if outputs and all(p in current for p in outputs):
        logger.info("step %s: up to date, skipped (%d output(s); --force recomputes)", spec.name, len(outputs))
    elif current:
        logger.info("step %s: %d of %d output(s) up to date, the others written", spec.name,
                    sum(p in current for p in outputs), len(outputs))
    return outputs


def check_plan(spec: Step, cfg: Any, ctx: RunContext, source: str) -> Plan:
    """The step's plan; TemplateError with every problem it finds (before any work)."""
    plan = plan_step(spec, cfg, ctx)
    problems = plan_problems(spec, plan, source)
    if problems:
        raise TemplateError(problems)
    return plan


def run_config(spec: Step, cfg: Any, ctx: RunContext, source: str) -> list[Path]:
    """Plan (raising TemplateError with every problem) and run one step with a ready config."""
    check_plan(spec, cfg, ctx, source)
    return run_step(spec, cfg, ctx)
