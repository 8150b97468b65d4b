"""The one block loop of mimtpy: split rows of a grid into blocks under a memory budget."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

from tqdm import tqdm

logger = logging.getLogger(__name__)


def row_blocks(length: int, bytes_per_row: int, max_memory_gb: float) -> list[slice]:
    """Row slices such that one block needs at most ``max_memory_gb`` (at least one row each)."""
    budget = max(float(max_memory_gb), 1e-6) * 1024**3
    rows = max(1, min(length, int(budget // max(1, bytes_per_row))))
    return [slice(r, min(r + rows, length)) for r in range(0, length, rows)]


def iterate_blocks(blocks: list, desc: str) -> Iterator:
    """Yield the blocks (row slices, epochs, ...) with progress: a bar on a terminal, else a log
    line every ~10 %."""
    logger.info("%s: %d block(s)", desc, len(blocks))
    if sys.stderr.isatty():
        yield from tqdm(blocks, desc=desc, unit="block", disable=len(blocks) < 2, leave=False)
        return
    step = max(1, len(blocks) // 10)
    for i, block in enumerate(blocks, start=1):
        yield block
        if len(blocks) > 1 and (i % step == 0 or i == len(blocks)):
            logger.info("%s: %d/%d blocks done", desc, i, len(blocks))
