"""Loading: the contract's types, and every kind of bad input named by file, column and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from builders import YEAR, population, write_extract, write_table
from pipeline import contract
from pipeline.errors import BadInput
from pipeline.load import available_years, load_year

PEOPLE = [{"Person_ID": f"p{i}", "OrgIDProv": "PR1", "EthnicCategory": "A", "Gender": "1",
           "AgeRepPeriodEnd": 40, "LADistrictAuth": "E1", "IMD_Decile": 3} for i in range(5)]


@pytest.fixture()
def extract(tmp_path):
    return write_extract(tmp_path / "ex", {
        "MHS001MPI": PEOPLE,
        "Population": population(["E1"], {}),
        "Providers": [{"OrgIDProv": "PR1", "ProviderName": "One", "LADistrictAuth": "E1"}],
    })


def _load(root):
    con = duckdb.connect()
    try:
        return load_year(con, root, YEAR), con
    except BaseException:
        con.close()
        raise


def _bad(root) -> BadInput:
    with pytest.raises(BadInput) as info:
        _load(root)
    return info.value


def _mpi(root):
    return root / YEAR / "MHS001MPI.csv"


def _rewrite(path, transform):
    path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_good_extract_loads_with_the_contracts_types(extract):
    loaded, con = _load(extract)
    assert {t.table for t in loaded} == {t.name for t in contract.ALL_TABLES}
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE mhs001mpi)").fetchall())
    assert types == {c.name: c.type for c in contract.table("MHS001MPI").columns}
    assert con.execute("SELECT count(*) FROM mhs001mpi").fetchall()[0][0] == 5


def test_extra_columns_are_ignored_and_order_does_not_matter(extract):
    frame = pd.read_csv(_mpi(extract), dtype=str)
    frame["Comment"] = "x"
    frame[list(reversed(frame.columns))].to_csv(_mpi(extract), index=False)
    _, con = _load(extract)
    assert "Comment" not in dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE mhs001mpi)").fetchall())


def test_missing_file_is_named(extract):
    _mpi(extract).unlink()
    err = _bad(extract)
    assert err.file.endswith("MHS001MPI.csv") and "missing" in err.problem


def test_missing_reference_file_is_named(extract):
    (extract / "reference" / "Population.csv").unlink()
    assert _bad(extract).file.endswith("reference/Population.csv")


def test_unreadable_file_is_named(extract):
    _mpi(extract).unlink()
    _mpi(extract).mkdir()
    err = _bad(extract)
    assert "cannot be read" in err.problem and err.file.endswith("MHS001MPI.csv")


def test_empty_file_is_rejected(extract):
    _mpi(extract).write_bytes(b"")
    err = _bad(extract)
    assert "empty" in err.problem and err.line == 1


def test_not_utf8_names_the_line(extract):
    with open(_mpi(extract), "ab") as fh:
        fh.write(b"p9,P1,A,1,40,Caf\xe9,3\n")
    err = _bad(extract)
    assert "UTF-8" in err.problem and err.line == 7


def test_missing_required_column_is_named(extract):
    frame = pd.read_csv(_mpi(extract), dtype=str).drop(columns="EthnicCategory")
    frame.to_csv(_mpi(extract), index=False)
    err = _bad(extract)
    assert err.column == "EthnicCategory" and err.line == 1 and "missing" in err.problem


def test_duplicated_header_is_named(extract):
    _rewrite(_mpi(extract), lambda t: t.replace("IMD_Decile", "Gender", 1))
    err = _bad(extract)
    assert err.column == "Gender" and "twice" in err.problem


def test_ragged_row_names_the_line(extract):
    _rewrite(_mpi(extract), lambda t: t + "p9,P1,A,1\n")
    err = _bad(extract)
    assert err.line == 7 and "fields" in err.problem


def test_wrong_type_names_file_column_line_and_value(extract):
    rows = PEOPLE[:3] + [{**PEOPLE[3], "AgeRepPeriodEnd": "forty"}] + PEOPLE[4:]
    write_table(_mpi(extract), "MHS001MPI", rows)
    err = _bad(extract)
    assert (err.column, err.line) == ("AgeRepPeriodEnd", 5)
    assert "'forty' is not a whole number" in str(err)
    assert "MHS001MPI.csv" in str(err) and "line 5" in str(err)


def test_impossible_date_is_bad_input(extract):
    write_table(extract / YEAR / "MHS101Referral.csv", "MHS101Referral",
                [{"UniqServReqID": "r1", "Person_ID": "p1", "OrgIDProv": "PR1", "ReferralRequestReceivedDate": "2025-02-30"}])
    err = _bad(extract)
    assert (err.column, err.line) == ("ReferralRequestReceivedDate", 2)


def test_decimal_in_a_whole_number_column_is_not_rounded_away(extract):
    write_table(_mpi(extract), "MHS001MPI", [{**PEOPLE[0], "AgeRepPeriodEnd": "40.5"}])
    assert _bad(extract).column == "AgeRepPeriodEnd"


def test_blank_required_value_is_bad_input(extract):
    write_table(_mpi(extract), "MHS001MPI", [PEOPLE[0], {**PEOPLE[1], "Person_ID": ""}])
    err = _bad(extract)
    assert (err.column, err.line) == ("Person_ID", 3) and "blank" in err.problem


def test_values_outside_code_lists_are_kept_for_data_quality(extract):
    write_table(_mpi(extract), "MHS001MPI", [{**PEOPLE[0], "EthnicCategory": "q"}, {**PEOPLE[1], "Gender": "7"}])
    _, con = _load(extract)
    assert con.execute("SELECT count(*) FROM mhs001mpi").fetchall()[0][0] == 2


def test_parquet_with_wrong_type_names_the_row(extract):
    frame = pd.read_csv(_mpi(extract), dtype=str)
    frame.loc[2, "AgeRepPeriodEnd"] = "old"
    _mpi(extract).unlink()
    frame.to_parquet(extract / YEAR / "MHS001MPI.parquet", index=False)
    err = _bad(extract)
    assert (err.column, err.line, err.line_label) == ("AgeRepPeriodEnd", 3, "row")


def test_typed_parquet_loads(extract):
    frame = pd.read_csv(_mpi(extract), dtype={"Person_ID": str, "EthnicCategory": str, "Gender": str})
    _mpi(extract).unlink()
    frame.to_parquet(extract / YEAR / "MHS001MPI.parquet", index=False)
    _, con = _load(extract)
    assert con.execute("SELECT sum(AgeRepPeriodEnd) FROM mhs001mpi").fetchall()[0][0] == 200


def test_missing_year_folder_lists_the_years_found(extract):
    shutil.move(extract / YEAR, extract / "2023-24")
    err = _bad(extract)
    assert "2023-24" in str(err) and YEAR in err.problem
    assert available_years(extract) == ["2023-24"]


def test_the_contract_document_names_every_table_and_column_of_the_contract_module():
    """docs/extracts.md (the contract for data teams) and pipeline/contract.py describe the same extract."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "extracts.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().removeprefix("reference/"): line
            for line in doc.splitlines() if line.startswith("| ") and line.count("|") >= 3}
    for table in contract.ALL_TABLES:
        assert table.name in rows, table.name
        missing = [c.name for c in table.columns if c.name not in rows[table.name]]
        assert not missing, (table.name, missing)


