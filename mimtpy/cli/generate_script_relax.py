"""generate_script_RELAX.py: RELAX inputs and run scripts for every combination of parameter values."""

from __future__ import annotations

import argparse
import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  generate_script_RELAX.py sample.input --log10eta 1=18:20:0.5 --outdir runs
  generate_script_RELAX.py chichi.sh --log10eta 1=18:19:1 2=19:21:1 --layer-depth 1=20:40:10 \\
      --shear-modulus 30e9 --cpus 8 --walltime 12:00:00 --queue short --outdir runs
  generate_script_RELAX.py sample.input --param slip=1:3:1        # fills {slip} placeholders of the sample
then: runs/run_local.sh -j 2   |   sbatch runs/run_slurm.sh   |   qsub runs/run_pbs.sh   (RELAX=/path/to/relax)
"""


def _sample(args: argparse.Namespace, values: dict) -> None:
    values["sample"] = args.sample[0]


build_parser, main = section_script(
    "generate_script_RELAX.py", "relax", EXAMPLE,
    ("sample", 1, "sample RELAX input (plain file or shell script with a here-document)"),
    skip=("sample",), adjust=_sample)

if __name__ == "__main__":
    sys.exit(main())
