"""concatenate_tracks.py: mosaic of two or more tracks with jointly solved offsets."""

from __future__ import annotations

import argparse
import logging
import sys

from mimtpy.cli.common import section_script

EXAMPLE = """examples:
  concatenate_tracks.py AT100/mintpy/velocity/velocity_*.h5 AT102/mintpy/velocity/velocity_*.h5 --outdir mosaic
  concatenate_tracks.py SynthSenAT100 SynthSenAT102 --dataname timeseries --offset-model ramp --blend feather
  concatenate_tracks.py a/maskTempCoh.h5 b/maskTempCoh.h5 --mask-mode intersection
"""


class _Rewrite(argparse.Action):
    """``--rewrite``: MimtPy's name of ``--force``, kept for old scripts (deprecated)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        logging.getLogger(__name__).warning("--rewrite is deprecated: use --force")
        namespace.force = True


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rewrite", dest="force", action=_Rewrite, help="deprecated: the same as --force")


build_parser, main = section_script(
    "concatenate_tracks.py", "concatenation", EXAMPLE,
    ("tracks", "+", "two or more products (or project folders/names)"), skip=("dataset", "rewrite"), extra=_extra)

if __name__ == "__main__":
    sys.exit(main())
