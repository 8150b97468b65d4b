"""The ordered step registry: the one list the App, the template sections, ``defaults/mimtpyApp.cfg``,
the docs and :func:`mimtpy.run` derive from.

Each entry is the module of one step; the module declares ``STEP = Step(name, group, Config, plan,
run, scripts)`` (:class:`mimtpy.context.Step`). Adding a step = its module + one line here + its
console script. Modules are imported on first use and must be light at import time.
"""

from __future__ import annotations

import functools
import importlib

from mimtpy.config import ComputeConfig, SectionConfig
from mimtpy.context import Step
from mimtpy.errors import TemplateError
from mimtpy.template import nearest

#: step modules in the order the App runs them
STEP_MODULES = (
    "mimtpy.tools.synthetic",
    "mimtpy.inversion.invert",
    "mimtpy.basic.velcumu",
    "mimtpy.analysis.horzvert",
    "mimtpy.analysis.concatenation",
    "mimtpy.analysis.transects",
    "mimtpy.preprocess.kite",
    "mimtpy.preprocess.gbis",
    "mimtpy.preprocess.insamp",
    "mimtpy.preprocess.geodmod",
    "mimtpy.preprocess.roipac",
    "mimtpy.preprocess.subtract",
    "mimtpy.relax.gridsearch",
    "mimtpy.relax.relax",
    "mimtpy.datacube.netcdf",
    "mimtpy.datacube.strain",
    "mimtpy.datacube.track",
    "mimtpy.basic.plot",
    "mimtpy.tools.view",
)
#: sections that configure every step (not steps themselves)
SHARED_SECTIONS: tuple[type[SectionConfig], ...] = (ComputeConfig,)


def register(module_name: str) -> Step:
    """The ``STEP`` of a step module; ValueError when the module declares none or lies outside its group."""
    module = importlib.import_module(module_name)
    step = getattr(module, "STEP", None)
    if not isinstance(step, Step):
        raise ValueError(f"{module_name} declares no STEP = Step(name, group, Config, plan, run)")
    if module_name.split(".")[1] != step.group:
        raise ValueError(f"{module_name}: step {step.name} says group '{step.group}' but lives in "
                         f"mimtpy.{module_name.split('.')[1]}")
    return step


@functools.cache
def steps() -> tuple[Step, ...]:
    """Every registered step, in run order."""
    found = tuple(register(name) for name in STEP_MODULES)
    names = [s.name for s in found]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"steps registered twice: {', '.join(sorted(duplicated))}")
    return found


def names() -> list[str]:
    return [s.name for s in steps()]


def get(name: str) -> Step:
    """The step called ``name`` (case-insensitive); TemplateError listing the steps otherwise."""
    for step in steps():
        if step.name == name.lower():
            return step
    guess = nearest(name, names())
    hint = f"; did you mean '{guess}'?" if guess else ""
    raise TemplateError(f"unknown step '{name}'. Available steps: {', '.join(names())}{hint}")


def sections() -> list[type[SectionConfig]]:
    """Config models of every template section: the shared ones, then one per step in run order."""
    return [*SHARED_SECTIONS, *(s.config for s in steps())]
