"""Kite scene export (``kite`` step, script ``save_kite.py``), with Kite's quadtree built in.

Writes ``<outdir>/<outname>.npz`` + ``.yml`` exactly as Kite's ``Scene.save`` does
(:mod:`mimtpy.preprocess.kitefmt`: rows south-up, theta = 90 deg - incidence, phi = azimuthAngle +
90 deg, radians; frame llLat/llLon/dE/dN), readable by Kite without Kite being installed here.
With ``quadtree = yes`` also the leaves of Kite's quadtree for the same parameters
(:mod:`mimtpy.preprocess.quadtree`) as ``<outname>_quadtree.csv`` / ``.h5`` and a figure
``<outname>_quadtree.png``; with ``covariance = yes`` an exponential covariance (sill, range,
nugget) of the noise fitted over the far field (the scene minus ``covarianceExclude``) as
``<outname>_covariance.json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mimtpy.config import option
from mimtpy.context import Plan, RunContext, Step
from mimtpy.preprocess._base import QuadtreeExportConfig, out_folder, out_name, plan_inputs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KiteConfig(QuadtreeExportConfig):
    SECTION: ClassVar[str] = "kite"
    HELP: ClassVar[str] = "Kite scene (.npz + .yml) with Kite's quadtree and a noise covariance fit"
    figure: bool = option("figure", "yes", "draw the quadtree leaves (with quadtree = yes)", "bool")
    covariance: bool = option("covariance", "no", "fit an exponential covariance (sill, range, nugget) to the "
                              "noise of the far field", "bool")
    covariance_exclude: tuple = option("covarianceExclude", "none", "S N W E of the deforming area left out of "
                                       "the far field; none = the whole scene", "snwe")


def outputs(cfg: KiteConfig, ctx: RunContext) -> list[Path]:
    folder, name = out_folder(cfg, ctx), out_name(cfg)
    out = [folder / f"{name}.npz", folder / f"{name}.yml"]
    if cfg.quadtree:
        out += [folder / f"{name}_quadtree.csv", folder / f"{name}_quadtree.h5"]
        out += [folder / f"{name}_quadtree.png"] if cfg.figure else []
    if cfg.covariance:
        out.append(folder / f"{name}_covariance.json")
    return out


def plan(cfg: KiteConfig, ctx: RunContext) -> Plan:
    p = plan_inputs(cfg, ctx)
    if cfg.tile_size_min is not None and cfg.tile_size_max is not None and cfg.tile_size_min > cfg.tile_size_max:
        p.problem("tileSizeMin", f"{cfg.tile_size_min} is larger than tileSizeMax {cfg.tile_size_max}")
    p.outputs += outputs(cfg, ctx)
    return p


def run(cfg: KiteConfig, ctx: RunContext) -> list[Path]:
    import json

    import numpy as np

    from mimtpy.errors import InputError
    from mimtpy.io.atomic import atomic_output
    from mimtpy.preprocess import covariance as cov
    from mimtpy.preprocess import kitefmt, leaves, quadtree
    from mimtpy.preprocess._base import load, quadtree_kwargs

    p = plan(cfg, ctx)
    p.raise_problems("kite", InputError)
    settings = ctx.settings(cfg)
    if ctx.is_current(p.outputs, p.inputs, settings):
        return p.outputs
    inp = load(cfg, ctx)
    folder, name = out_folder(cfg, ctx), out_name(cfg)
    disp, _theta, _phi = kitefmt.scene_arrays(inp)
    frame = kitefmt.frame_of(inp)
    written: list[Path] = []
    qt_config = None
    table = None
    if cfg.quadtree:
        tree = quadtree.build_quadtree(disp, frame["dE"], frame["dN"], **quadtree_kwargs(cfg))
        prm = tree.params
        qt_config = {"correction": prm.correction, "epsilon": prm.epsilon, "nan_allowed": prm.nan_allowed,
                     "tile_size_min": prm.tile_size_min, "tile_size_max": prm.tile_size_max}
        ys = inp.grid.y_step
        table = leaves.leaf_table(disp, kitefmt.south_up(inp.east, ys), kitefmt.south_up(inp.north, ys),
                                  kitefmt.south_up(inp.up, ys), tree, frame, inp.grid.epsg)
        logger.info("quadtree: %d leaves (epsilon %.4g, tiles %d..%d px, correction %s)", len(tree), prm.epsilon,
                    prm.tile_min_px, prm.tile_max_px, prm.correction)
    written += kitefmt.write_kite_scene(inp, folder, name, wavelength=cfg.wavelength, quadtree=qt_config)
    if table is not None:
        attrs = {**{k: v for k, v in inp.attrs.items()}, "UNIT": inp.unit, "quantity": inp.quantity,
                 **{f"quadtree_{k}": v for k, v in qt_config.items()}}
        written += leaves.write_leaves(table, folder, name, attrs)
        if cfg.figure:
            written.append(leaves.plot_leaves(disp, table, frame, folder / f"{name}_quadtree.png", inp.unit))
    if cfg.covariance:
        g = inp.grid
        x, y = cov.pixel_coordinates_m(g.lons(), g.lats(), g.epsg == 4326)
        far = inp.data.copy()
        if cfg.covariance_exclude:
            rows, cols = g.window(cfg.covariance_exclude)
            far[rows, cols] = np.nan
        fit = cov.fit_exponential(far, x, y)
        fit.update(unit_sill=f"({inp.unit})^2", unit_range="m", source=str(inp.path),
                   exclude=list(cfg.covariance_exclude) if cfg.covariance_exclude else None)
        path = folder / f"{name}_covariance.json"
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(fit, indent=1))
        logger.info("covariance: sill %.3g, range %.0f m, nugget %.3g", fit["sill"], fit["range"], fit["nugget"])
        written.append(path)
    return written


STEP = Step("kite", "preprocess", KiteConfig, plan, run, scripts=("save_kite.py",))
