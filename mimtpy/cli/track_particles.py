"""track_particles.py: advect seed points through a velocity cube or two velocity rasters."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  track_particles.py cube.zarr --seeds seeds.csv --duration 10 --step 5 --outdir track
  track_particles.py cube.nc --seed-line -49.8 69.1 -49.6 69.2 20 --duration -5 --outdir track   # backwards
  track_particles.py cube.nc --seeds seeds.csv --time-varying yes --period 20150101_20201231 --duration 5
  track_particles.py vx.tif vy.tif --seed-line 0 0 1000 0 5 --seed-crs grid --duration 2
"""

build_parser, main = section_script(
    "track_particles.py", "track", EXAMPLE,
    ("inputs", "+", "a velocity cube (NetCDF/Zarr) or two rasters (vx, vy)"))

if __name__ == "__main__":
    sys.exit(main())
