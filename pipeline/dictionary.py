"""The data dictionary of the published tables (``dictionary.yaml``), and what is written from it:
``datapackage.json`` (a Frictionless Data Package with a Table Schema for every CSV in the year's
``data/`` folder) and the descriptions on the Parquet columns.

One entry per table drives every description, so a new CSV is described by one entry; a CSV or a
column without an entry is an error, never a silently undocumented file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipeline import contract
from pipeline.contract import financial_year
from pipeline.indicators import DEFAULT_STATISTIC, STANDARDISED, load_catalogue

DICTIONARY_PATH = Path(__file__).parent / "dictionary.yaml"
DATAPACKAGE = "datapackage.json"
TABLE_SCHEMA_TYPES = {"string", "integer", "number"}


def _code_lists() -> dict[str, list[str]]:
    """Allowed values the code supplies (so they follow the contract and the catalogue)."""
    catalogue = load_catalogue()
    statistics = {DEFAULT_STATISTIC[i.method] for i in catalogue} | {STANDARDISED}
    statistics |= {s.statistic for i in catalogue for s in i.published_series}
    return {
        "statistics": sorted(statistics),
        "intervention_types": sorted({s.intervention_type for i in catalogue for s in i.series} - {""}),
        "group_codes": ["TOTAL", *contract.ETHNIC_GROUPS, *contract.VALID_ETHNIC_CODES],
        "subgroups": [*contract.SEX_CODES, *contract.AGE_BANDS],
    }


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    path: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def schema(self) -> dict:
        """The Table Schema (empty cells are missing values)."""
        fields = []
        for c in self.columns:
            field = {"name": c.name, "type": c.type, "description": c.description}
            if c.codes:
                field["constraints"] = {"enum": list(c.codes)}
            fields.append(field)
        return {"fields": fields, "missingValues": [""], "primaryKey": list(self.primary_key)}


def load_dictionary(year: str, path: Path = DICTIONARY_PATH) -> dict[str, Table]:
    """Every published table's entry, keyed by file name, with ``{year}`` and ``{previous_year}``
    filled in."""
    words = {"year": year, "previous_year": financial_year(int(year[:4]) - 1)}
    lists = _code_lists()
    tables = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        columns = []
        for c in entry["columns"]:
            if c["type"] not in TABLE_SCHEMA_TYPES:
                raise ValueError(f"{path.name}: {entry['name']}.{c['name']} has type {c['type']!r}")
            codes = tuple(lists[c["code_list"]] if "code_list" in c else c.get("codes", ()))
            columns.append(Column(c["name"], c["type"], c["description"].format(**words), codes))
        tables[entry["path"]] = Table(entry["name"], entry["path"], entry["title"].format(**words),
                                      entry["description"].format(**words), tuple(columns),
                                      tuple(entry.get("primary_key", ())))
    return tables


def describe(table: Table, columns: list[str], where: str) -> None:
    """Refuse a published table whose columns are not exactly its entry's, in order."""
    described = [c.name for c in table.columns]
    if columns != described:
        missing = [c for c in columns if c not in described]
        extra = [c for c in described if c not in columns]
        raise ValueError(f"{where}: columns {columns} differ from pipeline/dictionary.yaml's {described}"
                         f" (no entry: {missing}; not published: {extra})")


def write_datapackage(data: Path, year: str, *, title: str, created: str) -> Path:
    """``data/datapackage.json``: a Table Schema for every CSV in ``data`` (each must have an
    entry in the dictionary and its columns exactly), and for its Parquet copy. The spreadsheet is
    for people (its sheets are laid out to read, not to load) and is not a resource."""
    tables = load_dictionary(year)
    resources = []
    for csv in sorted(data.glob("*.csv")):
        if csv.name not in tables:
            raise ValueError(f"data/{csv.name} has no entry in pipeline/dictionary.yaml")
        table = tables[csv.name]
        describe(table, list(pd.read_csv(csv, nrows=0).columns), f"data/{csv.name}")
        resources.append({"name": table.name, "path": csv.name, "title": table.title, "description": table.description,
                          "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                          "encoding": "utf-8", "schema": table.schema()})
    for parquet in sorted(data.glob("*.parquet")):  # the typed copy of a CSV: the same schema
        table = tables[f"{parquet.stem}.csv"]
        resources.append({"name": f"{table.name}-parquet", "path": parquet.name, "title": table.title,
                          "description": f"The rows of {table.path}, typed, each column's description in its "
                                         "Parquet metadata.", "profile": "tabular-data-resource", "format": "parquet",
                          "schema": table.schema()})
    package = {"name": f"mhaudit-{year}", "title": title, "created": f"{created}T00:00:00Z",
               "profile": "data-package", "resources": resources}
    path = data / DATAPACKAGE
    path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_parquet(frame: pd.DataFrame, path: Path, table: Table) -> Path:
    """``frame`` as Parquet with each column's dictionary description in its field metadata (and
    the table's in the schema's)."""
    describe(table, list(frame.columns), path.name)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [f.with_metadata({b"description": table.column(f.name).description.encode()}) for f in arrow.schema]
    metadata = {**(arrow.schema.metadata or {}), b"description": table.description.encode()}
    pq.write_table(arrow.cast(pa.schema(fields, metadata=metadata)), path)
    return path
