"""DataSet entries -> product files, and the MimtPy project name of a product.

An entry of ``mimtpy.<step>.DataSet`` (or a script's positional file) is a product file, a
folder that is a product itself (a LiCSBAS ``TS_GEOCml*`` or ``results/`` folder, a LiCSAR frame folder:
:func:`mimtpy.io.open_product` recognises it by its content), a folder holding one (``<dir>`` or
``<dir>/mintpy``: HDF-EOS5 first, then ``timeseries*.h5``), or a MimtPy project name resolved under
``$SCRATCHDIR/<name>/mintpy/``. Relative entries are taken
relative to the project folder (the template's folder; the current folder for scripts).
"""

from __future__ import annotations

import os
from pathlib import Path

from mimtpy.errors import InputError
from mimtpy.io import READERS

TIMESERIES_NAMES = ("S1*.he5", "*.he5", "timeseries*.h5")


def is_product_folder(path: Path) -> bool:
    """A folder that a folder reader of :data:`mimtpy.io.READERS` accepts (LiCSBAS/LiCSAR, Zarr)."""
    if not path.is_dir():
        return False
    for reader in READERS:
        if reader.folder or reader.name == "cube":
            try:
                if reader.accepts(path):
                    return True
            except OSError:
                continue
    return False


def expand(entry: str | Path, base: Path) -> Path:
    """``entry`` with ``~`` and ``$VARS`` expanded, relative to ``base``."""
    text = os.path.expanduser(os.path.expandvars(str(entry)))
    path = Path(text)
    return path if path.is_absolute() else base / path


def resolve_dataset(entry: str | Path, base: Path) -> Path:
    """The product file of a ``DataSet`` entry (see the module docstring); InputError naming the
    entry and every place tried when there is none, or several."""
    path = expand(entry, base)
    candidates = [path]
    if not path.exists() and "/" not in str(entry) and os.environ.get("SCRATCHDIR"):
        candidates.append(Path(os.environ["SCRATCHDIR"]) / str(entry) / "mintpy")
    for cand in candidates:
        if cand.is_file() or (cand.is_dir() and cand.suffix.lower() == ".zarr"):   # a Zarr cube is a folder
            return cand
        for folder in (cand, cand / "mintpy"):
            if folder.is_dir():
                for pattern in TIMESERIES_NAMES:
                    found = sorted(folder.glob(pattern))
                    if len(found) == 1:
                        return found[0]
                    if len(found) > 1:
                        names = ", ".join(f.name for f in found)
                        raise InputError(f"DataSet '{entry}': several products in {folder} ({names}); name one file")
        if is_product_folder(cand):          # after the MintPy names: a mintpy/ folder with a GeoTIFF stays MintPy's
            return cand
    tried = " or ".join(str(c) for c in candidates)
    hint = "" if os.environ.get("SCRATCHDIR") else " ($SCRATCHDIR is not set, so project names cannot be resolved)"
    raise InputError(f"DataSet '{entry}': no HDF-EOS5 or timeseries product found at {tried} (nor a LiCSBAS "
                     f"TS_GEOCml*/results or LiCSAR frame folder){hint}")


def resolve_datasets(entries: tuple[str, ...] | list[str] | None, base: Path, key: str) -> list[Path]:
    """Every entry resolved; InputError listing all that fail, prefixed by the template ``key``."""
    if not entries:
        raise InputError(f"{key}: no product given (a product file, its folder or a project name)")
    paths, problems = [], []
    for entry in entries:
        try:
            paths.append(resolve_dataset(entry, base))
        except InputError as err:
            problems.append(str(err))
    if problems:
        raise InputError(f"{key}: " + "; ".join(problems))
    return paths


def project_name(path: Path) -> str:
    """MimtPy project name of a product: the folder above ``mintpy/`` (for files in ``mintpy/`` or
    one folder below it, like ``mintpy/velocity/``), else the folder of the file; a product folder (LiCSAR frame,
    LiCSBAS TS/results) is named by itself, or by the frame folder above it."""
    if path.is_dir():
        if path.name == "results" or path.name.startswith("TS_"):
            return path.parent.name if path.name.startswith("TS_") else path.parent.parent.name
        return path.name
    parents = path.parents
    for level in (0, 1):
        if len(parents) > level + 1 and parents[level].name == "mintpy":
            return parents[level + 1].name
    return path.parent.name or path.stem


def unique_names(paths: list[Path]) -> list[str]:
    """Project names of several products; file stems where those repeat; indices as a last resort."""
    for names in ([project_name(p) for p in paths], [p.stem for p in paths]):
        if len(set(names)) == len(names):
            return names
    return [f"{project_name(p)}_{i}" for i, p in enumerate(paths)]
