"""save_netcdf.py: export products to CF NetCDF (or Zarr) datacubes, optionally with AlignSAR names."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  save_netcdf.py S1_IW123_100_0001_0001_20170103_20181224.he5 --outdir cubes          # cubes/S1_...nc
  save_netcdf.py mintpy/timeseries.h5 --outdir cubes --alignsar                       # AlignSAR names, mm
  save_netcdf.py velocity/velocity_20170103_20181224.h5 --format zarr --outdir cubes
"""


def _extra(parser) -> None:
    parser.add_argument("--alignsar", dest="alignsar_flag", action="store_true",
                        help="AlignSAR datacube names (cum_displacement in mm, linear_velocity, ...) and sar_*/"
                             "geospatial_* global attributes from the product's metadata")


def _adjust(args, values: dict) -> None:
    if args.alignsar_flag:
        values["alignsar"] = "yes"


build_parser, main = section_script(
    "save_netcdf.py", "netcdf", EXAMPLE,
    ("files", "+", "products to export (HDF-EOS5, .h5, GeoTIFF, cubes)"),
    skip=("dataset", "alignsar"), extra=_extra, adjust=_adjust)

if __name__ == "__main__":
    sys.exit(main())
