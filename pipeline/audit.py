"""The stages of one year's audit, as plain functions the Dagster assets wrap.

Stages hand over through the run's DuckDB warehouse (row-level, never published) and the
year's staging folder (publishable files only); nothing patient-level passes between them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from pipeline import dictionary, disclosure, estimates, publish, trend
from pipeline.config import AuditConfig
from pipeline.contract import ALL_TABLES, Table, financial_year
from pipeline.errors import ConfigError, MhauditError
from pipeline.indicators import compute_indicators, load_catalogue
from pipeline.load import LoadedTable, available_years, input_files, load_table, require_providers, sha256
from pipeline.quality import Decision, QualityRun, decision_for, level_for_share, published_quality, validate_quality
from pipeline.quality import report_quality, save as save_quality
from pipeline.quality.auditor import write_index
from pipeline.report import edition
from pipeline.report.render import ReportJob, render_all
from pipeline.spreadsheet import neutralise_formulas
from pipeline.warehouse import connect, query, stage
from pipeline.workbook import write_workbook

log = logging.getLogger("mhaudit")


@dataclass(frozen=True)
class RunSpec:
    """What one run publishes: which extracts, which year, where, with which parameters."""

    extracts: Path
    out: Path
    year: str
    work: Path
    config: AuditConfig = field(default_factory=AuditConfig)
    providers: tuple[str, ...] = ()
    publication_date: str = field(default_factory=lambda: date.today().isoformat())
    synthetic: bool | None = None

    @property
    def warehouse(self) -> Path:
        return Path(self.work) / f"{self.year}.duckdb"

    @property
    def staging(self) -> Path:
        return publish.staging_dir(self.out, self.year)

    @property
    def is_synthetic(self) -> bool:
        """Synthetic extracts carry the generator's truth.json beside the year folders."""
        return self.synthetic if self.synthetic is not None else (Path(self.extracts) / "truth.json").exists()

    def parameters(self) -> dict:
        return {
            "year": self.year,
            "providers": list(self.providers),
            "publication_date": self.publication_date,
            "synthetic": self.is_synthetic,
            "config": self.config.as_dict(),
        }


def ingest(spec: RunSpec, table: Table) -> LoadedTable:
    """Load one extract table into the warehouse, recording the file's checksum."""
    path = input_files_for(spec)[table.name]
    with connect(spec.warehouse) as con:
        loaded = load_table(con, table, path)
        if table.name == "MHS001MPI" and spec.providers:
            require_providers(con, spec.providers, spec.year)
        con.execute("CREATE TABLE IF NOT EXISTS loaded_inputs (tbl VARCHAR PRIMARY KEY, sha256 VARCHAR)").fetchall()
        con.execute("INSERT OR REPLACE INTO loaded_inputs VALUES ($t, $s)", {"t": table.name, "s": loaded.sha256}).fetchall()
    log.info("loaded %s: %s rows", table.name, f"{loaded.rows:,}")
    return loaded


def input_files_for(spec: RunSpec) -> dict[str, Path]:
    return input_files(spec.extracts, spec.year)


def providers(spec: RunSpec) -> dict[str, str]:
    """The providers this run reports on, code -> name (every provider with a patient index
    or a catchment, limited to ``spec.providers`` when given)."""
    with connect(spec.warehouse) as con:
        frame = query(
            con,
            "SELECT p.provider, coalesce(min(r.ProviderName), p.provider || ' (no name in Providers)') AS name "
            "FROM (SELECT OrgIDProv AS provider FROM mhs001mpi UNION SELECT OrgIDProv FROM providers) AS p "
            "LEFT JOIN providers AS r ON r.OrgIDProv = p.provider GROUP BY p.provider ORDER BY p.provider",
        )
    found = dict(zip(frame["provider"], frame["name"]))
    if spec.providers:
        unknown = sorted(set(spec.providers) - found.keys())
        if unknown:
            raise ConfigError(f"provider(s) {', '.join(unknown)} are not in the {spec.year} extracts; "
                              f"known: {', '.join(found)}")
        found = {k: v for k, v in found.items() if k in spec.providers}
    return found


def provider_names(spec: RunSpec) -> dict[str, str]:
    """Every reported provider's name by code, and ALL's ('England' in a national run)."""
    return {**providers(spec), "ALL": "England" if spec.config.national_run else "All providers"}


