"""save_kite.py: kite export; see :mod:`mimtpy.preprocess.kite`."""

from __future__ import annotations

import sys

from mimtpy.cli._export import export_script


def _extra(parser) -> None:
    parser.add_argument("--covariance", action="store_true", help="fit an exponential covariance to the far field")
    parser.add_argument("--covariance-exclude", dest="covariance_exclude", nargs=4, metavar=("S", "N", "W", "E"),
                        help="deforming area left out of the far field")
    parser.add_argument("--no-figure", dest="no_figure", action="store_true", help="no quadtree figure")


def _values(args, values: dict) -> None:
    if args.covariance:
        values["covariance"] = "yes"
    if args.covariance_exclude:
        values["covariance_exclude"] = " ".join(args.covariance_exclude)
    if args.no_figure:
        values["figure"] = "no"

EXAMPLE = """examples:
  save_kite.py S1_IW12_128.he5 --date 20171117_20180603 --outdir kite --outname scene
  save_kite.py velocity.h5 --geometry ../inputs/geometryGeo.h5 --quadtree --epsilon 0.003 --outdir kite --outname vel
  save_kite.py S1.he5 --quadtree --covariance --covariance-exclude 34.1 34.3 -118.2 -118.0 --outdir kite --outname s
"""

build_parser, main = export_script(
    "save_kite.py",
    "kite",
    EXAMPLE,
    quadtree=True,
    extra=_extra,
    extra_values=_values)

if __name__ == "__main__":
    sys.exit(main())
