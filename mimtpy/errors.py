"""Exception hierarchy of mimtpy.

Every error a user can cause derives from :class:`MimtpyError` and also from the
builtin that describes it best, so ``except ValueError`` / ``except OSError`` in
calling code keeps working.  Command-line entry points catch ``MimtpyError`` and
print its message without a traceback.
"""

from __future__ import annotations


class MimtpyError(Exception):
    """Base class of all mimtpy errors."""


class TemplateError(MimtpyError, ValueError):
    """One or more problems in a template file.

    ``problems`` holds one human-readable line per problem
    (``file:line: key: message``); ``str(err)`` joins them.
    """

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ProductError(MimtpyError, OSError):
    """A product (HDF5, HDF-EOS5, GeoTIFF) is missing, unreadable or lacks what a step needs."""


class InputError(MimtpyError, ValueError):
    """Arguments that are individually valid but do not fit together (dates outside the data, ...)."""
