"""Config models: one frozen dataclass per template section, the single source of its keys,
defaults, allowed values and help text.

A step module declares its model as a subclass of :class:`SectionConfig` with fields made by
:func:`option`; the default of each field is its template text parsed once, so a model built
from Python (``VelcumuConfig(dataset=("a.he5",))``) has the same defaults as a template. Text
parsing lives in :mod:`mimtpy.template`; ``defaults/mimtpyApp.cfg`` and ``docs/template.md``
are rendered from the registered models (:mod:`mimtpy.docgen`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mimtpy.template import parse_value

#: formats of GNSS velocity tables (:mod:`mimtpy.io.gnss`), the choices of every ``gnssFormat`` key
GNSS_FORMATS = ("globk", "midas", "csv", "psvelo")


def option(key: str, default: str, help: str, kind: str, choices: tuple[str, ...] = (),
           lo: float | None = None, hi: float | None = None, count: int | None = None) -> Any:
    """Declare a template key: ``default`` is the template text, ``kind`` how it is parsed
    (see :func:`mimtpy.template.parse_value`). The field's Python default is that text parsed
    (relative paths stay relative: steps resolve them against the project folder)."""
    meta = dict(key=key, text=default, help=help, kind=kind, choices=choices, lo=lo, hi=hi, count=count)
    return field(default=parse_value(meta, default, None), metadata=meta)


@dataclass(frozen=True)
class SectionConfig:
    """Base of all section configs; ``SECTION`` is the template section name."""

    SECTION: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    IS_STEP: ClassVar[bool] = True

    @classmethod
    def options(cls) -> list[tuple[str, dict]]:
        """(field name, metadata) of every template key, in declaration order."""
        return [(f.name, dict(f.metadata)) for f in dataclasses.fields(cls) if f.metadata]

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Lower-case template key -> field name."""
        return {meta["key"].lower(): name for name, meta in cls.options()}

    @classmethod
    def field_names(cls) -> list[str]:
        return [name for name, _meta in cls.options()]

    @classmethod
    def meta(cls, name: str) -> dict:
        """The option metadata of field ``name``."""
        return dict(next(f.metadata for f in dataclasses.fields(cls) if f.name == name))


@dataclass(frozen=True)
class ComputeConfig(SectionConfig):
    SECTION: ClassVar[str] = "compute"
    HELP: ClassVar[str] = "Resources used by every step"
    IS_STEP: ClassVar[bool] = False
    max_memory: float = option("maxMemory", "4", "memory budget of a step's block work (all blocks in flight "
                               "together), in GB", "float", lo=1e-4, hi=1024)
    cluster: str = option("cluster", "no", "where blocks run: no = threads of this process, local = a Dask "
                          "LocalCluster, or the address of a Dask scheduler (tcp://host:8786)", "str")
    num_worker: str = option("numWorker", "auto", "threads or Dask workers: a number, all (every core) or auto "
                             "(the physical cores)", "str")

    @property
    def workers(self) -> int:
        """numWorker as a number (auto = physical cores, all = every logical core)."""
        import os

        text = (self.num_worker or "auto").strip().lower()
        logical = os.cpu_count() or 1
        if text == "all":
            return logical
        if text == "auto":
            return max(1, physical_cores() or logical)
        if not text.isdigit() or int(text) < 1:
            from mimtpy.errors import InputError
            raise InputError(f"mimtpy.compute.numWorker: '{self.num_worker}' is not a number >= 1, all or auto")
        return int(text)

    @property
    def use_dask(self) -> bool:
        return (self.cluster or "no").strip().lower() not in ("no", "none", "false", "")


def physical_cores() -> int | None:
    """Physical cores of this machine (Linux /proc/cpuinfo), None where unknown."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    blocks = ({k.strip(): v.strip() for k, v in (line.split(":", 1) for line in part.splitlines() if ":" in line)}
              for part in text.split("\n\n"))
    cores = {(blk.get("physical id"), blk["core id"]) for blk in blocks if "core id" in blk}
    return len(cores) or None
