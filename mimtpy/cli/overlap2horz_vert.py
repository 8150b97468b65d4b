"""overlap2horz_vert.py: horizontal and vertical motion from the overlap of two adjacent tracks."""

from __future__ import annotations

import sys

from mimtpy.cli.common import section_script


def _run(cfg, args, ctx):
    from mimtpy.analysis import overlap
    return overlap.run_overlap(cfg, ctx, look_azimuth=args.azimuth is None)


build_parser, main = section_script(
    "overlap2horz_vert.py", "horzvert", "example:\n  overlap2horz_vert.py SynthSenAT100 SynthSenAT102 --outdir overlap",
    ("tracks", 2, "two adjacent tracks of the same look direction"), run=_run,
    skip=("dataset", "timeseries", "north"),
    description="Horizontal and vertical motion from the overlap of two adjacent tracks of one look direction "
                "(each pixel seen at two incidence angles; read cond before trusting the result).")

if __name__ == "__main__":
    sys.exit(main())
