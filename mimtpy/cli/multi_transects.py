"""multi_transects.py: profiles across a fault (or between two points) through one or more products."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.analysis import transects
from mimtpy.cli.common import (
    add_common_arguments,
    add_section_options,
    config_from_args,
    run_cli,
    section_values,
    setup_logging,
)
from mimtpy.config import TransectsConfig
from mimtpy.context import RunContext

EXAMPLE = """examples:
  multi_transects.py hz.h5 up.h5 --fault fault_trace.gmt --number 5 --length 30 --width 2 --binSize 0.5
  multi_transects.py velocity.h5 --start 34.0 -118.2 --end 34.3 -118.2 --gnss gnss.csv
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multi_transects.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=transects.__doc__.split("\n\n")[0], epilog=EXAMPLE)
    parser.add_argument("files", nargs="+", help="products to profile")
    add_section_options(parser, TransectsConfig, skip=("dataset",))
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        cwd = Path.cwd()
        values = {**section_values(args, TransectsConfig), "dataset": ", ".join(args.files)}
        cfg = config_from_args(TransectsConfig, values, cwd)
        for out in transects.run(cfg, RunContext(cwd)):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
