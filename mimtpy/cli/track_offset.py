"""track_offset.py: how two tracks differ in their overlap, before and after the offset correction."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mimtpy.cli.common import (
    add_common_arguments,
    add_option,
    check_writable,
    config_from_args,
    context_from_args,
    report,
    script_main,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="track_offset.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Difference of two tracks in their overlap: pixels, median and RMS before and after the "
                    "offset/ramp correction, a difference map and a profile across the overlap.",
        epilog="example:\n  track_offset.py AT100/.../velocity.h5 AT102/.../velocity.h5 --offset-model ramp "
               "-o pair.png")
    parser.add_argument("track1")
    parser.add_argument("track2")
    parser.add_argument("--dataname", help="dataset to compare (default: the main dataset)")
    add_option(parser, "--offset-model", "--offsetModel", dest="offset_model", choices=("offset", "ramp"),
               default="offset", help="correction model")
    parser.add_argument("--azimuth", help="profile direction, degrees from north anticlockwise (default: across)")
    parser.add_argument("--resample", choices=("nearest", "bilinear"), default="nearest",
                        help="resampling onto the common grid")
    parser.add_argument("-o", "--output", default="track_offset.png", help="figure (default track_offset.png)")
    add_common_arguments(parser)
    return parser


def _work(args: argparse.Namespace) -> int:
    import numpy as np

    from mimtpy.analysis import mosaic
    from mimtpy.analysis.concatenation import ConcatenationConfig
    from mimtpy.analysis.track_offset import plot_pair
    from mimtpy.core.resample import common_grid, resample
    from mimtpy.errors import InputError
    from mimtpy.io import open_product
    from mimtpy.ops.datasets import main_dataset
    from mimtpy.ops.paths import resolve_dataset, unique_names

    cwd = Path.cwd()
    cfg = config_from_args(ConcatenationConfig, {"offset_model": args.offset_model, "azimuth": args.azimuth,
                                                 "resample": args.resample, "dataname": args.dataname,
                                                 "min_overlap": "1"}, cwd)
    check_writable(context_from_args(args, cwd), "track_offset.py: --output", Path(args.output).absolute().parent)
    products = [open_product(resolve_dataset(p, cwd)) for p in (args.track1, args.track2)]
    name = args.dataname or main_dataset(products[0])
    if products[0].datasets[name].is_3d:
        raise InputError(f"{products[0].path}: '{name}' is a time series; compare velocity or displacement")
    grid = common_grid([p.grid for p in products], "intersection")
    layers = [resample(p.read(name).astype(np.float32), p.grid, grid, cfg.resample) for p in products]
    names = unique_names([p.path for p in products])
    corrected, stats, params = mosaic.correct_layers(layers, grid, cfg, 0, names)
    if not stats:
        raise InputError(f"{args.track1} and {args.track2} have no valid pixel in common")
    s = stats[0]
    report(f"overlap {names[0]} - {names[1]}: {s.pixels} pixels",
           f"  before: median {s.median_before:.6g}, RMS {s.rms_before:.6g}",
           f"  after : median {s.median_after:.6g}, RMS {s.rms_after:.6g}")
    terms = "offset" if cfg.offset_model == "offset" else "offset, per deg lon, per deg lat"
    report(f"  removed from {names[1]} ({names[0]} fixed; {terms}): {' '.join(f'{v:.6g}' for v in params[1])}")
    unit = products[0].datasets[name].unit or products[0].attrs.get("UNIT", "")
    report(plot_pair(layers[0], layers[1], corrected[0], corrected[1], grid, tuple(names), cfg.azimuth,
                    Path(args.output), unit))
    return 0


main = script_main(build_parser, _work)


if __name__ == "__main__":
    sys.exit(main())
