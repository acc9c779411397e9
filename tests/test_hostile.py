"""Hostile and careless inputs (issue 16), as a corpus that grows: add a case, not a test.

Each case copies the committed sample, breaks it as an attacker or a careless operator would,
and runs ``mhaudit`` (in-process, for speed) into an --out that holds a good earlier
publication. A case states its exit status and the words its one-paragraph message must hold;
every case checks that the earlier publication is byte-identical afterwards, that nothing else is
left in --out (no staging folder, lock or half-swapped year) and that nothing was written
anywhere outside --out and the warehouse folder. Cases refused before any work also check that
the warehouse folder was never created and --out was not touched at all.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SAMPLE
from pipeline import cli

YEAR = "2024-25"
Mutation = Callable[[Path], None]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file (and empty folder) under ``folder`` with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*")) if p.is_file() or not any(p.iterdir())}


# --- mutations of the extracts --------------------------------------------------------------

def set_cell(relative: str, line: int, column: str, value: str) -> Mutation:
    """Put ``value`` in ``column`` on physical ``line`` (the header is line 1) of a sample CSV."""
    def mutate(extracts: Path) -> None:
        path = extracts / relative
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows[line - 1][rows[0].index(column)] = value
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return mutate


def append_copy_of_line(relative: str, line: int) -> Mutation:
    def mutate(extracts: Path) -> None:
        path = extracts / relative
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines) + lines[line - 1], encoding="utf-8")
    return mutate


def to_parquet(relative: str, then: Callable[[Path], None] | None = None) -> Mutation:
    """Replace a sample CSV by the same rows as Parquet (text columns), then change the file."""
    def mutate(extracts: Path) -> None:
        path = extracts / relative
        header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        frame = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header}))
        target = path.with_suffix(".parquet")
        pq.write_table(frame, target, row_group_size=5000, compression="snappy")
        path.unlink()
        if then:
            then(target)
    return mutate


def set_parquet_value(row: int, column: str, value: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        frame = pq.read_table(path)
        values = frame.column(column).to_pylist()
        values[row - 1] = value
        pq.write_table(frame.set_column(frame.schema.get_field_index(column), column, pa.array(values)), path)
    return change


def corrupt_parquet_page(row_group: int, column: str) -> Callable[[Path], None]:
    """Overwrite the compressed data of one column chunk (its page header stays intact)."""
    def change(path: Path) -> None:
        meta = pq.ParquetFile(path).metadata.row_group(row_group)
        chunk = next(meta.column(i) for i in range(meta.num_columns) if meta.column(i).path_in_schema == column)
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        data = bytearray(path.read_bytes())
        data[start + 40:start + chunk.total_compressed_size] = b"\xff" * (chunk.total_compressed_size - 40)
        path.write_bytes(bytes(data))
    return change


def sparse_gigabyte(relative: str, keep_header: bool) -> Mutation:
    """A 1 GB sparse file (NUL bytes that cost no disk), after the header or instead of the file."""
    def mutate(extracts: Path) -> None:
        path = extracts / relative
        head = path.read_text(encoding="utf-8").split("\n", 1)[0] + "\n" if keep_header else ""
        path.write_text(head, encoding="utf-8")
        os.truncate(path, 1 << 30)
    return mutate


def extra_field(relative: str, line: int) -> Mutation:
    def mutate(extracts: Path) -> None:
        path = extracts / relative
        lines = path.read_text(encoding="utf-8").split("\n")
        lines[line - 1] += ",extra"
        path.write_text("\n".join(lines), encoding="utf-8")
    return mutate


def after_a_quoted_newline(line: int, relative: str, column: str, then: Callable[[int], Mutation]) -> Mutation:
    """A value holding a line break on ``line`` of a file, and further down the breakage ``then(n)``
    makes on the line that is physical line ``n`` once the break is in."""
    def mutate(extracts: Path) -> None:
        then(-1)(extracts)  # applied to the line before it moves one down
        set_cell(relative, line, column, "team\nname")(extracts)
    return mutate


# --- states of --out that a killed or failed run can leave ------------------------------------

def interrupted_swap(out: Path) -> None:
    os.rename(out / YEAR, out / f".previous-{YEAR}")  # killed between the swap's two renames


def leftover_staging(out: Path) -> None:
    (out / f".staging-{YEAR}" / "reports").mkdir(parents=True)
    (out / f".staging-{YEAR}" / "reports" / "RB6.pdf").write_bytes(b"%PDF-1.7 half written" * 250_000)


def stale_lock(out: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / f".lock-{YEAR}").write_text(json.dumps({"pid": dead.pid, "host": "here", "command": "mhaudit run",
                                                   "started": "2025-07-15T00:00:00+00:00"}))


def earlier_year_too(out: Path) -> None:
    shutil.copytree(out / YEAR, out / "2023-24")


@dataclass(frozen=True)
class Case:
    id: str
    exit: int
    words: tuple[str, ...]
    mutate: Mutation | None = None
    args: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = None
    before_work: bool = False  # refused before any work: no warehouse, --out untouched
    absent: tuple[str, ...] = field(default=())  # words the output must not hold


CODE_RULE = "3 to 6 capital letters and digits"
BAD_INPUT = ("Bad input in file", "Nothing was published for this year; earlier outputs are unchanged")

CASES = [
    # Identifiers are validated as identifiers, in every table and in reference files.
    Case("code-traversal-in-patient-index", 2, (*BAD_INPUT, "MHS001MPI.csv", "column OrgIDProv", "line 3",
         "'../../../evil' is not a valid OrgIDProv", CODE_RULE),
         set_cell(f"{YEAR}/MHS001MPI.csv", 3, "OrgIDProv", "../../../evil"), absent=("loaded MHS101Referral",)),
    Case("code-with-slash-in-referrals", 2, (*BAD_INPUT, "MHS101Referral.csv", "column OrgIDProv", "line 5", "'a/b'"),
         set_cell(f"{YEAR}/MHS101Referral.csv", 5, "OrgIDProv", "a/b")),
    Case("code-ALL-in-care-contacts", 2, ("MHS201CareContact.csv", "column OrgIDProv", "line 7", "'ALL' is reserved",
         "not ALL"), set_cell(f"{YEAR}/MHS201CareContact.csv", 7, "OrgIDProv", "ALL")),
    Case("code-markup-in-talking-therapies", 2, ("TalkingTherapiesReferral.csv", "line 2",
         "'<img src=x onerror=alert(1)>' is not a valid OrgIDProv"),
         set_cell(f"{YEAR}/TalkingTherapiesReferral.csv", 2, "OrgIDProv", "<img src=x onerror=alert(1)>")),
    Case("code-formula-in-providers-reference", 2, ("reference/Providers.csv", "column OrgIDProv", "line 4",
         "=HYPERLINK"), set_cell("reference/Providers.csv", 4, "OrgIDProv", '=HYPERLINK("http://x.test","y")')),
    Case("code-lower-case", 2, ("MHS401MHActPeriod.csv", "line 2", "'rb6' is not a valid OrgIDProv"),
         set_cell(f"{YEAR}/MHS401MHActPeriod.csv", 2, "OrgIDProv", "rb6")),
    Case("code-with-spaces", 2, ("ExperienceSurvey.csv", "line 9", "' RB6' is not a valid OrgIDProv"),
         set_cell(f"{YEAR}/ExperienceSurvey.csv", 9, "OrgIDProv", " RB6")),
    Case("code-too-long", 2, ("MHS515RestrictiveInterventType.csv", "line 3", "'RB6RB6R'"),
         set_cell(f"{YEAR}/MHS515RestrictiveInterventType.csv", 3, "OrgIDProv", "RB6RB6R")),
    Case("code-newline-in-parquet", 2, ("MHS505RestrictiveInterventInc.parquet", "column OrgIDProv", "row 12",
         "'RB6\\n../x'"),
         to_parquet(f"{YEAR}/MHS505RestrictiveInterventInc.csv", set_parquet_value(12, "OrgIDProv", "RB6\n../x"))),
    # Reference files have keys; counts are whole and not negative.
    Case("population-duplicated-row", 2, (*BAD_INPUT, "reference/Population.csv",
         "column LADistrictAuth, Year, EthnicGroupCensus, Sex, AgeBand", "line 1370", "repeats line 2",
         "= (E09000001, 2021, 13, 1, 0-15)"), append_copy_of_line("reference/Population.csv", 2)),
    Case("providers-duplicated-row", 2, ("reference/Providers.csv", "column OrgIDProv, LADistrictAuth", "line 8",
         "repeats line 3"), append_copy_of_line("reference/Providers.csv", 3)),
    Case("population-negative-count", 2, ("reference/Population.csv", "column Count", "line 6",
         "'-5' is less than 0"), set_cell("reference/Population.csv", 6, "Count", "-5")),
    Case("population-fractional-count", 2, ("reference/Population.csv", "column Count", "line 6",
         "'12.5' is not a whole number"), set_cell("reference/Population.csv", 6, "Count", "12.5")),
    # Arguments are validated before any work.
    Case("year-with-traversal", 2, ("--year '2024-25/../2023-24'", "YYYY-YY"), args=("--year", "2024-25/../2023-24"),
         setup=lambda out: (earlier_year_too(out), leftover_staging(out)), before_work=True),
    Case("year-not-consecutive", 2, ("--year '2024-26'", "consecutive"), args=("--year", "2024-26"), before_work=True),
    Case("publication-date-not-iso", 2, ("--publication-date '31/12/2024'", "YYYY-MM-DD"),
         args=("--publication-date", "31/12/2024"), before_work=True),
    Case("publication-date-impossible", 2, ("--publication-date '2025-02-30'",),
         args=("--publication-date", "2025-02-30"), before_work=True),
    Case("providers-traversal", 2, ("--providers: '../x' is not a provider's code", CODE_RULE),
         args=("--providers", "RB6,../x"), before_work=True),
    Case("providers-ALL", 2, ("--providers: 'ALL'", "ALL is always published"), args=("--providers", "ALL"),
         before_work=True),
    Case("providers-unknown", 2, ("--providers: XYZ is not in the 2024-25 patient index", "RB6, RMD, RRJ"),
         args=("--providers", "RB6,XYZ"), absent=("loaded MHS101Referral", "loaded Population")),
    # Every input error is exit 2 naming file, column and line or row.
    Case("parquet-corrupted-page", 2, (*BAD_INPUT, "MHS201CareContact.parquet", "column Person_ID", "row 5001",
         "rows 5,001 to ", "cannot be decoded"),
         to_parquet(f"{YEAR}/MHS201CareContact.csv", corrupt_parquet_page(1, "Person_ID"))),
    # a column no rule checks: the load still decodes it (the stages read the file in place later)
    Case("parquet-corrupted-unchecked-column", 2, (*BAD_INPUT, "MHS201CareContact.parquet", "column AttendOrDNACode",
         "row 5001", "cannot be decoded"),
         to_parquet(f"{YEAR}/MHS201CareContact.csv", corrupt_parquet_page(1, "AttendOrDNACode"))),
    Case("sparse-gigabyte-after-header", 2, ("MHS404CommTreatOrder.csv", "line 2", "NUL byte"),
         sparse_gigabyte(f"{YEAR}/MHS404CommTreatOrder.csv", keep_header=True)),
    Case("sparse-gigabyte-whole-file", 2, ("MHS404CommTreatOrder.csv", "line 1", "NUL byte"),
         sparse_gigabyte(f"{YEAR}/MHS404CommTreatOrder.csv", keep_header=False)),
    Case("ten-megabyte-cell", 2, ("MHS101Referral.csv", "column ServTeamTypeRefToMH", "line 101",
         "bytes or more", "limit of 1,000,000 bytes"),
         set_cell(f"{YEAR}/MHS101Referral.csv", 101, "ServTeamTypeRefToMH", "x" * 10_000_000)),
    Case("line-after-a-quoted-newline", 2, ("MHS101Referral.csv", "column ReferralRequestReceivedDate", "line 41",
         "'2024-13-01' is not an ISO date"),
         after_a_quoted_newline(3, f"{YEAR}/MHS101Referral.csv", "ServTeamTypeRefToMH",
                                lambda shift: set_cell(f"{YEAR}/MHS101Referral.csv", 41 + shift,
                                                       "ReferralRequestReceivedDate", "2024-13-01"))),
    Case("ragged-row-after-a-quoted-newline", 2, ("MHS101Referral.csv", "line 31", "9 fields but the header has 8"),
         after_a_quoted_newline(3, f"{YEAR}/MHS101Referral.csv", "ServTeamTypeRefToMH",
                                lambda shift: extra_field(f"{YEAR}/MHS101Referral.csv", 31 + shift))),
    # A run starts by restoring what a killed run left, whatever happens next.
    Case("interrupted-swap-then-bad-input", 2, ("MHS001MPI.csv", "line 2"),
         set_cell(f"{YEAR}/MHS001MPI.csv", 2, "OrgIDProv", "a/b"), setup=interrupted_swap),
    Case("leftover-staging-then-bad-input", 2, ("MHS001MPI.csv",),
         set_cell(f"{YEAR}/MHS001MPI.csv", 2, "OrgIDProv", "a/b"), setup=leftover_staging),
    Case("stale-lock-then-bad-input", 2, ("took over the stale lock", "mhaudit run", "MHS001MPI.csv"),
         set_cell(f"{YEAR}/MHS001MPI.csv", 2, "OrgIDProv", "a/b"), setup=stale_lock),
]


@pytest.fixture()
def sandbox(tmp_path, published_sample, monkeypatch) -> Path:
    """tmp/extracts (a copy of the sample), tmp/out (a good earlier publication), tmp/cwd (the
    working folder); tmp/work is the warehouse folder a run may create."""
    shutil.copytree(SAMPLE, tmp_path / "extracts")
    shutil.copytree(published_sample, tmp_path / "out" / YEAR)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path


def outside(sandbox: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every path in the sandbox but --out and the warehouse folder
    (not the bytes: the extracts may hold a sparse gigabyte)."""
    return {str(p.relative_to(sandbox)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in sorted(sandbox.rglob("*"))
            if p.relative_to(sandbox).parts[0] not in ("out", "work")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, sandbox: Path, capsys):
    out, work, extracts = sandbox / "out", sandbox / "work", sandbox / "extracts"
    earlier = snapshot(out)
    if case.mutate:
        case.mutate(extracts)
    if case.setup:
        case.setup(out)
    as_set_up, around = snapshot(out), outside(sandbox)

    status = cli.main(["run", "--extracts", str(extracts), "--out", str(out), "--work", str(work),
                       "--publication-date", "2025-07-16", *case.args])
    message = capsys.readouterr().err

    assert status == case.exit, message[-3000:]
    for word in case.words:
        assert word in message, (word, message[-3000:])
    for word in case.absent:
        assert word not in message, (word, message[-3000:])
    assert "Traceback" not in message
    assert outside(sandbox) == around, "something was written outside --out"
    if case.before_work:
        assert not work.exists() and snapshot(out) == as_set_up
    else:
        assert snapshot(out) == earlier  # the earlier year intact, and nothing else left in --out


def test_the_unbroken_copy_passes_so_each_case_fails_by_its_breakage(sandbox, capsys):
    """The corpus's baseline: the copied sample, run the same way into the same --out, validates."""
    checked = sandbox / "out" / f"{YEAR}-validation"  # validate writes data_quality.csv and validation/ there
    status = cli.main(["validate", "--extracts", str(sandbox / "extracts"), "--out", str(checked),
                       "--work", str(sandbox / "work"), "--publication-date", "2025-07-16"])
    assert status == 0, capsys.readouterr().err[-3000:]
    assert sorted(os.listdir(sandbox / "out")) == [YEAR, checked.name]
    assert sorted(os.listdir(checked)) == ["data", "validation"]


MHAUDIT = [sys.executable, "-m", "pipeline.cli"]
ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}


def test_sparse_gigabyte_is_refused_before_it_costs_memory(sandbox):
    """The issue's 1 GB file cost 2.46 GB of memory; streamed, the refusal costs what any bad input does."""
    sparse_gigabyte(f"{YEAR}/MHS001MPI.csv", keep_header=True)(sandbox / "extracts")
    peak = subprocess.run(
        [sys.executable, "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]).returncode; "
         "print(r, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *MHAUDIT, "run", "--extracts",
         str(sandbox / "extracts"), "--out", str(sandbox / "out"), "--work", str(sandbox / "work")],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    status, kilobytes = map(int, peak.stdout.split())
    assert status == 2 and "NUL byte" in peak.stderr, peak.stderr[-2000:]
    assert kilobytes < 1_000_000, f"peak memory {kilobytes / 1e6:.2f} GB"
