"""Servers a test starts (Redis, Celery workers, dagster dev): a free port, each server in its own
process group, and the whole group ended (a detached `dagster dev` ignores SIGTERM for a while)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``args`` in its own process group (as a shell job), its output in ``log``."""
    with open(log, "w") as out:
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the whole group, then SIGKILL if it has not ended."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=timeout)
            return
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue
