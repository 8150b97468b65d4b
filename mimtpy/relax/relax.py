"""RELAX run scripts over parameter ranges (``relax`` step, script ``generate_script_RELAX.py``).

From a sample RELAX input (a plain input file, or a shell script that feeds RELAX a here-document) and
parameter ranges, writes one RELAX input + one shell script per combination of the parameters, their names
carrying the values (``relax_log10eta1-19_depth2-30.sh``), a list of the scripts, and run files for a local
machine (``run_local.sh``), SLURM (``run_slurm.sh``, a job array) and PBS (``run_pbs.sh``, a job array).
Nothing holds an absolute path: the scripts run from their own folder and find RELAX as ``$RELAX`` (default
``relax`` on the PATH), so the folder can be copied to a cluster.

Parameters:

* ``log10eta``: viscosity of linear viscous layer k, ``k=START:STOP:STEP`` in log10(Pa s). RELAX's linear
  rheology is gammadot = gammadot0 * tau / mu (Barbot & Fialko 2010; RELAX viscoelastic3d.f90), i.e. the
  viscous strain rate is gammadot0 * s / mu for deviatoric stress s; a Newtonian fluid of viscosity eta has
  strain rate s / (2 eta), so **gammadot0 = mu / (2 eta)**, converted to RELAX's time unit:
  ``gammadot0 [1/yr] = shearModulus [Pa] / (2 * 10**log10eta [Pa s]) * 31557600 s/yr`` (Julian year). The
  Maxwell time RELAX reports is 1 / gammadot0 = 2 eta / mu. Example: mu = 30 GPa, log10eta = 19 gives
  gammadot0 = 0.0473 /yr (Maxwell time 21.1 yr).
* ``layerDepth``: depth of linear viscous layer k (top of the layer, in the length unit of the sample).
* ``param``: ``name=START:STOP:STEP`` for any ``{name}`` placeholder written in the sample.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import SectionConfig, option
from mimtpy.context import Plan, RunContext, Step

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelaxConfig(SectionConfig):
    SECTION: ClassVar[str] = "relax"
    HELP: ClassVar[str] = ("RELAX input files and run scripts (local, SLURM, PBS) for every combination of "
                           "viscosities and other parameters")
    sample: Path = option("sample", "none", "sample RELAX input: a plain input file or a shell script with the "
                          "input as a here-document", "path")
    log10eta: tuple = option("log10eta", "none", "viscosity of linear viscous layer k, k=START:STOP:STEP in "
                             "log10(Pa s), comma separated for several layers", "words")
    layer_depth: tuple = option("layerDepth", "none", "depth of linear viscous layer k, k=START:STOP:STEP (length "
                                "unit of the sample)", "words")
    param: tuple = option("param", "none", "values of {name} placeholders of the sample, name=START:STOP:STEP",
                          "words")
    shear_modulus: float = option("shearModulus", "30e9", "shear modulus mu in Pa for gammadot0 = mu / (2 eta)",
                                  "float", lo=1e6, hi=1e13)
    time_unit: str = option("timeUnit", "year", "time unit of the RELAX run (gammadot0 is per this unit)",
                            "choice", choices=("year", "day", "second"))
    name: str = option("name", "relax", "prefix of the file names", "str")
    relax_options: str = option("relaxOptions", "none", "command-line options passed to relax, e.g. "
                                "--no-proj-output --no-vtk-output", "str")
    walltime: str = option("walltime", "24:00:00", "wall time of one run (SLURM/PBS)", "str")
    cpus: int = option("cpus", "4", "cores of one run (OMP_NUM_THREADS, SLURM/PBS)", "int", lo=1, hi=1024)
    memory: str = option("memory", "8G", "memory of one run (SLURM --mem, PBS mem)", "str")
    queue: str = option("queue", "none", "SLURM partition / PBS queue; none = the default", "str")
    parallel: int = option("parallel", "1", "runs at once with run_local.sh", "int", lo=1, hi=1024)
    outdir: Path = option("outdir", "relax", "output folder of the inputs and scripts", "path")


def plan(cfg: RelaxConfig, ctx: RunContext) -> Plan:
    result = Plan()
    if cfg.sample is None:
        result.problem("sample", "no sample RELAX input given")
    else:
        result.need(ctx, "sample", cfg.sample, "sample RELAX input")
    if not (cfg.log10eta or cfg.layer_depth or cfg.param):
        result.problem("log10eta", "nothing to vary: give log10eta, layerDepth or param ranges")
    for key, items in (("log10eta", cfg.log10eta), ("layerDepth", cfg.layer_depth), ("param", cfg.param)):
        for item in items or ():
            name, eq, spec = item.partition("=")
            if not eq or spec.count(":") not in (0, 2):
                result.problem(key, f"'{item}' is not NAME=START:STOP:STEP")
            elif key != "param" and not name.strip().isdigit():
                result.problem(key, f"'{item}': the layer must be a number (1 = first linear viscous layer)")
    outdir = ctx.resolve(cfg.outdir)
    result.writable(ctx, "outdir", outdir)
    result.outputs += [outdir / "run_local.sh", outdir / "run_slurm.sh", outdir / "run_pbs.sh"]
    return result


def run(cfg: RelaxConfig, ctx: RunContext) -> list[Path]:
    """The relax step: write the inputs, scripts and run files; returns the files written."""
    from mimtpy.relax.relax_scripts import write_scripts

    plan(cfg, ctx).raise_problems("relax")
    return write_scripts(cfg, ctx)


STEP = Step("relax", "relax", RelaxConfig, plan, run, scripts=("generate_script_RELAX.py",))
