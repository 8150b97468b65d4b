"""The work of the ``relax`` step: read the sample RELAX input, vary it, write inputs, scripts, run files.

RELAX reads its input line by line, skipping comment lines (``#``); sections are found here by the comment
that precedes their first data line: ``... output directory`` (replaced by the run's own folder) and
``number of linear viscous interfaces`` followed by that many rows ``index depth gammadot0 cohesion``.
"""

from __future__ import annotations

import itertools
import logging
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mimtpy.context import RunContext
from mimtpy.errors import InputError
from mimtpy.io.atomic import atomic_output
from mimtpy.relax.search import parse_range

if TYPE_CHECKING:
    from mimtpy.relax.relax import RelaxConfig

logger = logging.getLogger(__name__)

SECONDS = {"year": 365.25 * 86400.0, "day": 86400.0, "second": 1.0}
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
PLACEHOLDER = re.compile(r"{(\w+)}")


def gammadot0(log10eta: float, shear_modulus: float = 30e9, time_unit: str = "year") -> float:
    """RELAX reference strain rate of a linear (Newtonian) layer of viscosity 10**log10eta Pa s:
    gammadot0 = mu / (2 eta), per ``time_unit`` (see :mod:`mimtpy.relax.relax`)."""
    return shear_modulus / (2.0 * 10.0**log10eta) * SECONDS[time_unit]


def read_sample(path: Path) -> list[str]:
    """Lines of the RELAX input in ``path``: the whole file, or the here-document of a shell script."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the sample RELAX input: {err}") from None
    for i, line in enumerate(lines):
        match = HEREDOC.search(line) if not line.lstrip().startswith("#") else None
        if match:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == match.group(1)), None)
            if end is None:
                raise InputError(f"{path}: the here-document opened on line {i + 1} (<<{match.group(1)}) never ends")
            return lines[i + 1:end]
    return lines


def _data_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, comment just before) of every data line."""
    out, last_comment = [], ""
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            last_comment = text.lower()
            continue
        out.append((i, last_comment))
        last_comment = ""
    return out


def locate(lines: list[str], source: Path) -> tuple[int, list[int]]:
    """Line index of the output directory and of the rows of the linear viscous layers."""
    data = _data_lines(lines)
    outdir = next((i for i, c in data if "output directory" in c), None)
    if outdir is None:
        raise InputError(f"{source}: no '# output directory' section found; is this a RELAX input?")
    layers: list[int] = []
    for k, (i, comment) in enumerate(data):
        if "linear viscous interface" in comment and "nonlinear" not in comment:
            try:
                count = int(lines[i].split()[0])
            except (ValueError, IndexError):
                raise InputError(f"{source}:{i + 1}: expected the number of linear viscous interfaces, got "
                                 f"'{lines[i].strip()}'") from None
            layers = [j for j, _c in data[k + 1:k + 1 + count]]
            if len(layers) != count:
                raise InputError(f"{source}: {count} linear viscous interfaces announced, fewer rows follow")
            break
    return outdir, layers


def _set_field(line: str, index: int, value: str, source: Path, lineno: int) -> str:
    fields = line.split()
    if len(fields) < 4:
        raise InputError(f"{source}:{lineno}: expected 'index depth gammadot0 cohesion', got '{line.strip()}'")
    fields[index] = value
    return "   " + "  ".join(fields)


def _ranges(items: tuple, key: str) -> dict[str, np.ndarray]:
    out = {}
    for item in items or ():
        name, values = parse_range(item)
        out[f"{key}{name}" if key else name] = values
    return out


def combinations(cfg: RelaxConfig) -> tuple[list[str], list[tuple[float, ...]]]:
    """Names (``log10eta1``, ``depth2``, placeholders) and every combination of their values."""
    ranges = {**_ranges(cfg.log10eta, "log10eta"), **_ranges(cfg.layer_depth, "depth"), **_ranges(cfg.param, "")}
    names = list(ranges)
    return names, list(itertools.product(*ranges.values()))


def build_input(lines: list[str], names: list[str], values: tuple[float, ...], wdir: str, cfg: RelaxConfig,
                source: Path) -> str:
    """The RELAX input of one combination."""
    out = list(lines)
    outdir_line, layers = locate(out, source)
    out[outdir_line] = wdir
    setting = dict(zip(names, values, strict=True))
    for name, value in setting.items():
        match = re.fullmatch(r"(log10eta|depth)(\d+)", name)
        if not match:
            continue
        k = int(match.group(2))
        if not 1 <= k <= len(layers):
            raise InputError(f"mimtpy.relax: layer {k} of {name} does not exist; {source} has {len(layers)} linear "
                             "viscous interface(s)")
        row = layers[k - 1]
        if match.group(1) == "log10eta":
            out[row] = _set_field(out[row], 2, f"{gammadot0(value, cfg.shear_modulus, cfg.time_unit):.6e}",
                                  source, row + 1)
        else:
            out[row] = _set_field(out[row], 1, f"{value:g}", source, row + 1)
    text = "\n".join(out) + "\n"
    placeholders = set(PLACEHOLDER.findall(text))
    missing = placeholders - set(setting)
    if missing:
        raise InputError(f"{source}: placeholder(s) {', '.join('{' + m + '}' for m in sorted(missing))} have no "
                         "values (give mimtpy.relax.param = name=START:STOP:STEP)")
    unused = [n for n in setting if not re.fullmatch(r"(log10eta|depth)\d+", n) and n not in placeholders]
    if unused:
        raise InputError(f"{source}: no placeholder {{{unused[0]}}} for param '{unused[0]}'")
    text = PLACEHOLDER.sub(lambda m: f"{setting[m.group(1)]:g}", text)
    if "$" in text:
        bad = next(i for i, line in enumerate(out) if "$" in line)
        raise InputError(f"{source}: line '{out[bad].strip()}' uses a shell variable; write its value in the sample")
    return text


