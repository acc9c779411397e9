"""Arrow column builders and deterministic, streaming CSV / Parquet writers typed by the contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline import contract

ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DATE": pa.date32(),
               "DOUBLE": pa.float64()}
FLUSH_ROWS = 1 << 20  # rows buffered per table before a write: bounds memory at national scale


def schema(table: contract.Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in table.columns])


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as 'R0012345': a prefix and zero-padded numbers."""
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def codes(vocab, idx: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Strings by index into a small vocabulary (nulls where ``missing``)."""
    return pa.array(list(vocab), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64), mask=missing))


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """DATE values from days since 1970-01-01."""
    return pa.array(np.asarray(days, dtype=np.int32), pa.int32(), mask=missing).cast(pa.date32())


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), pa.int64(), mask=missing)


def repeat(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


class Sink:
    """One table's file: batches are buffered, cast to the contract's types and written in order."""

    def __init__(self, folder: Path, name: str, fmt: str):
        self.table = contract.table(name)
        self.schema = schema(self.table)
        self.path = Path(folder) / f"{name}.{fmt}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fmt = fmt
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.rows = 0
        self.writer = None

    def add(self, columns: dict[str, pa.Array | np.ndarray]) -> None:
        """Add rows given as {column: values}; every contract column must be present."""
        arrays = [pa.array(columns[f.name]) if isinstance(columns[f.name], np.ndarray) else columns[f.name]
                  for f in self.schema]
        batch = pa.Table.from_arrays([a.cast(f.type) for a, f in zip(arrays, self.schema)], schema=self.schema)
        self.buffer.append(batch)
        self.buffered += batch.num_rows
        if self.buffered >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer and self.writer is not None:
            return
        data = pa.concat_tables(self.buffer) if self.buffer else self.schema.empty_table()
        if self.writer is None:
            self.writer = self._open()
        if self.fmt == "parquet":
            self.writer.write_table(data, row_group_size=FLUSH_ROWS)
        elif data.num_rows:
            self.writer.write_table(data)
        self.rows += data.num_rows
        self.buffer, self.buffered = [], 0

    def _open(self):
        if self.fmt == "parquet":
            # fixed writer options so the same data always gives the same bytes
            return pq.ParquetWriter(self.path, self.schema, compression="zstd", compression_level=3,
                                    use_dictionary=True, write_statistics=True, version="2.6",
                                    data_page_version="1.0")
        with open(self.path, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(self.table.column_names) + "\n")  # plain header, as NHS extracts have
        handle = open(self.path, "ab")
        self._handle = handle
        return pacsv.CSVWriter(handle, self.schema,
                               write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))

    def close(self) -> int:
        """Write what is left and close the file; returns the number of rows written."""
        self._flush()
        self.writer.close()
        if self.fmt == "csv":
            self._handle.close()
        return self.rows


def write_table(folder: Path, name: str, fmt: str, columns: dict) -> int:
    sink = Sink(folder, name, fmt)
    sink.add(columns)
    return sink.close()
