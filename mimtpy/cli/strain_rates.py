"""strain_rates.py: strain rates of a velocity cube (ITS_LIVE NetCDF/Zarr) or of two velocity rasters."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  strain_rates.py ITS_LIVE_vel_EPSG3413_G0120_X-150000_Y-2250000.zarr --period 20180101_20191231 --outdir strain
  strain_rates.py cube.nc --annual yes --season 6,7,8 --snwe 69.0 69.3 -50.0 -49.0 --outdir strain
  strain_rates.py vx.tif vy.tif --outdir strain --upscale 3 --method log
  strain_rates.py east.tif north.tif --outdir strain                      # mimtpy's east + a north field
"""

build_parser, main = section_script(
    "strain_rates.py", "strain", EXAMPLE,
    ("inputs", "+", "a velocity cube (NetCDF/Zarr) or two rasters (vx, vy)"))

if __name__ == "__main__":
    sys.exit(main())
