"""generate_horzvert.py: horizontal and vertical motion from two or more tracks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.analysis import horzvert
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

EXAMPLE = """examples:
  generate_horzvert.py AT100/mintpy/velocity/velocity_*.h5 DT151/mintpy/velocity/velocity_*.h5 --outdir hv
  generate_horzvert.py SynthSenAT100 SynthSenDT151 --referencepoint 34.1 -118.2 --azimuth -90
  generate_horzvert.py asc_vel.tif desc_vel.tif --enu a_E.tif a_N.tif a_U.tif , d_E.tif d_N.tif d_U.tif
  generate_horzvert.py asc.he5 desc.he5 --north gnss_north.csv          # east, north and up
  generate_horzvert.py asc.he5 desc.he5 --timeseries yes                # displacement time series
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate_horzvert.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=horzvert.__doc__.split("\n\n")[0], epilog=EXAMPLE)
    parser.add_argument("tracks", nargs="+", help="two or more track products (or project folders/names)")
    add_section_options(parser, HorzvertConfig, skip=("dataset",))
    parser.add_argument("--force", action="store_true", help="recompute even when the outputs are up to date")
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        values = section_values(args, HorzvertConfig)
        if "enu" in values:   # tracks separated by a lone comma on the command line
            values["enu"] = ", ".join(g.strip() for g in " ".join(args.enu).split(",") if g.strip())
        values["dataset"] = ", ".join(args.tracks)
        cwd = Path.cwd()
        cfg = config_from_args(HorzvertConfig, values, cwd)
        for out in horzvert.run(cfg, RunContext(cwd, force=args.force)):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
