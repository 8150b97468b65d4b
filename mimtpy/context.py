"""What a step needs to know about the run it is part of."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from mimtpy.config import ComputeConfig
from mimtpy.io import read_settings

logger = logging.getLogger(__name__)


@dataclass
class RunContext:
    """Shared state of one App (or script) run.

    ``produced`` collects the outputs of the steps run so far (the plot step draws them).
    """

    project_dir: Path
    compute: ComputeConfig = field(default_factory=lambda: ComputeConfig(max_memory=4.0))
    force: bool = False
    produced: list[Path] = field(default_factory=list)

    def is_current(self, outputs: list[Path], inputs: list[Path], settings: dict) -> bool:
        """True when every output exists, is newer than every input, and the ``.h5`` ones
        were made with ``settings`` (stored as an attribute); always False with ``force``."""
        if self.force or not outputs or not all(p.exists() for p in outputs):
            return False
        newest_input = max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)
        if any(p.stat().st_mtime < newest_input for p in outputs):
            return False
        stored = [read_settings(p) for p in outputs if p.suffix == ".h5"]
        if any(s != settings for s in stored):
            return False
        logger.info("up to date, skipped: %s", ", ".join(p.name for p in outputs))
        return True

    @staticmethod
    def settings(cfg, **extra) -> dict:
        """JSON-normalised settings of a step (its config plus ``extra``), as stored in outputs."""
        raw = {**dataclasses.asdict(cfg), **extra}
        return json.loads(json.dumps(raw, sort_keys=True, default=str))