@pytest.mark.parametrize("shift", [0, 5, 524_280, 524_291])
@pytest.mark.parametrize("extra", [0, 1])
def test_a_line_longer_than_the_limit_is_refused_wherever_it_falls_between_chunks(tmp_path, shift, extra):
    from pipeline import rawfile

    path = tmp_path / "t.csv"
    filler = "p," + "z" * (shift - 3) + "\n" if shift >= 3 else ""
    long_line = "x" * (rawfile.MAX_ROW_BYTES + extra - 2) + ",1\n"
    path.write_text("a,b\n" + filler + long_line + "y,2\n", encoding="utf-8")
    line = 3 if filler else 2
    if not extra:
        assert rawfile.digest(path, text=True)  # exactly the limit is allowed
        return
    with pytest.raises(BadInput) as info:
        rawfile.digest(path, text=True)
    assert info.value.line == line and info.value.column == "a" and "limit of 1,000,000 bytes" in info.value.problem


def test_physical_lines_count_the_line_breaks_inside_quoted_values(tmp_path):
    from pipeline import rawfile

    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"two\nlines"\n2,"three\n\nlines"\n3,x\n4,y\n', encoding="utf-8")
    assert [rawfile.physical_line(path, record) for record in (2, 3, 4, 5)] == [2, 4, 7, 8]
    plain = tmp_path / "p.csv"
    plain.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    assert [rawfile.physical_line(plain, record) for record in (2, 3)] == [2, 3]
