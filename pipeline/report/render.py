"""Render a report view-model to a tagged, reproducible PDF (PDF/UA-1) with Jinja2 and WeasyPrint."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
TEMPLATES_DIR = REPORTS_DIR / "templates"
# WeasyPrint and fontTools log every font subsetting step; the run's own progress is enough.
for noisy in ("weasyprint", "fontTools"):
    logging.getLogger(noisy).setLevel(logging.ERROR)


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(context: dict) -> str:
    return environment().get_template("report.html.j2").render(**context)


def source_date_epoch(publication_date: str) -> int:
    """Midnight UTC of the publication date: PDFs are dated by the run's parameters, not the clock."""
    day = datetime.fromisoformat(publication_date).replace(tzinfo=timezone.utc)
    return int(day.timestamp())


def render_pdf(context: dict, target: Path, publication_date: str) -> Path:
    """Write one report; the same context and date always give the same bytes."""
    from weasyprint import HTML

    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch(publication_date))
    html = HTML(string=render_html(context), base_url=str(TEMPLATES_DIR) + "/")
    target.parent.mkdir(parents=True, exist_ok=True)
    html.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return target
