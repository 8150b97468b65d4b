"""Generate ``defaults/mimtpyApp.cfg`` and ``docs/template.md`` from the step registry (:mod:`mimtpy.steps`),
and ``docs/formats.md`` from the reader registry (:data:`mimtpy.io.READERS`).

``python -m mimtpy.docgen [ROOT]`` (``make defaults``) rewrites them; a test checks that
the committed files equal what this module renders, so they cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mimtpy import steps


def render_default_template() -> str:
    """The documented default template: every key with its default and help (defaults/mimtpyApp.cfg)."""
    lines = [
        "## mimtpy default template: every key, its default and what it means.",
        "## Generated from the step registry (make defaults); do not edit by hand.",
        "## Keys are case-insensitive; 'auto' = the default behaviour; # starts a comment;",
        "## relative paths are relative to the folder of the template.",
        f"## Steps, in the order they run: {', '.join(steps.names())}.",
    ]
    for section in steps.sections():
        lines += ["", f"########## {section.SECTION}: {section.HELP}"]
        if section.IS_STEP:
            step = steps.get(section.SECTION)
            scripts = f"; script {', '.join(step.scripts)}" if step.scripts else ""
            lines[-1] += f" ({step.group}{scripts})"
            lines.append(f"{'mimtpy.' + section.SECTION:<40} = no  # run this step: yes/no")
        for _name, meta in section.options():
            key = f"mimtpy.{section.SECTION}.{meta['key']}"
            allowed = f" [{' | '.join(meta['choices'])}]" if meta["choices"] else ""
            lines.append(f"{key:<40} = {meta['text']}  # {meta['help']}{allowed}")
    return "\n".join(lines) + "\n"


def render_template_reference() -> str:
    """Markdown reference of every template key."""
    out = ["# Template reference", "",
           "Generated from the step registry (`mimtpy/steps.py`) by `make defaults`; do not edit by hand.", "",
           "A template is a text file of `key = value` lines. Keys are case-insensitive; `#` starts a comment;",
           "`$VARS` and `~` expand; yes/no/true/false/y/n and `auto`/`none` are understood everywhere; an empty",
           "value means the default. Relative paths are relative to the folder of the template.",
           "A step runs when its switch is on (`mimtpy.<step> = yes`).", "",
           "Steps, in the order they run:", "",
           "| step | group | scripts | what it does |", "| --- | --- | --- | --- |"]
    out += [f"| `{s.name}` | {s.group} | {', '.join(f'`{x}`' for x in s.scripts)} | {s.config.HELP} |"
            for s in steps.steps()]
    for section in steps.sections():
        out += ["", f"## `mimtpy.{section.SECTION}`", "", section.HELP + ".", ""]
        if section.IS_STEP:
            out.append(f"Switch: `mimtpy.{section.SECTION} = yes | no` (default no).")
            out.append("")
        out += ["| key | default | meaning |", "| --- | --- | --- |"]
        for _name, meta in section.options():
            allowed = f" One of: {', '.join(meta['choices'])}." if meta["choices"] else ""
            out.append(f"| `{meta['key']}` | `{meta['text']}` | {meta['help']}.{allowed} |")
    return "\n".join(out) + "\n"


def render_formats() -> str:
    """Markdown list of the product formats :func:`mimtpy.io.open_product` reads, in the order they are tried."""
    from mimtpy.io import READERS

    out = ["# Supported product formats", "",
           "Generated from the reader registry (`mimtpy.io.READERS`) by `make defaults`; do not edit by hand.", "",
           "`mimtpy.io.open_product(path, mask=True)` tries the readers below in this order and returns the same",
           "model for all of them: values in metres and metres/year, LOS positive toward the satellite, a grid",
           "whose X_FIRST/Y_FIRST are the outer corner of the first pixel (MintPy). Readers of products that carry",
           "their own mask (LiCSBAS, LiCSAR) apply it unless `mask=False`. A folder is recognised by its content.",
           "Interferogram stacks (MintPy ifgramStack.h5, LiCSAR GEOC, LiCSBAS GEOCml*, ROI_PAC, PyRate/GAMMA",
           "GeoTIFFs) open with `mimtpy.io.open_ifgram_stack`.", "",
           "| reader | kind | what it reads | conventions |", "| --- | --- | --- | --- |"]
    for reader in READERS:
        kind = "folder" if reader.folder else "file"
        if reader.name == "cube":
            kind = "file or folder"
        out.append(f"| `{reader.name}` | {kind} | {reader.description} | {reader.conventions or '-'} |")
    return "\n".join(out) + "\n"


def outputs(root: Path) -> dict[Path, str]:
    return {root / "defaults" / "mimtpyApp.cfg": render_default_template(),
            root / "docs" / "template.md": render_template_reference(),
            root / "docs" / "formats.md": render_formats()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path.cwd()
    for path, text in outputs(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
