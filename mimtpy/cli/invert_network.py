"""invert_network.py: network inversion of interferograms (SBAS / NSBAS) into a MintPy time series."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy import steps
from mimtpy.api import run_config
from mimtpy.cli.common import (
    add_common_arguments,
    add_compute_arguments,
    config_from_args,
    context_from_args,
    report,
    script_main,
    section_help,
)
from mimtpy.inversion.invert import InversionConfig

EXAMPLE = """examples:
  invert_network.py inputs/ifgramStack.h5 --outdir ./inversion
  invert_network.py GEOC/ --method nsbas --weight-func var
  invert_network.py geotiffs/*_unw.tif --ref-lalo 19.40 -99.10 --outdir out
  invert_network.py ifgs/*.unw --method sbas --weight-func no
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invert_network.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Invert a network of unwrapped interferograms into a displacement time series (m, LOS "
                    "positive toward the satellite), SBAS or NSBAS, every pixel in compiled code.",
        epilog=EXAMPLE + "\n" + section_help(InversionConfig))
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="an ifgramStack.h5, a folder of interferograms, or interferogram files (ROI_PAC .unw "
                             "with .rsc, GeoTIFF)")
    parser.add_argument("--method", choices=("sbas", "nsbas"), help="inversion method (default sbas)")
    parser.add_argument("--weight-func", "-w", choices=("no", "coh", "var", "fim"),
                        help="weight function from coherence, as MintPy (default no)")
    parser.add_argument("--ref-lalo", nargs=2, metavar=("LAT", "LON"), help="reference pixel")
    parser.add_argument("--ref-area", nargs=4, metavar=("S", "N", "W", "E"), help="reference area (mean)")
    parser.add_argument("--min-ifgram", help="fewest valid interferograms of a solved pixel (default 1)")
    parser.add_argument("--gamma", help="NSBAS constraint weight (default 1e-4)")
    parser.add_argument("--seasonal", action="store_true", help="NSBAS: annual terms in the constraint model")
    parser.add_argument("--mask-coherence", metavar="COH", help="values with coherence below COH are no-data")
    parser.add_argument("--wavelength", help="radar wavelength in m (default: from the metadata)")
    parser.add_argument("--drop-untouched-dates", action="store_true",
                        help="leave out dates whose interferograms are all dropped (MintPy behaviour)")
    parser.add_argument("--no-figure", action="store_true", help="do not draw the network figure")
    parser.add_argument("--outdir", default=None, help="output folder (default ./inversion)")
    add_compute_arguments(parser)
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    cfg = config_from_args(InversionConfig, {
        "dataset": ", ".join(args.inputs),
        "method": args.method,
        "weight_func": args.weight_func,
        "reference_point": " ".join(args.ref_lalo) if args.ref_lalo else None,
        "reference_area": " ".join(args.ref_area) if args.ref_area else None,
        "min_ifgram": args.min_ifgram,
        "gamma": args.gamma,
        "seasonal": "yes" if args.seasonal else None,
        "mask_coherence": args.mask_coherence,
        "wavelength": args.wavelength,
        "drop_untouched_dates": "yes" if args.drop_untouched_dates else None,
        "figure": "no" if args.no_figure else None,
        "outdir": args.outdir,
    }, cwd)
    report(*run_config(steps.get("inversion"), cfg, context_from_args(args, cwd), "invert_network.py"))
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())
