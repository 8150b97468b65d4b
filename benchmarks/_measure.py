"""Shared helpers of the benchmarks: run a command in a child process, report its time and peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
_MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); dt = time.perf_counter() - t; "
            "print(r.returncode, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(r.stderr[-3000:] if r.returncode else '')")


def measure(cmd: list[str], cwd: Path) -> dict:
    """Wall time (s) and peak RSS (MB) of ``cmd``, run without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, cwd=cwd, env=env)
    code, seconds, maxrss_kb = out.stdout.split()
    if code != "0":
        raise RuntimeError(f"{cmd[0]} failed:\n{out.stderr}")
    return {"seconds": float(seconds), "peak_rss_mb": int(maxrss_kb) / 1024}


def save_result(name: str, result: dict) -> None:
    """Print ``result`` and keep it in benchmarks/results/<name>.json (not committed)."""
    text = json.dumps(result, indent=2)
    print(text)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(text)
