"""The one block pipeline of mimtpy: rows of a grid in blocks under a memory budget.

:func:`process_blocks` reads full-width row blocks of its inputs (all epochs of a 3-D input),
runs a function on each and hands the results to one writer, in row order. Reading is
sequential (one reader thread: disks and HDF5 like that); the function runs on ``workers``
threads (the compiled kernels release the GIL) or, with ``cluster``, on Dask workers, which
read their own blocks and return arrays; the writer always runs here, so one writer owns each
output file. At most ``workers + 1`` blocks are in flight, and the block height is chosen so
that they fit together in ``max_memory`` GB. Results do not depend on the number of workers.
"""

from __future__ import annotations

import atexit
import logging
import math
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

logger = logging.getLogger(__name__)

GB = 1024**3
#: most bytes of input one block reads, whatever the budget: HDF5 reads of ~50 MB run several times faster
#: than one huge read, and several blocks let reading overlap computing
MAX_BLOCK_INPUT = 64 * 1024**2


class ArrayLike(Protocol):
    """What :func:`process_blocks` reads: numpy arrays, :class:`mimtpy.io.product.DatasetArray`,
    :class:`mimtpy.core.resample.ResampledArray`, ... (rows and columns are the last two axes)."""

    shape: tuple[int, ...]
    dtype: Any

    def __getitem__(self, key) -> Any: ...


class BlockWriter(Protocol):
    """Where :func:`process_blocks` puts results: ``write(rows, arrays)`` for each block, in row order."""

    def write(self, rows: slice, arrays: Mapping[str, Any]) -> None: ...


