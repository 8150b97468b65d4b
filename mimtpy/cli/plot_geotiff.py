"""plot_geotiff.py: maps of mimtpy / MintPy products and GeoTIFFs, with faults, GNSS and relief."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  plot_geotiff.py velocity_20170103_20191219.h5 --vlim -30 30 --outdir pic
  plot_geotiff.py velocity.tif --fault faults.shp --fcolor red --fstyle dashed --dem height.tif
  plot_geotiff.py velocity.h5 --gnss midas.IGS14.txt --gnss-mode both --kmz yes
  plot_geotiff.py hz.h5 up.h5 --backend pygmt --format pdf --overview
"""


def _overview(parser) -> None:
    parser.add_argument("--overview", action="store_true", help="also draw all files on one figure")


build_parser, main = section_script(
    "plot_geotiff.py", "plot", EXAMPLE, ("files", "+", "products to plot (.h5, GeoTIFF, ...)"),
    skip=("dataset", "overview"), extra=_overview,
    adjust=lambda args, values: values.update(overview="yes" if args.overview else "no"))

if __name__ == "__main__":
    sys.exit(main())
