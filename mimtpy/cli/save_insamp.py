"""save_insamp.py: insamp export; see :mod:`mimtpy.preprocess.insamp`."""

from __future__ import annotations

import sys

from mimtpy.cli._export import export_script

EXAMPLE = """examples:
  save_insamp.py S1_IW12_128.he5 --date 20171117_20180603 --outdir insamp --outname ifg
  save_insamp.py velocity.h5 --geometry geometryGeo.h5 --snwe 34.0 34.3 -118.3 -118.0 --outdir insamp --outname vel
"""

build_parser, main = export_script(
    "save_insamp.py",
    "insamp",
    EXAMPLE,
    quadtree=False)

if __name__ == "__main__":
    sys.exit(main())
