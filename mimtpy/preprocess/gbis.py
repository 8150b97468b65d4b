"""GBIS export (``gbis`` step, script ``save_gbis.py``): ``<outdir>/<outname>.mat`` with Phase
(radians, ``-4 pi d / lambda``), Lat, Lon, Heading and Inc of every valid pixel, or of the leaves of
Kite's quadtree with ``quadtree = yes`` (:mod:`mimtpy.preprocess.gbisfmt`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.context import Plan, RunContext, Step
from mimtpy.preprocess._base import QuadtreeExportConfig, out_folder, out_name, plan_inputs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GbisConfig(QuadtreeExportConfig):
    SECTION: ClassVar[str] = "gbis"
    HELP: ClassVar[str] = "GBIS .mat input (Phase, Lat, Lon, Heading, Inc) of pixels or quadtree leaves"


def plan(cfg: GbisConfig, ctx: RunContext) -> Plan:
    p = plan_inputs(cfg, ctx)
    p.outputs.append(out_folder(cfg, ctx) / f"{out_name(cfg)}.mat")
    return p


def run(cfg: GbisConfig, ctx: RunContext) -> list[Path]:
    from mimtpy.errors import InputError
    from mimtpy.preprocess import gbisfmt, kitefmt, leaves, quadtree
    from mimtpy.preprocess._base import load, quadtree_kwargs

    p = plan(cfg, ctx)
    p.raise_problems("gbis", InputError)
    if ctx.is_current(p.outputs, p.inputs, ctx.settings(cfg)):
        return p.outputs
    inp = load(cfg, ctx)
    lam = inp.wavelength(cfg.wavelength)
    if cfg.quadtree:
        disp, _theta, _phi = kitefmt.scene_arrays(inp)
        frame = kitefmt.frame_of(inp)
        tree = quadtree.build_quadtree(disp, frame["dE"], frame["dN"], **quadtree_kwargs(cfg))
        ys = inp.grid.y_step
        table = leaves.leaf_table(disp, kitefmt.south_up(inp.east, ys), kitefmt.south_up(inp.north, ys),
                                  kitefmt.south_up(inp.up, ys), tree, frame, inp.grid.epsg)
        vectors = gbisfmt.gbis_leaf_arrays(table, lam)
    else:
        vectors = gbisfmt.gbis_arrays(inp, cfg.wavelength)
    logger.info("GBIS: %d points", vectors["Phase"].size)
    return [gbisfmt.write_gbis(p.outputs[0], vectors, lam, inp.dates, str(inp.path))]


STEP = Step("gbis", "preprocess", GbisConfig, plan, run, scripts=("save_gbis.py",))
