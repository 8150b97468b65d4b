"""plot_geotiff.py: maps of mimtpy / MintPy products and GeoTIFFs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.basic import plot
from mimtpy.cli.common import add_common_arguments, config_from_args, run_cli, section_help, setup_logging
from mimtpy.config import PlotConfig
from mimtpy.context import RunContext


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plot_geotiff.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Map one or more products (.h5, .he5 after velcumu, GeoTIFF) in lon/lat.",
        epilog="example:\n  plot_geotiff.py velocity_20170103_20191219.tif --vlim -30 30 --outdir pic\n\n"
               + section_help(PlotConfig))
    parser.add_argument("files", nargs="+", help="products to plot")
    parser.add_argument("--vlim", nargs=2, metavar=("MIN", "MAX"), help="colour limits in display units")
    parser.add_argument("--colormap", help="matplotlib colormap (default RdBu_r)")
    parser.add_argument("--format", choices=("png", "pdf"), help="figure format (default png)")
    parser.add_argument("--dpi", help="resolution (default 150)")
    parser.add_argument("--outdir", help="folder of the figures (default: beside each product)")
    parser.add_argument("--overview", action="store_true", help="also draw all files on one figure")
    add_common_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, None)

    def body() -> int:
        cwd = Path.cwd()
        cfg = config_from_args(PlotConfig, {
            "dataset": ", ".join(args.files), "vlim": " ".join(args.vlim) if args.vlim else None,
            "colormap": args.colormap, "format": args.format, "dpi": args.dpi, "outdir": args.outdir,
            "overview": "yes" if args.overview else "no"}, cwd)
        for out in plot.run(cfg, RunContext(cwd)):
            print(out)
        return 0

    return run_cli(body)


if __name__ == "__main__":
    sys.exit(main())
