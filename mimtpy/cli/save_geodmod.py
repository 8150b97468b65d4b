"""save_geodmod.py: geodmod export; see :mod:`mimtpy.preprocess.geodmod`."""

from __future__ import annotations

import sys

from mimtpy.cli._export import export_script

EXAMPLE = """examples:
  save_geodmod.py S1_IW12_128.he5 --date 20171117_20180603 --outdir geodmod --outname ifg
  save_geodmod.py velocity.h5 --geometry geometryGeo.h5 --snwe 34.0 34.3 -118.3 -118.0 --outdir geodmod --outname vel
"""

build_parser, main = export_script(
    "save_geodmod.py",
    "geodmod",
    EXAMPLE,
    quadtree=False)

if __name__ == "__main__":
    sys.exit(main())