def row_blocks(length: int, bytes_per_row: int, max_memory_gb: float) -> list[slice]:
    """Row slices such that one block needs at most ``max_memory_gb`` (at least one row each)."""
    budget = max(float(max_memory_gb), 1e-6) * GB
    rows = max(1, min(length, int(budget // max(1, bytes_per_row))))
    return [slice(r, min(r + rows, length)) for r in range(0, length, rows)]


def iterate_blocks(blocks: list, desc: str) -> Iterator:
    """Yield the blocks (row slices, epochs, ...) with progress: a bar on a terminal, else a log
    line every ~10 %."""
    progress = Progress(len(blocks), desc)
    for block in blocks:
        yield block
        progress.step()
    progress.close()


class Progress:
    """A progress bar on a terminal, else a log line every ~10 % of ``total`` steps."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.done = total, desc, 0
        logger.info("%s: %d block(s)", desc, total)
        self.bar = None
        if sys.stderr.isatty() and total > 1:
            from tqdm import tqdm  # only on a terminal: a bar

            self.bar = tqdm(total=total, desc=desc, unit="block", leave=False)
        self.every = max(1, total // 10)

    def step(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.total > 1 and (self.done % self.every == 0 or self.done == self.total):
            logger.info("%s: %d/%d blocks done", self.desc, self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def row_bytes(array: ArrayLike) -> int:
    """Bytes one full-width row of ``array`` takes in memory when read (all leading axes)."""
    declared = getattr(array, "row_bytes", None)
    if declared is not None:
        return int(declared)
    import numpy as np

    lead = math.prod(array.shape[:-2]) if len(array.shape) > 2 else 1
    return int(lead * array.shape[-1] * np.dtype(array.dtype).itemsize)


def read_rows(array: ArrayLike, rows: slice) -> Any:
    """Rows ``rows`` of ``array`` over its full width and every leading axis."""
    return array[(slice(None),) * (len(array.shape) - 2) + (rows, slice(None))]


def _read_block(inputs: Mapping[str, ArrayLike], rows: slice) -> dict[str, Any]:
    return {name: read_rows(array, rows) for name, array in inputs.items()}


def _run_block(inputs: Mapping[str, ArrayLike], func: Callable, rows: slice) -> dict[str, Any]:
    """Read and process one block (what a Dask worker does)."""
    return func(_read_block(inputs, rows))


def plan_blocks(inputs: Mapping[str, ArrayLike], max_memory: float, in_flight: int, work_factor: float = 1.0,
                out_bytes_per_row: int = 0, max_rows: int | None = None) -> list[slice]:
    """Row blocks of ``inputs`` (all of one height) such that ``in_flight`` blocks of inputs,
    their temporaries (``work_factor`` x the input) and outputs fit in ``max_memory`` GB."""
    shapes = {name: tuple(a.shape[-2:]) for name, a in inputs.items()}
    if not shapes:
        raise ValueError("process_blocks needs at least one input")
    if len(set(shapes.values())) > 1:
        raise ValueError(f"inputs of different grids: {shapes}")
    length = next(iter(shapes.values()))[0]
    read_per_row = sum(row_bytes(a) for a in inputs.values())
    per_row = read_per_row * (1.0 + work_factor) + out_bytes_per_row
    budget_rows = row_blocks(length, int(per_row * max(1, in_flight)), max_memory)[0].stop
    rows = max(1, min(budget_rows, MAX_BLOCK_INPUT // max(1, read_per_row), max_rows or length))
    return [slice(r, min(r + rows, length)) for r in range(0, length, rows)]


def process_blocks(inputs: Mapping[str, ArrayLike], func: Callable[[dict[str, Any]], Mapping[str, Any]],
                   writer: BlockWriter, max_memory: float, *, workers: int = 1, cluster: str | None = None,
                   desc: str = "blocks", work_factor: float = 1.0, out_bytes_per_row: int = 0,
                   max_rows: int | None = None) -> int:
    """Run ``func`` over row blocks of ``inputs`` and write each result with ``writer``.

    ``inputs``: array-likes sharing their last two axes (rows, columns); ``func`` receives
    ``{name: block}`` (full width, all leading axes) and returns ``{name: array}`` with the
    block's rows on the second-to-last axis. For Dask (``cluster`` = 'local' or a scheduler
    address) ``func`` and ``inputs`` must pickle: module-level functions bound with
    ``functools.partial``, :class:`~mimtpy.io.product.DatasetArray` windows. Returns the number
    of blocks. ``max_rows`` caps the block height (kernels that work best on cache-sized blocks).
    """
    workers = max(1, int(workers))
    in_flight = workers + 1
    blocks = plan_blocks(inputs, max_memory, in_flight, work_factor, out_bytes_per_row, max_rows)
    progress = Progress(len(blocks), desc)
    try:
        if cluster and cluster.strip().lower() not in ("no", "none", "false"):
            _run_dask(inputs, func, writer, blocks, dask_client(cluster, workers), 2 * workers, progress)
        else:
            _run_threads(inputs, func, writer, blocks, workers, progress)
    finally:
        progress.close()
    return len(blocks)


def _drain(blocks: list[slice], start: Callable[[slice], Any], window: int, writer: BlockWriter,
           progress: Progress) -> None:
    """Keep ``window`` blocks in flight (``start(rows)`` returns a future), write each result in row order."""
    pending: deque[tuple[slice, Any]] = deque()
    todo = iter(blocks)

    def submit() -> None:
        rows = next(todo, None)
        if rows is not None:
            pending.append((rows, start(rows)))

    for _ in range(max(1, window)):
        submit()
    try:
        while pending:
            rows, future = pending.popleft()
            writer.write(rows, future.result())
            if hasattr(future, "release"):      # a Dask future: free its result on the worker
                future.release()
            progress.step()
            submit()
    except BaseException:
        for _rows, future in pending:
            future.cancel()
        raise


def _run_threads(inputs, func, writer, blocks: list[slice], workers: int, progress: Progress) -> None:
    """One reader thread (sequential reads), ``workers`` compute threads, writes here in row order."""
    with ThreadPoolExecutor(1, thread_name_prefix="mimtpy-read") as reader, \
            ThreadPoolExecutor(workers, thread_name_prefix="mimtpy-block") as pool:
        def start(rows: slice) -> Future:
            read = reader.submit(_read_block, inputs, rows)
            return pool.submit(lambda: func(read.result()))

        _drain(blocks, start, workers + 1, writer, progress)


def _run_dask(inputs, func, writer, blocks: list[slice], client, window: int, progress: Progress) -> None:
    """Blocks read and processed on Dask workers; results written here in row order."""
    remote = client.scatter(dict(inputs), broadcast=True) if inputs else inputs
    _drain(blocks, lambda rows: client.submit(_run_block, remote, func, rows, pure=False), window, writer, progress)


_CLIENTS: dict[tuple[str, int], Any] = {}


def dask_client(cluster: str, workers: int):
    """A ``dask.distributed`` client: 'local' starts a LocalCluster of ``workers`` single-threaded
    worker processes (kept for the rest of this process); anything else is a scheduler address."""
    key = (cluster.strip(), workers)
    if key in _CLIENTS:
        return _CLIENTS[key]
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:   # pragma: no cover - dask.distributed is a dependency
        raise RuntimeError(f"mimtpy.compute.cluster = {cluster} needs dask.distributed: {err}") from None
    if key[0].lower() == "local":
        local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(local)
        logger.info("Dask LocalCluster with %d worker process(es)", workers)
    else:
        client = Client(key[0], timeout="30s")
        logger.info("Dask scheduler %s: %d worker(s)", key[0], len(client.scheduler_info().get("workers", {})))
    _CLIENTS[key] = client
    return client


@atexit.register
def _close_clients() -> None:
    for name in ("distributed", "tornado", "asyncio"):     # no log lines into streams already closed at exit
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for client in list(_CLIENTS.values()):
        try:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
        except Exception:   # interpreter shutting down
            pass
    _CLIENTS.clear()
