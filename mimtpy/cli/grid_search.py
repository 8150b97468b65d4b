"""grid_search.py: grid search of a forward model against an InSAR product, with a jointly estimated ramp."""

from __future__ import annotations

import argparse
import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  grid_search.py velocity.h5 --model okada --param depth=2000:10000:500 --param slip=0.1:2:0.1 \\
      --fixed strike=90,dip=60,rake=90,length=10000,width=5000,lat=34.2,lon=-118.1 --ramp linear --outdir gs
  grid_search.py S1_IW1_128_20170103_20191225.he5 --model mogi --param depth=1000:8000:250 \\
      --param dvolume=-5e6:5e6:2.5e5 --fixed lat=34.3,lon=-118.1 --start-date 20180101 --end-date 20191231
  grid_search.py leaves.csv --model okada ... --misfit chi2 --covariance 1e-5 8 1e-6
  grid_search.py velocity.h5 --model predictions --predictions relax_out --pattern 'model_depth{depth}_slip{slip}.h5'
"""


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--param", dest="param_items", action="append", nargs="+", default=[],
                        metavar="NAME=START:STOP:STEP", help="searched parameter (repeatable; STOP included)")
    parser.add_argument("--fixed", dest="fixed_items", action="append", nargs="+", default=[],
                        metavar="NAME=VALUE,...", help="fixed parameters, comma separated (repeatable)")


def _adjust(args: argparse.Namespace, values: dict) -> None:
    params = [p for group in args.param_items for p in group]
    fixed = [f.strip() for group in args.fixed_items for item in group for f in item.split(",") if f.strip()]
    if params:
        values["param"] = ", ".join(params)
    if fixed:
        values["fixed"] = ", ".join(fixed)


build_parser, main = section_script(
    "grid_search.py", "gridsearch", EXAMPLE,
    ("observed", 1, "observed product (.h5, .he5, .tif) or quadtree leaves (.csv)"),
    skip=("dataset", "param", "fixed"), extra=_extra, adjust=_adjust)

if __name__ == "__main__":
    sys.exit(main())
