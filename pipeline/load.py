"""Load one financial year of extracts into DuckDB with the contract's types.

Every file is checked before anything is typed: a missing, unreadable, empty or non-UTF-8
file (or one holding NUL bytes or an over-long line), a missing or duplicated column, a ragged
row, a value of the wrong type, an identifier that breaks its rule (an organisation code), a
negative count or a duplicated reference key ends the run with a :class:`BadInput` naming the
file, the column and the first offending (physical) line or Parquet row. Values of the right
type but outside their code list are data quality and are kept.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import rawfile
from pipeline.contract import ALL_TABLES, Column, Table, is_financial_year, sql_name
from pipeline.errors import BadInput, ConfigError

log = logging.getLogger("mhaudit")

_TYPE_RULES = {
    # (regex the trimmed text must match, human description). DuckDB's own casts are too
    # lenient here (they round '1.5' to 2 and read '2024/1/2' as a date).
    "INTEGER": (r"^[+-]?[0-9]+$", "a whole number"),
    "BIGINT": (r"^[+-]?[0-9]+$", "a whole number"),
    "DOUBLE": (r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$", "a number"),
    "DATE": (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "an ISO date YYYY-MM-DD"),
}


@dataclass(frozen=True)
class LoadedTable:
    table: str
    path: str
    rows: int
    sha256: str


def table_file(folder: Path, table: Table) -> Path:
    """The CSV or Parquet file holding a table; exactly one must exist."""
    found = [p for p in (folder / f"{table.name}.csv", folder / f"{table.name}.parquet") if p.exists()]
    if not found:
        raise BadInput(
            folder / f"{table.name}.csv",
            f"the {table.name} extract is missing",
            expected=f"{table.name}.csv or {table.name}.parquet in {folder}",
        )
    if len(found) > 1:
        raise BadInput(found[0], f"both {found[0].name} and {found[1].name} exist", expected="one file per table")
    return found[0]


def year_folder(extracts: Path, year: str) -> Path:
    return Path(extracts) / year


def available_years(extracts: Path) -> list[str]:
    """The financial years (folders such as 2024-25) present in an extract folder, oldest first."""
    if not Path(extracts).is_dir():
        raise BadInput(extracts, "the extracts folder does not exist", expected="a folder of financial-year folders")
    return sorted(p.name for p in Path(extracts).iterdir() if p.is_dir() and is_financial_year(p.name))


def latest_year(extracts: Path) -> str:
    years = available_years(extracts)
    if not years:
        raise BadInput(extracts, "there is no financial-year folder", expected="folders named like 2024-25")
    return years[-1]


def input_files(extracts: Path, year: str) -> dict[str, Path]:
    """Every file a year's run reads, by table name (extract tables then reference tables)."""
    if not year_folder(extracts, year).is_dir():
        raise BadInput(year_folder(extracts, year), f"there are no extracts for {year}",
                       expected=f"a folder {year} in {extracts} (found: {', '.join(available_years(extracts)) or 'none'})")
    files = {}
    for t in ALL_TABLES:
        folder = Path(extracts) / "reference" if t.reference else year_folder(extracts, year)
        files[t.name] = table_file(folder, t)
    return files


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_table(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> LoadedTable:
    """Check one file against the contract and (re)create its typed DuckDB table."""
    is_csv = path.suffix == ".csv"
    checksum = rawfile.digest(path, text=is_csv)  # first: refuses NUL bytes and over-long lines at once
    if is_csv:
        _stage_csv(con, table, path)
    else:
        _stage_parquet(con, table, path)
    label = "line" if is_csv else "row"
    types = _stage_types(con)
    select = ", ".join(_typed(c, types.get(c.name)) for c in table.columns)
    try:
        _check_values(con, table, path, label)
        if table.reference and table.key:
            _check_key(con, table, path, label)
        # No ORDER BY: DuckDB keeps the file's order anyway, and sorting 30 million rows costs more
        # than the load itself.
        if is_csv:
            _replace(con, sql_name(table), "TABLE", f"SELECT {select} FROM _stage")
        else:  # read in place by every stage (the checks above decoded every column of it)
            _replace(con, sql_name(table), "VIEW", f"SELECT {select} FROM read_parquet({_literal(path.resolve())})")
    except duckdb.Error as exc:
        if is_csv:  # read whole into _stage already: not the file's fault
            raise
        raise rawfile.parquet_error(path, table.column_names, exc) from None  # a page that cannot be decoded
    con.execute(f"DROP {'TABLE' if is_csv else 'VIEW'} _stage")
    rows = con.execute(f"SELECT count(*) FROM {sql_name(table)}").fetchall()[0][0]
    return LoadedTable(table.name, str(path), rows, checksum)


def require_providers(con: duckdb.DuckDBPyConnection, wanted: tuple[str, ...], year: str) -> None:
    """Refuse, as soon as the patient index is loaded, a requested provider that has no one in it."""
    known = [r[0] for r in con.execute("SELECT DISTINCT OrgIDProv FROM mhs001mpi ORDER BY 1").fetchall()]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ConfigError(f"--providers: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the {year} "
                          f"patient index (MHS001MPI); its providers are {', '.join(known) or 'none'}")


def load_year(con: duckdb.DuckDBPyConnection, extracts: Path, year: str) -> list[LoadedTable]:
    """Load every table of one year (and the reference tables) into ``con``."""
    loaded = []
    for name, path in input_files(extracts, year).items():
        loaded.append(load_table(con, next(t for t in ALL_TABLES if t.name == name), path))
        log.info("loaded %s: %s rows", name, f"{loaded[-1].rows:,}")
    return loaded


def _check_columns(table: Table, path: Path, header: list[str]) -> None:
    seen = set()
    for name in header:
        if name in seen:
            raise BadInput(path, f"the header names column {name} twice", column=name, line=1,
                           expected="each column once")
        seen.add(name)
    for col in table.columns:
        if col.required and col.name not in seen:
            raise BadInput(path, f"required column {col.name} is missing", column=col.name, line=1,
                           expected=f"the columns {', '.join(table.column_names)}")


def _stage_csv(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    header = rawfile.read_header(path)
    _check_columns(table, path, header)
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    wanted = ", ".join(f'c{header.index(c.name)} AS "{c.name}"' for c in table.columns if c.name in header)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT {wanted}, row_number() OVER () + 1 AS _line "
            "FROM read_csv($path, header=true, delim=',', quote='\"', escape='\"', columns=$columns, "
            "auto_detect=false, strict_mode=true, null_padding=false, encoding='utf-8', max_line_size=$limit)",
            {"path": str(path), "columns": columns, "limit": rawfile.MAX_ROW_BYTES + 2},
        )
    except duckdb.Error as exc:
        line = rawfile.first_non_utf8_line(path)
        if line is not None:
            raise BadInput(path, "the file is not UTF-8 text", line=line, expected="a UTF-8 encoded CSV file") from None
        raise _csv_error(path, str(exc)) from None


def _csv_error(path: Path, message: str) -> BadInput:
    line = re.search(r"Line: (\d+)", message)
    number = rawfile.physical_line(path, int(line.group(1))) if line else None
    if "unicode" in message.lower() or "utf-8" in message.lower():
        return BadInput(path, "the file is not UTF-8 text", line=number, expected="a UTF-8 encoded CSV file")
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if found:
        return BadInput(path, f"the row has {found.group(2)} fields but the header has {found.group(1)}",
                        line=number, expected="every row to have as many fields as the header")
    if "Maximum line size" in message:
        return BadInput(path, f"the row (with the line breaks inside its quoted values) is longer than "
                        f"{rawfile.MAX_ROW_BYTES:,} bytes", line=number,
                        expected=f"rows of at most {rawfile.MAX_ROW_BYTES:,} bytes")
    first = message.splitlines()[0] if message else "unreadable CSV"
    return BadInput(path, f"the CSV cannot be parsed ({first})", line=number, expected="a comma-separated file")


def _stage_parquet(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()]
    except duckdb.Error as exc:
        raise BadInput(path, f"the file is not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    _check_columns(table, path, names)
    wanted = ", ".join(f'"{c.name}"' for c in table.columns if c.name in names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _stage AS SELECT {wanted}, file_row_number + 1 AS _line "
        f"FROM read_parquet({_literal(path)}, file_row_number=true)"
    ).fetchall()


def _literal(path: Path) -> str:
    """A path as an escaped SQL string literal (a view cannot take a bound parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def _replace(con: duckdb.DuckDBPyConnection, name: str, kind: str, select: str) -> None:
    """(Re)create ``name`` as a table or a view from ``select``, whichever of the two it was before."""
    found = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND "
                        "table_name = $name", {"name": name}).fetchall()
    if found and (found[0][0] == "VIEW") != (kind == "VIEW"):
        con.execute(f"DROP {'VIEW' if found[0][0] == 'VIEW' else 'TABLE'} {name}").fetchall()
    con.execute(f"CREATE OR REPLACE {kind} {name} AS {select}").fetchall()


def _check_values(con: duckdb.DuckDBPyConnection, table: Table, path: Path, label: str) -> None:
    types = _stage_types(con)
    probes, order = [], []
    for col in table.columns:
        if col.name not in types:
            continue
        raw = f'CAST("{col.name}" AS VARCHAR)'
        text = f"trim({raw})"
        if not col.nullable:
            blank = f'"{col.name}" IS NULL' + (f" OR {text} = ''" if types[col.name] == "VARCHAR" else "")
            probes.append(f"min(_line) FILTER (WHERE {blank})")
            order.append((col, "blank"))
        if col.type in _TYPE_RULES and types[col.name] != col.type and not _widens(types[col.name], col.type):
            pattern = _TYPE_RULES[col.type][0]
            bad = f"{text} <> '' AND (NOT regexp_full_match({text}, '{pattern}') OR TRY_CAST({text} AS {col.type}) IS NULL)"
            probes.append(f"min(_line) FILTER (WHERE {bad})")
            order.append((col, "type"))
        if col.pattern:
            # Untrimmed: an identifier with a space around it is not the identifier.
            probes.append(f"min(_line) FILTER (WHERE {raw} <> '' AND NOT regexp_full_match({raw}, '{col.pattern}'))")
            order.append((col, "pattern"))
        if col.reserved:
            listed = ", ".join("'" + r.replace("'", "''") + "'" for r in col.reserved)
            probes.append(f"min(_line) FILTER (WHERE {raw} IN ({listed}))")
            order.append((col, "reserved"))
        if col.minimum is not None:
            probes.append(f"min(_line) FILTER (WHERE TRY_CAST({text} AS DOUBLE) < {int(col.minimum)})")
            order.append((col, "minimum"))
    # A Parquet file is read in place later: this scan also decodes the columns no rule probes, so a
    # page that cannot be decoded is found now, named, and not in a later stage.
    probed = {col.name for col, _ in order}
    decoded = [f'min("{name}")' for name in types if name != "_line" and name not in probed] if label == "row" else []
    if not probes and not decoded:
        return
    firsts = con.execute(f"SELECT {', '.join(probes + decoded)} FROM _stage").fetchall()[0][:len(probes)]
    failures = [(line, col, kind) for line, (col, kind) in zip(firsts, order) if line is not None]
    if not failures:
        return
    line, col, kind = min(failures, key=lambda f: f[0])
    value = con.execute(f'SELECT CAST("{col.name}" AS VARCHAR) FROM _stage WHERE _line = $l', {"l": line}).fetchall()[0][0]
    problems = {
        "blank": f"required value of {col.name} is blank",
        "type": f"{_show(value)} is not {_TYPE_RULES.get(col.type, ('', ''))[1]}",
        "pattern": f"{_show(value)} is not a valid {col.name}",
        "reserved": f"{_show(value)} is reserved",
        "minimum": f"{_show(value)} is less than {col.minimum}",
    }
    expected = col.pattern_text if kind in ("pattern", "reserved") else _expected(col)
    raise BadInput(path, problems[kind], column=col.name, line=_physical(path, line, label), expected=expected,
                   line_label=label)


def _check_key(con: duckdb.DuckDBPyConnection, table: Table, path: Path, label: str) -> None:
    """A reference table's key identifies one row: name the first repeat and the row it repeats."""
    types = _stage_types(con)
    exprs = [_typed(table.column(c), types.get(c), alias=False) for c in table.key]
    key = ", ".join(exprs)
    shown = ", ".join(f"CAST(k{i} AS VARCHAR)" for i in range(len(exprs)))
    named = ", ".join(f"{e} AS k{i}" for i, e in enumerate(exprs))
    repeat = con.execute(
        f"SELECT _line, first, {shown} FROM (SELECT _line, min(_line) OVER (PARTITION BY {key}) AS first, {named} "
        "FROM _stage) WHERE _line > first ORDER BY _line LIMIT 1"
    ).fetchall()
    if repeat:
        line, first, *values = repeat[0]
        names = ", ".join(table.key)
        raise BadInput(path, f"the key ({names}) = ({', '.join(map(str, values))}) repeats {label} "
                       f"{_physical(path, first, label)}", column=names, line=_physical(path, line, label),
                       expected=f"one row for each ({names})", line_label=label)


def _physical(path: Path, line: int, label: str) -> int:
    return rawfile.physical_line(path, line) if label == "line" else line


def _show(value: str) -> str:
    """A value quoted for a message: control characters escaped, long ones cut."""
    value = value or ""
    shown = value if len(value) <= 40 else value[:40] + "…"
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown) + "'"


def _widens(actual: str, wanted: str) -> bool:
    integers = ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT")
    return (wanted == "BIGINT" and (actual in integers or actual == "UINTEGER")) or (
        wanted == "INTEGER" and actual in integers
    ) or (wanted == "DATE" and actual.startswith("TIMESTAMP")) or (wanted == "DOUBLE" and actual in ("FLOAT", "DECIMAL"))


def _expected(col: Column) -> str:
    kind = _TYPE_RULES[col.type][1] if col.type in _TYPE_RULES else "text"
    return f"{kind} in {col.name} ({col.description})" + ("" if col.nullable else ", never blank")


def _stage_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _stage)").fetchall())


def _typed(col: Column, actual: str | None, alias: bool = True) -> str:
    name = f' AS "{col.name}"' if alias else ""
    if actual is None:
        return f"CAST(NULL AS {col.type}){name}"
    if actual == col.type:
        return f'"{col.name}"'
    if col.type == "VARCHAR":
        return f'CAST("{col.name}" AS VARCHAR){name}'
    return f'CAST(NULLIF(trim(CAST("{col.name}" AS VARCHAR)), \'\') AS {col.type}){name}'
