"""overlap2horz_vert.py: horizontal and vertical motion from the overlap of two adjacent tracks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.analysis import overlap
from mimtpy.cli.common import (
    add_common_arguments,
    add_section_options,
    config_from_args,
    run_cli,
    section_values,
    setup_logging,
)
from mimtpy.config import HorzvertConfig
from mimtpy.context import RunContext


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overlap2horz_vert.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=overlap.__doc__.split("\n\n")[0],
        epilog="example:\n  overlap2horz_vert.py SynthSenAT100 SynthSenAT102 --outdir overlap")
    parser.add_argument("tracks", nargs=2, help="two adjacent tracks of the same look direction")
    add_section_options(parser, HorzvertConfig, skip=("dataset", "timeseries", "north"))
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        values = {**section_values(args, HorzvertConfig), "dataset": ", ".join(args.tracks)}
        cwd = Path.cwd()
        cfg = config_from_args(HorzvertConfig, values, cwd)
        for out in overlap.run_overlap(cfg, RunContext(cwd), look_azimuth=args.azimuth is None):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
