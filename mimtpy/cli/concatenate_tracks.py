"""concatenate_tracks.py: mosaic of two or more tracks with jointly solved offsets."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  concatenate_tracks.py AT100/mintpy/velocity/velocity_*.h5 AT102/mintpy/velocity/velocity_*.h5 --outdir mosaic
  concatenate_tracks.py SynthSenAT100 SynthSenAT102 --dataname timeseries --offsetModel ramp --blend feather
  concatenate_tracks.py a/maskTempCoh.h5 b/maskTempCoh.h5 --maskMode intersection
"""

build_parser, main = section_script(
    "concatenate_tracks.py", "concatenation", EXAMPLE,
    ("tracks", "+", "two or more products (or project folders/names)"))

if __name__ == "__main__":
    sys.exit(main())