def with_names(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``frame`` with ``provider_name`` beside ``provider``."""
    frame = frame.copy()
    frame.insert(frame.columns.get_loc("provider") + 1, "provider_name", frame["provider"].map(names))
    return frame


def validate(spec: RunSpec) -> QualityRun:
    """Stage the warehouse, run the quality suites and decide, per provider, publish, warn or
    withhold; write data_quality.csv and the data docs with the auditor's index (validation/)."""
    publish.fresh_staging(spec.out, spec.year)
    names = provider_names(spec)
    codes = [code for code in names if code != "ALL"]
    # The publication date, not the clock, names the data docs' run so reruns give the same files.
    run_time = datetime.fromisoformat(spec.publication_date).replace(tzinfo=timezone.utc)
    docs = spec.staging / "validation"
    with connect(spec.warehouse) as con:
        stage(con, spec.year, spec.config)
        run = validate_quality(con, spec.year, codes, spec.config, docs, run_time)
        save_quality(con, run)
        quality = published_quality(con, spec.year, spec.config)
    quality = with_names(quality[quality["provider"].isin(names)], names)
    quality = quality.astype({"count": "Int64", "total": "Int64"})
    data = spec.staging / "data"
    data.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(quality).to_csv(data / "data_quality.csv", index=False, float_format="%.10g")
    write_index(docs, quality, year=spec.year, publication_date=spec.publication_date, synthetic=spec.is_synthetic,
                version=publish.code_version(), config=spec.config)
    return run


def all_providers_share(spec: RunSpec) -> float:
    """The share of persons (each once) with a valid ethnic category across all providers."""
    with connect(spec.warehouse, read_only=True) as con:
        return float(query(con, "SELECT valid_share FROM dq01_ethnicity_recording WHERE provider = 'ALL'").iloc[0, 0])


def compute(spec: RunSpec) -> pd.DataFrame:
    """Every catalogue indicator's exact counts (never published as they are), kept in the
    warehouse for the publishing step with the earlier years' counts that the change since last
    year and the trend of the gaps need."""
    log.info("computing indicators")
    with connect(spec.warehouse) as con:
        counts = compute_indicators(con, spec.year, spec.config, load_catalogue())
        _keep(con, counts)
    earlier = [c for c in (earlier_counts(spec, y, trend_only=k > 0) for k, y in enumerate(earlier_years(spec)))
               if c is not None]
    with connect(spec.warehouse) as con:
        _keep(con, pd.concat(earlier, ignore_index=True) if earlier else None, "earlier_counts")
    return counts


def earlier_years(spec: RunSpec) -> list[str]:
    """The financial years before ``spec.year`` in the extracts, latest first, for the trend (up
    to :data:`pipeline.trend.YEARS` years in all)."""
    start = int(spec.year[:4])
    present = set(available_years(spec.extracts))
    return [y for y in (financial_year(start - k) for k in range(1, trend.YEARS)) if y in present]


def _keep(con, counts: pd.DataFrame | None, table: str = "indicator_counts") -> None:
    con.execute(f"DROP TABLE IF EXISTS {table}").fetchall()
    if counts is not None:
        con.register("_counts", counts)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM _counts").fetchall()
        con.unregister("_counts")


def published_indicators(counts: pd.DataFrame, config: AuditConfig, previous: pd.DataFrame | None = None,
                         providers: list[str] | None = None) -> pd.DataFrame:
    """The published indicator table from exact counts: disclosure control, then every figure
    from the published counts (with the change since ``previous``, last year's published table)."""
    if providers is not None:
        counts = counts[counts["provider"].isin(providers)]
    controlled = disclosure.control(counts, config.disclosure_profile, exempt_providers=england(config),
                                    coding_convention=config.coding_convention, comparator=config.comparator)
    return estimates.published_table(controlled, previous, config.comparator, config.disclosure_profile)


def earlier_counts(spec: RunSpec, year: str, trend_only: bool) -> pd.DataFrame | None:
    """An earlier year's exact counts from its own warehouse: every indicator for last year (the
    change since last year), the trend indicators' crude counts for the years before. Kept in that
    warehouse and reused while its input files and the configuration are the same."""
    earlier = replace(spec, year=year)
    table = "trend_counts" if trend_only else "indicator_counts"
    key = json.dumps({"config": spec.config.as_dict(), "table": table}, sort_keys=True)
    wanted = {name: sha256(path) for name, path in input_files_for(earlier).items()}
    inputs = _warehouse_inputs(earlier)
    if inputs != wanted or _counts_key(earlier, table) != key:
        log.info("computing %s for the %s", year, "trend of the gaps" if trend_only else "change since last year")
        if inputs != wanted:
            if earlier.warehouse.exists():
                earlier.warehouse.unlink()
            for t in ALL_TABLES:
                ingest(earlier, t)
        catalogue = load_catalogue()
        if trend_only:
            catalogue = [replace(i, standardised=False) for i in catalogue if i.trend]
        with connect(earlier.warehouse) as con:
            stage(con, year, spec.config)
            _keep(con, compute_indicators(con, year, spec.config, catalogue), table)
            con.execute("CREATE TABLE IF NOT EXISTS counts_keys (tbl VARCHAR PRIMARY KEY, key VARCHAR)").fetchall()
            con.execute("INSERT OR REPLACE INTO counts_keys VALUES ($t, $k)", {"t": table, "k": key}).fetchall()
    with connect(earlier.warehouse, read_only=True) as con:
        return query(con, f"SELECT * FROM {table}")


def _has_table(con, name: str) -> bool:
    return name in set(query(con, "SELECT table_name FROM information_schema.tables")["table_name"])


def _counts_key(spec: RunSpec, table: str) -> str | None:
    with connect(spec.warehouse, read_only=True) as con:
        if not _has_table(con, "counts_keys"):
            return None
        found = query(con, "SELECT key FROM counts_keys WHERE tbl = $t", {"t": table})
    return None if found.empty else found["key"].iloc[0]


def _warehouse_inputs(spec: RunSpec) -> dict[str, str] | None:
    if not spec.warehouse.exists():
        return None
    with connect(spec.warehouse, read_only=True) as con:
        tables = set(query(con, "SELECT table_name FROM information_schema.tables")["table_name"])
        if "loaded_inputs" not in tables:
            return None
        return dict(query(con, "SELECT tbl, sha256 FROM loaded_inputs").itertuples(index=False, name=None))


def england(config: AuditConfig) -> tuple[str, ...]:
    """The rows published unrounded: ALL when the run covers every provider in England."""
    return ("ALL",) if config.national_run else ()


def publish_tables(spec: RunSpec) -> pd.DataFrame:
    """The disclosure-controlled indicator table (CSV, and Parquet with its column descriptions)
    written to staging beside data_quality.csv, then the data package and the spreadsheet of both."""
    with connect(spec.warehouse, read_only=True) as con:
        counts = query(con, "SELECT * FROM indicator_counts")
        earlier = query(con, "SELECT * FROM earlier_counts") if _has_table(con, "earlier_counts") else None
    names = provider_names(spec)
    wanted = list(names)
    by_year = {} if earlier is None else {y: c for y, c in earlier.groupby("year")}
    last_year = by_year.get(financial_year(int(spec.year[:4]) - 1))
    previous = None if last_year is None else published_indicators(last_year, spec.config, providers=wanted)
    published = published_indicators(counts, spec.config, previous, providers=wanted)
    history = {y: published_indicators(c, spec.config, providers=wanted) for y, c in by_year.items()}
    gaps = trend.gaps({**history, spec.year: published}, load_catalogue(), spec.config.comparator)
    published = with_names(published, names)
    data = spec.staging / "data"
    data.mkdir(parents=True, exist_ok=True)
    tables = dictionary.load_dictionary(spec.year)
    neutralise_formulas(published).to_csv(data / "indicators.csv", index=False, float_format="%.10g")
    dictionary.write_parquet(published, data / "indicators.parquet", tables["indicators.csv"])
    neutralise_formulas(with_names(gaps, names)).to_csv(data / "trend.csv", index=False, float_format="%.10g")
    describe_data(spec)
    return published


def describe_data(spec: RunSpec) -> None:
    """The spreadsheet of the published tables (read back from staging, so it shows only what they
    do) and datapackage.json describing every file in data/."""
    data = spec.staging / "data"
    title = f"Ethnicity equality audit of mental health services, {spec.year}"
    write_workbook(data / f"{spec.year}-audit.xlsx", indicators=pd.read_parquet(data / "indicators.parquet"),
                   quality=pd.read_csv(data / "data_quality.csv", dtype={"provider": str}, keep_default_na=False,
                                       na_values={"count": [""], "total": [""], "percent": [""]}),
                   catalogue=load_catalogue(), tables=dictionary.load_dictionary(spec.year), year=spec.year,
                   title=title, publication_date=spec.publication_date, synthetic=spec.is_synthetic)
    dictionary.write_datapackage(data, spec.year, title=title, created=spec.publication_date)


@dataclass(frozen=True)
class ReportPlan:
    """What every report of the year shares, worked out once: the reports to render (ALL first),
    the names, each report's publication decision, the run's parameters and the input checksums.
    Publishable only (the Dagster steps hand it to each other)."""

    codes: tuple[str, ...]
    names: dict[str, str]
    decisions: dict[str, Decision]
    params: dict
    inputs: list[dict]


def plan_reports(spec: RunSpec) -> ReportPlan:
    """The year's reports and what they share (the input checksums are read once, here)."""
    quality = pd.read_csv(spec.staging / "data" / "data_quality.csv", dtype={"provider": str})
    with connect(spec.warehouse, read_only=True) as con:
        decisions = {r["provider"]: Decision(**r) for r in query(con, "SELECT * FROM quality_decisions").to_dict("records")}
    names = provider_names(spec)
    share = float(report_quality(quality, "ALL")["valid_share"])
    decisions["ALL"] = decision_for("ALL", share, level_for_share(share, spec.config), spec.config)
    # ALL's report is the longest (about twice a provider's): first, so that no worker is left
    # rendering it alone at the end.
    codes = tuple(sorted(names, key=lambda code: code != "ALL"))
    inputs = [{"name": str(p.relative_to(spec.extracts)), "sha256": sha256(p)} for p in input_files_for(spec).values()]
    return ReportPlan(codes, names, {c: decisions[c] for c in codes},
                      {**spec.parameters(), "code_version": publish.code_version()}, inputs)


def _published_for_reports(spec: RunSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The staged indicators, data quality and trend tables the reports are built from."""
    published = pd.read_parquet(spec.staging / "data" / "indicators.parquet")
    quality = pd.read_csv(spec.staging / "data" / "data_quality.csv", dtype={"provider": str})
    gaps = pd.read_csv(spec.staging / "data" / "trend.csv", dtype={"provider": str, "year": str, "first_year": str},
                       keep_default_na=True).fillna({"gap_trend": "", "suppressed": "", "first_year": ""})
    return published, quality, gaps


def _compared(published: pd.DataFrame) -> pd.DataFrame:
    # The comparison with other providers reads only the totals and ethnic groups of every provider:
    # each job carries (and each worker unpickles) that, not the whole national table.
    return published[published["breakdown"].isin(["total", "ethnic_group"])]


def render_reports(spec: RunSpec, plan: ReportPlan | None = None, codes: tuple[str, ...] | None = None,
                   workers: int = 2) -> dict[str, dict]:
    """Both editions of the reports ``codes`` (default: every report of ``plan``): one PDF (the
    board paper) per provider and ALL.pdf, a withheld provider's saying why, and each one's page of
    the HTML edition under html/, from the same view-model, on a pool of ``workers`` processes.
    Without a plan, the whole year: the plan, every report and the edition's year pages.
    Returns each report's decision, PDF pages and render times (wall and CPU seconds)."""
    whole_year = plan is None
    plan = plan or plan_reports(spec)
    codes = plan.codes if codes is None else codes
    published, quality, gaps = _published_for_reports(spec)
    catalogue = load_catalogue()
    compared = _compared(published)
    jobs = [ReportJob(
        context=dict(provider=code, provider_name=plan.names[code], year=spec.year,
                     rows=published[published["provider"] == code], decision=plan.decisions[code], quality=quality,
                     catalogue=catalogue, params=plan.params, inputs=plan.inputs, all_rows=compared,
                     trend_rows=gaps[gaps["provider"] == code]),
        target=spec.staging / "reports" / f"{code}.pdf", publication_date=spec.publication_date,
        page=spec.staging / "html" / code / "index.html",
    ) for code in codes]
    outcome = {}
    if len(jobs) > 1:
        log.info("rendering %s reports (a board paper and an HTML page each)", len(jobs))
    started = time.perf_counter()
    # Reports are independent: render them on both cores (each worker sets SOURCE_DATE_EPOCH itself).
    for n, done in enumerate(render_all(jobs, workers=workers), start=1):
        outcome[done.provider] = {"decision": plan.decisions[done.provider].decision, "pages": done.pages,
                                  "seconds": round(done.seconds, 2), "cpu_seconds": round(done.cpu_seconds, 2),
                                  "pdf_cpu_seconds": round(done.pdf_cpu_seconds, 2)}
        log.info("rendered %s report (%s): %s pages in %.1f s%s", done.provider, plan.decisions[done.provider].decision,
                 done.pages, done.seconds,
                 f"; {progress(n, len(jobs), time.perf_counter() - started)}" if len(jobs) > 1 else "")
    if whole_year:
        write_edition(spec, plan, compared)
    return outcome


def write_edition(spec: RunSpec, plan: ReportPlan, compared: pd.DataFrame | None = None) -> None:
    """The HTML edition's landing page, indicator pages and assets (each report's own page is
    written with its PDF)."""
    compared = _compared(_published_for_reports(spec)[0]) if compared is None else compared
    edition.copy_assets(spec.staging / "html")
    edition.write_year_pages(spec.staging / "html", year=spec.year, names=plan.names, decisions=plan.decisions,
                             compared=compared, catalogue=load_catalogue(), params=plan.params)


def progress(done: int, total: int, elapsed: float) -> str:
    """'report 3 of 61, 42 s elapsed, about 13 min 32 s left' (the estimate: the mean so far)."""
    text = f"report {done} of {total}, {_duration(elapsed)} elapsed"
    if done < total:
        text += f", about {_duration(elapsed / done * (total - done))} left"
    return text


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def inputs_read(spec: RunSpec) -> list[dict]:
    """Every input file the run read, with its checksum: the year's extracts, the reference tables
    and, when its folder exists, the previous year's extracts (for the change since last year)."""
    reference = {t.name for t in ALL_TABLES if t.reference}
    files = [(name, path, "reference" if name in reference else spec.year) for name, path in input_files_for(spec).items()]
    previous = financial_year(int(spec.year[:4]) - 1)
    if previous in available_years(spec.extracts):
        files += [(name, path, previous) for name, path in input_files(spec.extracts, previous).items()
                  if name not in reference]
    return [{"table": name, "year": year, "file": str(path.relative_to(spec.extracts)), "sha256": sha256(path)}
            for name, path, year in files]


def _unchanged_since_loaded(spec: RunSpec, inputs: list[dict]) -> None:
    """Refuse to publish when a file of the year changed after it was loaded and checked: the
    warehouse reads Parquet extracts in place, so every stage must have read the checked bytes."""
    loaded = _warehouse_inputs(spec) or {}
    changed = [i["file"] for i in inputs if i["year"] in (spec.year, "reference") and loaded.get(i["table"]) != i["sha256"]]
    if changed:
        raise MhauditError(f"not publishing {spec.year}: {', '.join(changed)} changed in {spec.extracts} after "
                           "the run loaded and checked it: run the year again")


def finalise(spec: RunSpec) -> Path:
    """Write the manifest and move the staged year into place, only when every report of the year
    is staged (the reports may have been rendered by separate steps, on other machines)."""
    missing = [str(path.relative_to(spec.staging)) for code in provider_names(spec)
               for path in (spec.staging / "reports" / f"{code}.pdf", spec.staging / "html" / code / "index.html")
               if not path.is_file()]
    if missing or not (spec.staging / "html" / "index.html").is_file():
        raise MhauditError(f"not publishing {spec.year}: reports missing from {spec.staging}: "
                           f"{', '.join(missing) or 'html/index.html'}")
    inputs = inputs_read(spec)
    _unchanged_since_loaded(spec, inputs)
    publish.write_manifest(spec.staging, inputs=inputs, parameters=spec.parameters(),
                           version=publish.code_version(), extracts=Path(spec.extracts).resolve())
    return publish.swap_into_place(spec.staging, spec.out, spec.year)

