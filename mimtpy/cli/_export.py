"""Shared argument handling of the exporter scripts (save_kite.py, save_gbis.py, save_insamp.py,
save_geodmod.py, save_roipac.py): MimtPy-style options mapped onto the template keys of the step."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mimtpy import steps
from mimtpy.api import run_config
from mimtpy.cli.common import (
    add_common_arguments,
    add_compute_arguments,
    add_option,
    config_from_args,
    context_from_args,
    report,
    script_main,
    section_help,
)

#: (option, field name, metavar, help) shared by every exporter
COMMON = (
    ("--date", "date", "D1_D2", "displacement between two dates (YYYYMMDD_YYYYMMDD) of a time series"),
    ("--type", "type", "{velocity,displacement}", "velocity or displacement (time series; default: "
                                                  "displacement with --date, else velocity)"),
    ("--dataname", "dataname", "NAME", "dataset of a 2-D product"),
    ("--geometry", "geometry", "GEOM", "file with incidenceAngle/azimuthAngle (default: the product's own or one "
                                      "beside it)"),
    ("--snwe", "snwe", "S N W E", "crop (really: data, grid and corners)"),
    ("--mask", "mask", "{yes,no,FILE}", "yes (the product's mask), no, or a mask file"),
    ("--wavelength", "wavelength", "M", "radar wavelength in m (default: the product's WAVELENGTH)"),
    ("--outdir", "outdir", "DIR", "output folder"),
    ("--outname", "outname", "NAME", "base name of the outputs"),
)
QUADTREE = (
    ("--epsilon", "epsilon", "E", "quadtree split threshold (std of a tile, data units; default: std of the scene)"),
    ("--nan-allowed", "nan_allowed", "F", "fraction of NaN a leaf may hold (default 0.9)"),
    ("--tile-size-min", "tile_size_min", "M", "smallest leaf in the frame unit (degrees for lon/lat grids)"),
    ("--tile-size-max", "tile_size_max", "M", "largest leaf in the frame unit"),
    ("--correction", "correction", "{mean,median,bilinear,std}", "mean, median (default), bilinear or std"),
)


def export_script(prog: str, step_name: str, example: str, quadtree: bool = False,
                  extra: Callable[[argparse.ArgumentParser], None] | None = None,
                  extra_values: Callable[[argparse.Namespace, dict], None] | None = None):
    """(build_parser, main) of an exporter script: the step's plan and run, as the App does."""
    options = COMMON + (QUADTREE if quadtree else ())
    spec = steps.get(step_name)
    config = spec.config
    description = f"{config.HELP}."

    def build_parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
                                         description=description, epilog=example + "\n" + section_help(config))
        parser.add_argument("file", help="product to export")
        for flag, dest, metavar, text in options:
            nargs = 4 if dest == "snwe" else None
            add_option(parser, flag, *(("--SNWE",) if dest == "snwe" else ()), dest=dest, nargs=nargs,
                       metavar=tuple(metavar.split()) if nargs else metavar, help=text)
        if quadtree:
            parser.add_argument("--quadtree", action="store_true", help="downsample with Kite's quadtree")
        if extra:
            extra(parser)
        add_compute_arguments(parser)
        add_common_arguments(parser)
        return parser

    def work(args: argparse.Namespace) -> int:
        cwd = Path.cwd()
        values: dict[str, str] = {"dataset": args.file}
        for _flag, dest, _m, _h in options:
            given = getattr(args, dest)
            if given is not None:
                values[dest] = " ".join(given) if isinstance(given, list) else str(given)
        if quadtree and args.quadtree:
            values["quadtree"] = "yes"
        if extra_values:
            extra_values(args, values)
        cfg = config_from_args(config, values, cwd)
        report(*run_config(spec, cfg, context_from_args(args, cwd), prog))
        return 0

    return build_parser, script_main(build_parser, work)