def run_name(prefix: str, names: list[str], values: tuple[float, ...]) -> str:
    return "_".join([prefix, *(f"{n}-{v:g}" for n, v in zip(names, values, strict=True))])


def _write(path: Path, text: str, executable: bool = False) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text)
        if executable:
            tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


RUN_ONE = """#!/bin/bash
# RELAX run {name}: {settings}
# written by mimtpy (generate_script_RELAX.py); runs from this folder, RELAX = ${{RELAX:-relax}}
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p {name}
export OMP_NUM_THREADS=${{OMP_NUM_THREADS:-{cpus}}}
"${{RELAX:-relax}}" {options} < {name}.input > {name}/in.param 2> {name}/relax.log
"""

RUN_LOCAL = """#!/bin/bash
# run every RELAX script listed in {listfile}, {parallel} at a time (change with -j N)
set -euo pipefail
cd "$(dirname "$0")"
jobs={parallel}
if [ "${{1:-}}" = "-j" ]; then jobs=$2; fi
xargs -P "$jobs" -I{{}} bash {{}} < {listfile}
"""

RUN_SLURM = """#!/bin/bash
#SBATCH --job-name={prefix}
#SBATCH --array=1-{count}
#SBATCH --cpus-per-task={cpus}
#SBATCH --mem={memory}
#SBATCH --time={walltime}
#SBATCH --output={prefix}_%A_%a.out
{queue}# submit from this folder: sbatch run_slurm.sh
set -euo pipefail
cd "${{SLURM_SUBMIT_DIR:-$(dirname "$0")}}"
export OMP_NUM_THREADS={cpus}
bash "$(sed -n "${{SLURM_ARRAY_TASK_ID}}p" {listfile})"
"""

RUN_PBS = """#!/bin/bash
#PBS -N {prefix}
#PBS -J 1-{count}
#PBS -l select=1:ncpus={cpus}:mem={memory}
#PBS -l walltime={walltime}
#PBS -j oe
{queue}# submit from this folder: qsub run_pbs.sh
set -euo pipefail
cd "${{PBS_O_WORKDIR:-$(dirname "$0")}}"
export OMP_NUM_THREADS={cpus}
bash "$(sed -n "${{PBS_ARRAY_INDEX}}p" {listfile})"
"""


def write_scripts(cfg: RelaxConfig, ctx: RunContext) -> list[Path]:
    sample = ctx.resolve(cfg.sample)
    outdir = ctx.resolve(cfg.outdir)
    lines = read_sample(sample)
    names, combos = combinations(cfg)
    if len(combos) > 100_000:
        raise InputError(f"mimtpy.relax: {len(combos)} combinations; coarsen the ranges")
    written: list[Path] = []
    scripts: list[str] = []
    for values in combos:
        name = run_name(cfg.name, names, values)
        text = build_input(lines, names, values, name, cfg, sample)
        settings = ", ".join(f"{n}={v:g}" for n, v in zip(names, values, strict=True))
        for n, v in zip(names, values, strict=True):
            if n.startswith("log10eta"):
                settings += f" ({n}: gammadot0={gammadot0(v, cfg.shear_modulus, cfg.time_unit):.6e}/{cfg.time_unit})"
        written.append(_write(outdir / f"{name}.input", f"# {settings}\n{text}"))
        written.append(_write(outdir / f"{name}.sh", RUN_ONE.format(name=name, settings=settings, cpus=cfg.cpus,
                                                                    options=cfg.relax_options or ""),
                              executable=True))
        scripts.append(f"{name}.sh")
    listfile = f"{cfg.name}_scripts.txt"
    written.append(_write(outdir / listfile, "\n".join(scripts) + "\n"))
    fill = dict(prefix=cfg.name, count=len(scripts), cpus=cfg.cpus, memory=cfg.memory, walltime=cfg.walltime,
                listfile=listfile, parallel=cfg.parallel)
    written.append(_write(outdir / "run_local.sh", RUN_LOCAL.format(**fill), executable=True))
    written.append(_write(outdir / "run_slurm.sh", RUN_SLURM.format(
        **fill, queue=f"#SBATCH --partition={cfg.queue}\n" if cfg.queue else ""), executable=True))
    written.append(_write(outdir / "run_pbs.sh", RUN_PBS.format(
        **fill, queue=f"#PBS -q {cfg.queue}\n" if cfg.queue else ""), executable=True))
    logger.info("relax: %d runs of %s in %s (parameters %s)", len(scripts), sample.name, outdir, ", ".join(names))
    return written
