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


def publish_sample(out: Path, work: Path, year: str, **spec_args) -> Path:
    """Run every stage of the audit on the committed sample, as the assets do, and publish."""
    from pipeline import audit
    from pipeline.contract import ALL_TABLES

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
