"""Atomic output: write under a temporary name in the target folder, then rename.

Temporary names are ``.<name>.pid<PID>_<host>.<random>.part`` beside the output ``<name>``. A run that is
killed (SIGKILL, power cut) cannot remove its temporary; the next run that writes, or finds up to date, the
same output removes the stale ones (:func:`remove_stale_parts`). A temporary is stale when the process that
made it is gone: its ``PID`` is not running on this host, or (another host sharing the folder, or a name
without a pid) it has not been modified for :data:`STALE_AGE` seconds: a live writer touches its file far more
often. Temporaries of other outputs, and live ones of this output, are never touched.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

#: seconds after which a temporary whose writer cannot be checked (another host, no pid) counts as stale
STALE_AGE = 24 * 3600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0]) or "host"


def part_prefix(path: Path) -> str:
    """The start of this process's temporary names for ``path`` (mkstemp/mkdtemp add a random part and ``.part``)."""
    return f".{path.name}.pid{os.getpid()}_{_host()}."


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True                 # exists (another user's) or cannot tell: keep
    return True


def stale_parts(path: str | os.PathLike) -> list[Path]:
    """The temporaries of output ``path`` left by writers that are gone (see the module docstring)."""
    path = Path(path)
    name = re.escape(path.name)
    pattern = re.compile(rf"^\.{name}\.(?:pid(\d+)_([A-Za-z0-9]+)\.)?[A-Za-z0-9_]{{6,}}(?:\.\w+)?\.part$")
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.part"))
    except OSError:
        return []
    stale, now, host = [], time.time(), _host()
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if not match:
            continue
        pid, where = match.groups()
        try:
            age = now - candidate.lstat().st_mtime
        except OSError:
            continue
        if pid is not None and where == host and int(pid) != os.getpid() and not _pid_running(int(pid)):
            stale.append(candidate)
        elif age > STALE_AGE:
            stale.append(candidate)
    return stale


def remove_stale_parts(path: str | os.PathLike) -> list[Path]:
    """Remove the stale temporaries of output ``path``; returns those removed (logged)."""
    removed = []
    for part in stale_parts(path):
        try:
            if part.is_dir() and not part.is_symlink():
                shutil.rmtree(part)
            else:
                part.unlink()
        except OSError as err:
            logger.warning("cannot remove the stale temporary %s: %s", part, err)
            continue
        removed.append(part)
        logger.info("removed %s, left by an interrupted run", part)
    return removed


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    If the body raises, the temporary file is removed and ``path`` is untouched, so an
    interrupted run never leaves a half-written file under the final name; stale temporaries of
    ``path`` left by killed runs are removed first. The file gets the permissions of any new file
    (0666 less the umask), not the 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path)
    fd, tmp = tempfile.mkstemp(prefix=part_prefix(path), suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
