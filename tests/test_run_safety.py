"""One run at a time, clean shutdown, and full or read-only disks (issue 16): each leaves the
earlier publication byte-identical and says what happened, naming the process or the path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, seed_work
from pipeline import cli, publish
from test_hostile import YEAR, snapshot

MHAUDIT = [sys.executable, "-m", "pipeline.cli"]
ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
HOLD = ("import sys\nfrom pipeline.runlock import year_lock\n"
        "with year_lock(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None):\n"
        "    print('held', flush=True)\n    sys.stdin.read()\n")


@pytest.fixture()
def earlier(tmp_path, published_sample) -> Path:
    """--out holding a good earlier publication of the latest sample year."""
    shutil.copytree(published_sample, tmp_path / "out" / YEAR)
    return tmp_path / "out"


@pytest.mark.parametrize("held", ["publication", "warehouse"])
def test_a_second_run_exits_2_at_once_naming_the_process_that_holds_the_lock(earlier, tmp_path, capsys, held):
    work = tmp_path / "work"
    # The holder publishes into the same --out, or into another one from the same warehouse.
    args = [str(earlier), YEAR] if held == "publication" else [str(tmp_path / "other"), YEAR, str(work / f"{YEAR}.duckdb")]
    holder = subprocess.Popen([sys.executable, "-c", HOLD, *args], cwd=ROOT, env=ENV, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = snapshot(earlier)
        status = cli.main(["run", "--out", str(earlier), "--work", str(work), "--year", YEAR,
                           "--publication-date", "2025-07-16"])
        message = capsys.readouterr().err
        assert status == 2, message
        assert "in use by another mhaudit run" in message and f"process {holder.pid}" in message
        assert ("publication folder" if held == "publication" else "warehouse") in message
        assert "loaded" not in message  # refused at once, before any table is read
        assert snapshot(earlier) == before  # the holder's lock file included: the second run left it alone
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert sorted(os.listdir(earlier)) == [YEAR]  # the holder removed its lock when it finished


def _group(pgid: int) -> list[tuple[int, bytes]]:
    """Live (not zombie) processes of a process group, with their command lines."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append((int(stat.parent.name), cmdline))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
def test_a_killed_run_leaves_no_process_behind_and_nothing_written_after_it(earlier, tmp_path):
    before = snapshot(earlier)
    seed_work(tmp_path / "w")
    run = subprocess.Popen(MHAUDIT + ["run", "--out", str(earlier), "--work", str(tmp_path / "w"), "--year", YEAR,
                                      "--providers", "RB6", "--publication-date", "2025-07-16"],
                           cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)  # its own process group, as a shell job has
    deadline = time.monotonic() + 600
    while sum(b"spawn_main" in cmd for _, cmd in _group(run.pid)) < 2:  # both render workers started
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before its workers started"
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    deadline = time.monotonic() + 60  # a worker left alive would render for minutes; the kernel ends it at once
    while _group(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group(run.pid) == [], "processes of the killed run are still alive"
    staging = publish.staging_dir(earlier, YEAR)
    assert not list(staging.rglob("*.pdf")), "a report was written after the run was killed"
    assert {k: v for k, v in snapshot(earlier).items() if not k.startswith((".staging", ".lock"))} == before


def _in_namespace(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run a Python script as root of a new user and mount namespace (so it may mount a small or
    read-only file system without privileges); skips where the system does not allow that."""
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0 or not shutil.which("mount"):
        pytest.skip("needs unshare -rm (user namespaces) to mount a small file system")
    return subprocess.run(["unshare", "-rm", sys.executable, "-c", script, *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=900)


NAMESPACED_RUN = """
import hashlib, json, pathlib, shutil, subprocess, sys
out, earlier, extracts, work, mount = sys.argv[1:6]
subprocess.run(mount.split() + [out], check=True)
shutil.copytree(earlier, pathlib.Path(out) / "{year}") if "ro" not in mount else None
run = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--extracts", extracts, "--out", out, "--work", work,
                      "--year", "{year}", "--publication-date", "2025-07-16"], capture_output=True, text=True)
files = {{str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(pathlib.Path(out).rglob("*")) if p.is_file()}}
print(json.dumps({{"status": run.returncode, "stderr": run.stderr, "files": files}}))
""".format(year=YEAR)


def _hashes(folder: Path) -> dict[str, str]:
    import hashlib

    return {k: hashlib.sha256(v).hexdigest() for k, v in snapshot(folder).items()}


def test_a_full_disk_names_the_path_and_leaves_the_earlier_year(earlier, tmp_path):
    used = sum(-(-p.stat().st_size // 4096) * 4096 for p in earlier.rglob("*") if p.is_file())
    mount = f"mount -t tmpfs -o size={used // 1024 + 1024}k tmpfs"  # room for the lock, not for the data docs
    (tmp_path / "small").mkdir()
    result = _in_namespace(NAMESPACED_RUN, str(tmp_path / "small"), str(earlier / YEAR), str(SAMPLE),
                           str(tmp_path / "w"), mount)
    outcome = json.loads(result.stdout or "{}") or pytest.fail(result.stderr[-3000:])
    assert outcome["status"] == 1, outcome["stderr"][-3000:]
    assert "No space left on device" in outcome["stderr"], outcome["stderr"][-3000:]
    assert f"{tmp_path / 'small'}/.staging-{YEAR}" in outcome["stderr"]  # the path it could not write
    assert "earlier outputs are unchanged" in outcome["stderr"] and "Traceback" not in outcome["stderr"]
    assert outcome["files"] == {f"{YEAR}/{k}": v for k, v in _hashes(earlier / YEAR).items()}


def test_a_publication_folder_that_cannot_be_written_is_named(earlier, tmp_path):
    # A read-only file system: root is refused too, as it would not be by file permissions.
    mount = f"mount --bind {earlier} {earlier}; mount -o remount,bind,ro"
    script = NAMESPACED_RUN.replace("subprocess.run(mount.split() + [out], check=True)",
                                    "[subprocess.run(m.split() + ([out] if i else []), check=True) "
                                    "for i, m in enumerate(mount.split('; '))]")
    result = _in_namespace(script, str(earlier), str(earlier / YEAR), str(SAMPLE), str(tmp_path / "w"), mount)
    outcome = json.loads(result.stdout or "{}") or pytest.fail(result.stderr[-3000:])
    assert outcome["status"] == 1, outcome["stderr"][-3000:]
    assert f"cannot use {earlier}/.lock-{YEAR}: Read-only file system" in outcome["stderr"]
    assert outcome["files"] == {f"{YEAR}/{k}": v for k, v in _hashes(earlier / YEAR).items()}
