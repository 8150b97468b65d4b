"""``NAME=VALUE`` items of the grid-search keys (pure Python: the step module imports it at start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mimtpy.context import Plan


def parse_assignments(items: tuple, key: str, plan: Plan | None = None) -> dict[str, str]:
    """``NAME=TEXT`` items -> {name: text}; problems recorded in ``plan`` (or raised)."""
    from mimtpy.errors import InputError

    out = {}
    for item in items or ():
        name, eq, text = item.partition("=")
        if not eq or not name.strip() or not text.strip():
            message = f"'{item}' is not NAME=VALUE"
            if plan is None:
                raise InputError(f"mimtpy.gridsearch.{key}: {message}")
            plan.problem(key, message)
            continue
        out[name.strip().lower()] = text.strip()
    return out
