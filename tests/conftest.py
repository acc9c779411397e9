import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

SAMPLE = ROOT / "data" / "sample"


def sample_years() -> list[str]:
    return sorted(p.name for p in SAMPLE.iterdir() if p.is_dir() and p.name[:2] == "20")


_SEED: dict[str, Path] = {}


def seed_work(work: Path, extracts: Path = SAMPLE) -> Path:
    """``work`` holding the warehouses of the sample's earlier years as a run of the latest year
    leaves them (that year's full counts, the trend counts of the years before), built once a
    session. A run reuses such a warehouse only while its input files and the configuration are
    those it was built from, as in any work folder, so a test that changes an earlier year or the
    configuration still computes its own; the rest skip four years of loading."""
    import atexit
    import shutil
    import tempfile

    from pipeline import audit

    if "dir" not in _SEED:
        seed = Path(tempfile.mkdtemp(prefix="mhaudit-seed-"))
        atexit.register(shutil.rmtree, seed, True)
        spec = audit.RunSpec(extracts=SAMPLE, out=seed / "out", year=sample_years()[-1], work=seed / "work")
        for k, year in enumerate(audit.earlier_years(spec)):
            audit.earlier_counts(spec, year, trend_only=k > 0)
        _SEED["dir"] = seed / "work"
    work.mkdir(parents=True, exist_ok=True)
    for warehouse in _SEED["dir"].glob("*.duckdb"):
        if not (work / warehouse.name).exists():
            shutil.copyfile(warehouse, work / warehouse.name)
    return work


def publish_sample(out: Path, work: Path, year: str, **spec_args) -> Path:
    """Run every stage of the audit on the committed sample, as the assets do, and publish."""
    from pipeline import audit
    from pipeline.contract import ALL_TABLES

    if year == sample_years()[-1]:
        seed_work(work)
    spec = audit.RunSpec(extracts=SAMPLE, out=out, year=year, work=work, publication_date="2025-07-15", **spec_args)
    for table in ALL_TABLES:
        audit.ingest(spec, table)
    audit.validate(spec)
    audit.compute(spec)
    audit.publish_tables(spec)
    audit.render_reports(spec)
    return audit.finalise(spec)


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory) -> Path:
    """The latest sample year published once for every test that only reads the outputs."""
    tmp = tmp_path_factory.mktemp("published_sample")
    return publish_sample(tmp / "out", tmp / "work", sample_years()[-1])


# The longest test files first (measured, 2 cores): with two workers taking a file at a time, a
# long file started last would run alone at the end. A file's tests keep their order.
LONGEST_FIRST = ["test_truth.py", "test_edition_browser.py", "test_celery.py", "test_publish.py", "test_pipeline.py",
                 "test_escaping.py", "test_disclosure_attack.py", "test_quality.py", "test_report.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file stays in order
