"""Writing a year's publication: staged aside, checksummed in a manifest, moved into place whole.

A run writes everything under ``<out>/.staging-<year>/`` and only when the whole year has
succeeded swaps it with ``<out>/<year>/``. A failed or killed run leaves the earlier
publication byte-for-byte as it was; the next run cleans the stale staging folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from pipeline.load import sha256

MANIFEST = "manifest.json"


def staging_dir(out: Path, year: str) -> Path:
    return Path(out) / f".staging-{year}"


def fresh_staging(out: Path, year: str) -> Path:
    """An empty staging folder for the year (any leftover from an interrupted run is removed)."""
    recover(out, year)
    path = staging_dir(out, year)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def recover(out: Path, year: str) -> None:
    """Finish or undo a swap that a killed run left half done."""
    final, previous = Path(out) / year, Path(out) / f".previous-{year}"
    if previous.exists():
        if final.exists():
            shutil.rmtree(previous)
        else:
            os.rename(previous, final)


def swap_into_place(staging: Path, out: Path, year: str) -> Path:
    """Replace ``<out>/<year>`` by the staging folder with two renames (the window between
    them is covered by :func:`recover`)."""
    final, previous = Path(out) / year, Path(out) / f".previous-{year}"
    recover(out, year)
    if final.exists():
        os.rename(final, previous)
    os.rename(staging, final)
    if previous.exists():
        shutil.rmtree(previous)
    return final


def code_version() -> str:
    """The package version, with the git commit when run from a checkout."""
    version = metadata.version("mhaudit")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        return f"{version}+g{commit}" + (".dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return version


def output_checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def write_manifest(folder: Path, *, inputs: list[dict], parameters: dict, version: str) -> Path:
    """manifest.json: inputs' checksums, parameters, code version and every output's checksum."""
    manifest = {
        "mhaudit_version": version,
        "parameters": parameters,
        "inputs": inputs,
        "outputs": output_checksums(folder),
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def verify(folder: Path) -> list[str]:
    """Published files whose bytes differ from the manifest, or that are missing or unlisted."""
    manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    expected, actual = manifest["outputs"], output_checksums(Path(folder))
    problems = [f"changed: {p}" for p in expected if p in actual and actual[p] != expected[p]]
    problems += [f"missing: {p}" for p in expected if p not in actual]
    problems += [f"not in manifest: {p}" for p in actual if p not in expected]
    return problems
