"""mimtpy: post-processing and analysis of InSAR displacement time series.

Units inside mimtpy are metres and metres/year; LOS displacement is positive toward
the satellite (MintPy convention). See ``docs/conventions.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mimtpy._version import __version__
from mimtpy.errors import InputError, MimtpyError, ProductError, TemplateError

__all__ = ["InputError", "MimtpyError", "ProductError", "TemplateError", "__version__", "run"]


def run(step: str, /, **keys: Any) -> list[Path]:
    """Run one step from Python with its template keys: ``mimtpy.run("velcumu", DataSet=[...],
    type="velocity", outdir="vel")``; see :func:`mimtpy.api.run`."""
    from mimtpy import api

    return api.run(step, **keys)
