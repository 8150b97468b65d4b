"""overlap2horz_vert.py: horizontal and vertical motion from the overlap of two adjacent tracks."""

from __future__ import annotations

import sys

from mimtpy.analysis import overlap
from mimtpy.cli.common import section_script
from mimtpy.config import HorzvertConfig
from mimtpy.context import RunContext

build_parser, main = section_script(
    "overlap2horz_vert.py", HorzvertConfig, overlap.__doc__.split("\n\n")[0],
    "example:\n  overlap2horz_vert.py SynthSenAT100 SynthSenAT102 --outdir overlap",
    ("tracks", 2, "two adjacent tracks of the same look direction"),
    lambda cfg, args, cwd: overlap.run_overlap(cfg, RunContext(cwd), look_azimuth=args.azimuth is None),
    skip=("dataset", "timeseries", "north"))

if __name__ == "__main__":
    sys.exit(main())
