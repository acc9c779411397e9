"""Render a report view-model to a tagged, reproducible PDF (PDF/UA-1) with Jinja2 and WeasyPrint."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

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


def render_document(context: dict, target: Path, publication_date: str) -> int:
    """Write one report and return its page count; the same context and date always give the same bytes."""
    from weasyprint import HTML

    for noisy in ("weasyprint", "fontTools"):  # again: a fresh worker process has fresh loggers
        logging.getLogger(noisy).setLevel(logging.ERROR)
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch(publication_date))
    document = HTML(string=render_html(context), base_url=str(TEMPLATES_DIR) + "/").render(pdf_variant="pdf/ua-1")
    target.parent.mkdir(parents=True, exist_ok=True)
    document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return len(document.pages)


def render_pdf(context: dict, target: Path, publication_date: str) -> Path:
    render_document(context, target, publication_date)
    return target


@dataclass(frozen=True)
class ReportJob:
    """One report to build: the keyword arguments of :func:`provider_context`, and where to write it."""

    context: dict
    target: Path
    publication_date: str


def render_job(job: ReportJob) -> tuple[str, float, int]:
    """Build the view-model and render one report: (provider, seconds, pages)."""
    from pipeline.report.viewmodel import provider_context

    started = time.perf_counter()
    pages = render_document(provider_context(**job.context), job.target, job.publication_date)
    return job.context["provider"], time.perf_counter() - started, pages


def render_all(jobs: list[ReportJob], workers: int = 2) -> Iterator[tuple[str, float, int]]:
    """Render every job, in parallel across ``workers`` processes (spawned, so no lock or connection
    is inherited from the run), yielding (provider, seconds, pages) in the jobs' order."""
    workers = max(1, min(workers, os.cpu_count() or 1, len(jobs)))
    # A daemonic process (e.g. a Celery worker running the asset) may not start children: render in turn.
    if workers == 1 or multiprocessing.current_process().daemon:
        yield from map(render_job, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(render_job, jobs)
