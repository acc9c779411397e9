"""Writing a year's publication: staged aside, checksummed in a manifest, moved into place whole.

A run writes everything under ``<out>/.staging-<year>/`` and only when the whole year has
succeeded swaps it with ``<out>/<year>/``. A failed or killed run leaves the earlier
publication byte-for-byte as it was; the next run, before anything else, finishes or undoes an
interrupted swap and removes the stale staging folder. One run at a time holds a year's lock
(:mod:`pipeline.runlock`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zlib
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Iterator

from pipeline.errors import ConfigError
from pipeline.load import sha256
from pipeline.runlock import year_lock

MANIFEST = "manifest.json"
INDEX_ROW = re.compile(r'<tr data-provider="([^"]+)"')  # the auditor's index: a row per provider
# The libraries whose versions can change what is published, recorded in every manifest.
LIBRARIES = ("dagster", "duckdb", "great-expectations", "pandas", "pyarrow", "numpy", "scipy", "weasyprint", "jinja2",
             "xlsxwriter")


def staging_dir(out: Path, year: str) -> Path:
    return Path(out) / f".staging-{year}"


def prepare(out: Path, year: str) -> None:
    """At the start of a run (holding the year's lock): put back the earlier year if a swap was
    interrupted, and remove the staging folder a failed or killed run left behind."""
    recover(out, year)
    discard_staging(out, year)


def discard_staging(out: Path, year: str) -> None:
    path = staging_dir(out, year)
    if path.exists():
        shutil.rmtree(path)


def fresh_staging(out: Path, year: str) -> Path:
    """An empty staging folder for the year (any leftover from an interrupted run is removed)."""
    with year_lock(out, year):
        prepare(out, year)
        path = staging_dir(out, year)
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
    with year_lock(out, year):
        recover(out, year)
        if final.exists():
            os.rename(final, previous)
        os.rename(staging, final)
        if previous.exists():
            shutil.rmtree(previous)
    return final


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Name ``path`` in an OSError that names no file (a write that found the disk full)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


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


def environment() -> dict:
    """The Python, the platform and the versions of the libraries that made the publication."""
    return {"python": platform.python_version(), "implementation": sys.implementation.name,
            "platform": platform.platform(), "libraries": {name: metadata.version(name) for name in LIBRARIES}}


def write_manifest(folder: Path, *, inputs: list[dict], parameters: dict, version: str, extracts: Path) -> Path:
    """manifest.json: the extracts folder and every input file read with its checksum, parameters,
    code version, environment and every output's checksum."""
    manifest = {
        "mhaudit_version": version,
        "parameters": parameters,
        "extracts": str(extracts),
        "inputs": inputs,
        "environment": environment(),
        "outputs": output_checksums(folder),
    }
    path = folder / MANIFEST
    with writing(path):
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def published_years(folder: Path) -> list[Path]:
    """The publications to verify: ``folder`` itself when it holds a manifest (or is a publication
    without one), else each year in it that has one; a folder with neither is refused, saying which
    folder to give."""
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        return [folder]
    years = sorted(p.parent for p in folder.glob(f"*/{MANIFEST}")) if folder.is_dir() else []
    if not years and any((folder / part).is_dir() for part in ("data", "reports", "validation")):
        return [folder]  # a publication that lost its manifest: verify says so
    if not years:
        found = "does not exist" if not folder.exists() else f"holds no {MANIFEST}, nor does any folder in it"
        raise ConfigError(f"{folder} {found}: give a published year, e.g. out/2024-25, or the folder of years, "
                          "e.g. out")
    return years


def verify(folder: Path) -> list[str]:
    """Published files whose bytes differ from the manifest, that are missing or unlisted, or
    whose run (publication date, providers, year) disagrees with the manifest's."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder: give a published year, e.g. out/2024-25")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"missing: {MANIFEST} (not a publication, or its manifest was removed)"]
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"unreadable: {MANIFEST} is not valid JSON ({exc})"]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        return [f"unreadable: {MANIFEST} has no table of outputs"]
    expected, actual = manifest["outputs"], output_checksums(folder)
    problems = [f"changed: {p}" for p in expected if p in actual and actual[p] != expected[p]]
    problems += [f"missing: {p}" for p in expected if p not in actual]
    problems += [f"not in manifest: {p}" for p in actual if p not in expected]
    return problems + disagreements(folder, manifest.get("parameters") or {})


def disagreements(folder: Path, parameters: dict) -> list[str]:
    """Files of another run: a report or data docs run dated otherwise than the manifest's
    publication date, a data docs run of another year or a second run of a suite, or a report,
    the auditor's index or a data row for another set of providers or year."""
    date, year = str(parameters.get("publication_date", "")), str(parameters.get("year", ""))
    problems = []
    reports = {p.stem: p for p in sorted((folder / "reports").glob("*.pdf"))}
    for code, path in reports.items():
        dated = pdf_creation_date(path)
        if dated != date:
            problems.append(f"disagrees: reports/{path.name} is dated {dated or 'nowhere'}, the manifest's "
                            f"publication date is {date}")
    # Great Expectations' pages: validations/<suite>/<year>/<publication date>/, one run per suite
    runs: dict[str, int] = {}
    for run in sorted((folder / "validation" / "validations").glob("*/*/*")):
        runs[run.parent.parent.name] = runs.get(run.parent.parent.name, 0) + 1
        if run.parent.name != year:
            problems.append(f"disagrees: {run.relative_to(folder)} is a validation run of {run.parent.name}, the "
                            f"manifest's year is {year}")
        if run.name[:8] != date.replace("-", ""):
            problems.append(f"disagrees: {run.relative_to(folder)} is a validation run of {run.name[:8]}, the "
                            f"manifest's publication date is {date}")
    problems += [f"disagrees: validation/validations/{suite} holds {n} validation runs, a publication one"
                 for suite, n in runs.items() if n > 1]
    providers = {"reports": set(reports)} if reports else {}
    index = folder / "validation" / "index.html"
    if index.is_file():  # the auditor's index: a row per provider (and ALL)
        providers["validation/index.html"] = set(INDEX_ROW.findall(index.read_text(encoding="utf-8")))
    for name in ("indicators.csv", "data_quality.csv"):
        if (folder / "data" / name).is_file():
            rows = _column_values(folder / "data" / name, ("year", "provider"))
            providers[f"data/{name}"] = rows["provider"]
            problems += [f"disagrees: data/{name} has rows for {y}, the manifest's year is {year}"
                         for y in sorted(rows["year"] - {year})]
    if len({frozenset(codes) for codes in providers.values()}) > 1:
        listed = "; ".join(f"{where}: {', '.join(sorted(codes))}" for where, codes in providers.items())
        problems.append(f"disagrees: the files are for different providers ({listed})")
    return problems


def _column_values(path: Path, columns: tuple[str, ...]) -> dict[str, set[str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        values: dict[str, set[str]] = {c: set() for c in columns}
        for row in reader:
            for c in columns:
                values[c].add(row.get(c) or "")
    return values


_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm[^>]*>>\s*stream\r?\n")
_CREATED = re.compile(rb"/CreationDate\s*\(D:(\d{4})(\d{2})(\d{2})")


def pdf_creation_date(path: Path) -> str | None:
    """The ISO date in a PDF's /CreationDate (the renderer writes the publication date there); it
    sits in a compressed object stream, which is inflated here without a PDF library."""
    data = path.read_bytes()
    found = _CREATED.search(data)
    for match in () if found else _OBJECT_STREAM.finditer(data):
        try:
            found = _CREATED.search(zlib.decompressobj().decompress(memoryview(data)[match.end():]))
        except zlib.error:
            continue
        if found:
            break
    return "-".join(g.decode() for g in found.groups()) if found else None
