"""One run per publication year at a time: a lock on ``<out>/<year>`` and on the run's warehouse.

A lock is a file (``<out>/.lock-<year>``, ``<work>/<year>.duckdb.lock``) holding an exclusive
``flock`` for as long as the run lasts, and naming its holder (process id, host, command, start
time). The kernel releases a ``flock`` when its process ends, however it ends, so a lock file
left behind by a killed run is stale by construction: the next run takes it over and says so.
A second run while the first is alive stops at once with the holder's name (exit status 2).
Within one process the lock is re-entrant, so the stages a run calls may take it again.
``flock`` works between processes of one machine on local file systems (not across NFS hosts).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.errors import MhauditError

log = logging.getLogger("mhaudit")
_held: dict[str, int] = {}  # lock path -> how many times this process holds it


class LockHeld(MhauditError):
    """Another live run holds the lock."""

    exit_code = 2


def lock_paths(out: Path, year: str, warehouse: Path | None = None) -> list[Path]:
    paths = [Path(out) / f".lock-{year}"]
    return paths + ([Path(f"{warehouse}.lock")] if warehouse is not None else [])


@contextmanager
def year_lock(out: Path, year: str, warehouse: Path | None = None) -> Iterator[None]:
    """Hold the year's publication lock (and the warehouse's) until the block ends."""
    with ExitStack() as stack:
        stack.enter_context(_file_lock(lock_paths(out, year)[0], f"the publication folder {Path(out) / year}"))
        if warehouse is not None:
            stack.enter_context(_file_lock(lock_paths(out, year, warehouse)[1], f"the warehouse {warehouse}"))
        yield


@contextmanager
def _file_lock(path: Path, what: str) -> Iterator[None]:
    key = os.path.abspath(path)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = _acquire(path, what)
    except OSError as exc:  # a full disk: say where
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    _held[key] = 1
    try:
        yield
    finally:
        del _held[key]
        try:
            os.unlink(path)  # still holding the flock, so no other run is between open and lock
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)


def _acquire(path: Path, what: str) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(_read(fd))
            os.close(fd)
            raise LockHeld(f"{what} is in use by another mhaudit run ({holder}); wait for it to finish. "
                           f"The lock is {path}; a lock left by a run that has ended is taken over by the next one"
                           ) from None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:  # else the previous holder removed the file between our open and our lock: again
            break
        os.close(fd)
    stale = _read(fd)
    if stale:
        log.warning("took over the stale lock %s of a run that has ended (%s)", path, _describe(stale))
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
          "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    return fd


def _read(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {"pid": "unknown (the lock file is not readable)"}


def _describe(holder: dict) -> str:
    if not holder:
        return "a process that is starting"
    return (f"process {holder.get('pid')} on {holder.get('host', 'this machine')}, started {holder.get('started', '?')}: "
            f"{holder.get('command', '?')}")
