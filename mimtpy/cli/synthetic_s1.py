"""synthetic_S1.py: synthetic Sentinel-1 HDF-EOS5 products with a known truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy import steps
from mimtpy.api import run_config
from mimtpy.cli.common import (
    add_common_arguments,
    add_compute_arguments,
    add_section_options,
    config_from_args,
    context_from_args,
    report,
    script_main,
    section_help,
    section_values,
)
from mimtpy.tools.synthetic import SyntheticConfig

EXAMPLE = """examples:
  synthetic_S1.py --outdir ./synthetic
  synthetic_S1.py --tracks asc desc asc:0.7 --fault 34.3 -118.0 120 0.02 10 --orbit-ramp linear
  synthetic_S1.py --ramp 0.01 -0.005 0 --subswath-ramps yes --wrap yes
  synthetic_S1.py --no-mogi --fault 34.2 -118.1 90 0.02 8       # a fault only
  synthetic_S1.py --format licsbas      # also LiCSBAS TS_GEOCml1/ + LiCSAR frame folders
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthetic_S1.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{SyntheticConfig.HELP}.",
        epilog=EXAMPLE + "\n" + section_help(SyntheticConfig))
    add_section_options(parser, SyntheticConfig)
    add_compute_arguments(parser)
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    cfg = config_from_args(SyntheticConfig, section_values(args, SyntheticConfig), Path.cwd())
    report(*run_config(steps.get("synthetic"), cfg, context_from_args(args, Path.cwd()), "synthetic_S1.py"))
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())
