"""mimtpy: post-processing and analysis of InSAR displacement time series.

Units inside mimtpy are metres and metres/year; LOS displacement is positive toward
the satellite (MintPy convention). See ``docs/conventions.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mimtpy.errors import InputError, MimtpyError, ProductError, TemplateError

__all__ = ["InputError", "MimtpyError", "ProductError", "TemplateError", "__version__"]
