"""synthetic_S1.py: synthetic Sentinel-1 HDF-EOS5 products with a known truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.cli.common import (
    add_common_arguments,
    add_section_options,
    config_from_args,
    script_main,
    section_help,
    section_values,
)
from mimtpy.config import SyntheticConfig
from mimtpy.context import RunContext
from mimtpy.tools import synthetic

EXAMPLE = """examples:
  synthetic_S1.py --outdir ./synthetic
  synthetic_S1.py --tracks asc desc asc:0.7 --fault 34.3 -118.0 120 0.02 10 --orbitRamp linear
  synthetic_S1.py --ramp 0.01 -0.005 0 --subswathRamps yes --wrap yes
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthetic_S1.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=synthetic.__doc__.split("\n\n")[0],
        epilog=EXAMPLE + "\n" + section_help(SyntheticConfig))
    add_section_options(parser, SyntheticConfig)
    parser.add_argument("--force", action="store_true", help="rewrite even when the products are up to date")
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    cfg = config_from_args(SyntheticConfig, section_values(args, SyntheticConfig), Path.cwd())
    for product in synthetic.run(cfg, RunContext(Path.cwd(), force=args.force)):
        print(product)
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())
