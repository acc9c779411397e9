"""Byte-level checks of an input file, streamed in fixed-size chunks so that memory stays
bounded whatever the file holds (a 1 GB file without a line break, NUL bytes, a 10 MB cell).

The loader calls :func:`digest` on every file before anything else reads it: one pass computes
the checksum the manifest records and, for a CSV, refuses NUL bytes and over-long lines at once.
The other functions run only on the error path, to name the physical line, the column or the
Parquet rows that broke a read.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

from pipeline.errors import BadInput

# No line of an extract comes near this; a longer one is garbage, refused before DuckDB buffers it.
MAX_ROW_BYTES = 1_000_000
# Smaller than the limit, so a line longer than the limit always spans chunks and a chunk is
# checked with three searches in C, never line by line.
CHUNK = 1 << 19
_SPECIAL = re.compile(rb'[,"\n]')


def digest(path: Path, text: bool) -> str:
    """The file's SHA-256; for a text (CSV) file, also refuse a NUL byte or a line longer than
    :data:`MAX_ROW_BYTES`, naming the line (and, for a long line, the column)."""
    sha = hashlib.sha256()
    line, line_start, offset = 1, 0, 0  # the current physical line, and where it starts in the file
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                sha.update(chunk)
                if text:
                    nul = chunk.find(b"\0")
                    if nul >= 0:
                        raise BadInput(path, "the file holds a NUL byte, so it is not a text CSV file",
                                       line=line + chunk.count(b"\n", 0, nul), expected="a UTF-8 encoded CSV file")
                    first = chunk.find(b"\n")
                    if first >= 0:
                        if offset + first - line_start > MAX_ROW_BYTES:
                            _too_long(path, line, line_start)
                        line += chunk.count(b"\n")
                        line_start = offset + chunk.rfind(b"\n") + 1
                    if offset + len(chunk) - line_start > MAX_ROW_BYTES:
                        _too_long(path, line, line_start)
                offset += len(chunk)
    except OSError as exc:
        raise BadInput(path, f"the file cannot be read ({exc.strerror})") from None
    return sha.hexdigest()


def _too_long(path: Path, line: int, start: int) -> None:
    if line == 1:
        raise BadInput(path, f"the header line is longer than {MAX_ROW_BYTES:,} bytes", line=1,
                       expected="a header row naming the columns")
    header = read_header(path)
    column, size = longest_field(path, start, header)
    raise BadInput(path, f"a value of {size:,} bytes or more makes the line longer than the limit of {MAX_ROW_BYTES:,} "
                   "bytes", column=column, line=line, expected=f"lines of at most {MAX_ROW_BYTES:,} bytes")


def read_header(path: Path) -> list[str]:
    """The column names on line 1 (read with a bounded buffer)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(MAX_ROW_BYTES + 1)
    except OSError as exc:
        raise BadInput(path, f"the file cannot be read ({exc.strerror})") from None
    if not first.strip():
        raise BadInput(path, "the file is empty", line=1, expected="a header row naming the columns")
    if len(first) > MAX_ROW_BYTES:
        raise BadInput(path, f"the header line is longer than {MAX_ROW_BYTES:,} bytes", line=1,
                       expected="a header row naming the columns")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(path, "the header is not UTF-8 text", line=1, expected="a UTF-8 encoded CSV file") from None
    return [h.strip() for h in next(csv.reader([text]))]


def longest_field(path: Path, start: int, header: list[str]) -> tuple[str | None, int]:
    """The column of the first field longer than the limit in the record starting at byte
    ``start`` (else of its longest field), and that field's size; reads at most a little more
    than the limit per field."""
    sizes: list[int] = [0]
    quoted = False
    with open(path, "rb") as fh:
        fh.seek(start)
        buffer, pos = fh.read(CHUNK), 0
        while buffer:
            if quoted:
                end = buffer.find(b'"', pos)
            else:
                match = _SPECIAL.search(buffer, pos)
                end = match.start() if match else -1
            if end < 0:
                sizes[-1] += len(buffer) - pos
                if sizes[-1] > MAX_ROW_BYTES:
                    break
                buffer, pos = fh.read(CHUNK), 0
                continue
            sizes[-1] += end - pos
            char = buffer[end:end + 1]
            pos = end + 1
            if char == b'"':
                quoted = not quoted
            elif char == b",":
                if sizes[-1] > MAX_ROW_BYTES:
                    break
                sizes.append(0)
            else:
                break
    index = next((i for i, s in enumerate(sizes) if s > MAX_ROW_BYTES), max(range(len(sizes)), key=sizes.__getitem__))
    return (header[index] if index < len(header) else None), sizes[index]


def physical_line(path: Path, record: int) -> int:
    """The physical line on which a CSV record starts, from its number as DuckDB counts records
    (the header is 1): a value holding a line break makes the two differ."""
    with open(path, "rb") as fh:
        newlines = 0
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            if b'"' in chunk:
                break
            if newlines + chunk.count(b"\n") >= record - 1:
                return record  # no quote before the record, so no line break inside a value
            newlines += chunk.count(b"\n")
        else:
            return record
    csv.field_size_limit(MAX_ROW_BYTES + 1)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        for _ in range(record - 1):
            if next(reader, None) is None:
                break
        return reader.line_num + 1


def first_non_utf8_line(path: Path) -> int | None:
    """Only on the error path: DuckDB does not always say which line broke its UTF-8 decoding."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def parquet_error(path: Path, columns: list[str], exc: Exception) -> BadInput:
    """Name the column and the rows of a Parquet page DuckDB could not decode (read again, a
    column of a row group at a time, with pyarrow: only on this error path)."""
    import pyarrow.parquet as pq

    reason = str(exc).splitlines()[0].split(": ", 1)[-1]
    try:
        parquet = pq.ParquetFile(path)
        names = set(parquet.schema_arrow.names)
        first = 1
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            for name in columns:
                if name in names:
                    try:
                        parquet.read_row_group(group, columns=[name])
                    except Exception as err:  # noqa: BLE001 - any decoding failure names the page
                        return BadInput(path, f"the Parquet data of rows {first:,} to {first + rows - 1:,} cannot be "
                                        f"decoded ({err})", column=name, line=first, line_label="row",
                                        expected="an intact Parquet file")
            first += rows
    except Exception:  # noqa: BLE001 - the footer itself is damaged: say what DuckDB said
        pass
    return BadInput(path, f"the Parquet file cannot be decoded ({reason})", expected="an intact Parquet file")
