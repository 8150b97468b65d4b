"""Exporters for modelling tools, behind one registry (:data:`EXPORTERS`).

Each exporter is a step module of this package (config model ``mimtpy.<name>.*``, ``plan``, ``run``,
``STEP``) with a console script keeping MimtPy's name. The formats list of the docs
(``docs/steps/exports.md``) is generated from this registry by :func:`formats_markdown`.
Importing this package is light (no numpy).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Exporter:
    """One export format: its step/section name, module, script, files written and description."""

    name: str
    module: str
    script: str
    outputs: str
    description: str

    def step(self):
        """The registered :class:`mimtpy.context.Step` of this exporter (imports its module)."""
        return importlib.import_module(self.module).STEP


EXPORTERS: dict[str, Exporter] = {e.name: e for e in (
    Exporter("kite", "mimtpy.preprocess.kite", "save_kite.py",
             "NAME.npz, NAME.yml; with quadtree NAME_quadtree.csv/.h5/.png; NAME_covariance.json",
             "Kite scene (pyrocko/kite Scene.save layout: south-up rows, theta/phi in radians, degree or meter "
             "frame) with Kite's quadtree and an exponential noise covariance fit"),
    Exporter("gbis", "mimtpy.preprocess.gbis", "save_gbis.py", "NAME.mat",
             "GBIS input: Phase (rad, -4 pi d / lambda), Lat, Lon, Heading, Inc per pixel or quadtree leaf"),
    Exporter("insamp", "mimtpy.preprocess.insamp", "save_insamp.py", "NAME.unw/.cor/.los + .rsc",
             "InSAMP input: ROI_PAC unwrapped phase, coherence and line-interleaved incidence/heading"),
    Exporter("geodmod", "mimtpy.preprocess.geodmod", "save_geodmod.py", "NAME.unw/.cor/.dem/.los + .rsc",
             "GeodMod input: ROI_PAC files on the cropped grid, with the DEM"),
    Exporter("roipac", "mimtpy.preprocess.roipac", "save_roipac.py", "NAME.unw/.cor/.dem/.los + .rsc",
             "ROI_PAC files readable by ROI_PAC tools, MintPy and mimtpy"),
    Exporter("subtract", "mimtpy.preprocess.subtract", "subtract_h5.py", "NAME.h5, NAME.tif, NAME.png",
             "Residual of two products (resampled to a common grid), optional linear/quadratic ramp removal"),
)}


def formats_markdown() -> str:
    """The formats table of ``docs/steps/exports.md``, generated from :data:`EXPORTERS`."""
    lines = ["| section | script | writes | what |", "| --- | --- | --- | --- |"]
    for e in EXPORTERS.values():
        lines.append(f"| `mimtpy.{e.name}.*` | `{e.script}` | {e.outputs} | {e.description} |")
    return "\n".join(lines) + "\n"


__all__ = ["EXPORTERS", "Exporter", "formats_markdown"]
