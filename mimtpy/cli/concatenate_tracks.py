"""concatenate_tracks.py: mosaic of two or more tracks with jointly solved offsets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.analysis import concatenation
from mimtpy.cli.common import (
    add_common_arguments,
    add_section_options,
    config_from_args,
    run_cli,
    section_values,
    setup_logging,
)
from mimtpy.config import ConcatenationConfig
from mimtpy.context import RunContext

EXAMPLE = """examples:
  concatenate_tracks.py AT100/mintpy/velocity/velocity_*.h5 AT102/mintpy/velocity/velocity_*.h5 --outdir mosaic
  concatenate_tracks.py SynthSenAT100 SynthSenAT102 --dataname timeseries --offsetModel ramp --blend feather
  concatenate_tracks.py a/maskTempCoh.h5 b/maskTempCoh.h5 --maskMode intersection
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concatenate_tracks.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=concatenation.__doc__.split("\n\n")[0], epilog=EXAMPLE)
    parser.add_argument("tracks", nargs="+", help="two or more products (or project folders/names)")
    add_section_options(parser, ConcatenationConfig, skip=("dataset",))
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        values = {**section_values(args, ConcatenationConfig), "dataset": ", ".join(args.tracks)}
        cwd = Path.cwd()
        cfg = config_from_args(ConcatenationConfig, values, cwd)
        for out in concatenation.run(cfg, RunContext(cwd)):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
