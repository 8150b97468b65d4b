"""plot_geotiff.py: maps of mimtpy / MintPy products and GeoTIFFs, with faults, GNSS and relief."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.basic import plot
from mimtpy.cli.common import (
    add_common_arguments,
    add_section_options,
    config_from_args,
    run_cli,
    section_values,
    setup_logging,
)
from mimtpy.config import PlotConfig
from mimtpy.context import RunContext

EXAMPLE = """examples:
  plot_geotiff.py velocity_20170103_20191219.h5 --vlim -30 30 --outdir pic
  plot_geotiff.py velocity.tif --fault faults.shp --fcolor red --fstyle dashed --dem height.tif
  plot_geotiff.py velocity.h5 --gnss midas.IGS14.txt --gnssMode both --kmz yes
  plot_geotiff.py hz.h5 up.h5 --backend pygmt --format pdf
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plot_geotiff.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=plot.__doc__.split("\n\n")[0], epilog=EXAMPLE)
    parser.add_argument("files", nargs="+", help="products to plot (.h5, GeoTIFF, ...)")
    add_section_options(parser, PlotConfig, skip=("dataset", "overview"))
    parser.add_argument("--overview", action="store_true", help="also draw all files on one figure")
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        cwd = Path.cwd()
        values = {**section_values(args, PlotConfig), "dataset": ", ".join(args.files),
                  "overview": "yes" if args.overview else "no"}
        cfg = config_from_args(PlotConfig, values, cwd)
        for out in plot.run(cfg, RunContext(cwd)):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
