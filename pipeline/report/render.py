"""Render a report view-model to both editions: the board paper, a tagged, reproducible PDF
(PDF/UA-1) by Jinja2 and WeasyPrint, and the provider's page of the HTML edition.

Reports render in worker processes of the run's process group that end with the run: a worker
is killed by the kernel as soon as the process that started it dies (Linux), so a killed run
leaves no process behind and nothing is written after it is gone.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.contract import is_report_code
from pipeline.publish import writing

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
TEMPLATES_DIR = REPORTS_DIR / "templates"
# WeasyPrint and fontTools log every font subsetting step; the run's own progress is enough.
for noisy in ("weasyprint", "fontTools"):
    logging.getLogger(noisy).setLevel(logging.ERROR)


# Where an HTML edition page finds the publication's folder, the edition's assets and its landing page.
PAGE_PATHS = {
    "index": {"root": "..", "assets": "assets", "home": "index.html"},
    "provider": {"root": "../..", "assets": "../assets", "home": "../index.html"},
    "indicator": {"root": "../..", "assets": "../assets", "home": "../index.html"},
}


@functools.cache
def environment() -> Environment:
    """One per process: compiling the templates once saves about 0.2 s per report (it checks
    the files' times on each use, so an edited template is still picked up)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(context: dict) -> str:
    """The board paper's HTML, for WeasyPrint."""
    return environment().get_template("report.html.j2").render(**context)


def render_edition_html(context: dict) -> str:
    """The provider's page of the HTML edition, from the same view-model."""
    return environment().get_template("edition_report.html.j2").render(**context, **PAGE_PATHS["provider"])


def render_edition_page(context: dict, target: Path) -> Path:
    """The provider's page of the HTML edition (``<staging>/html/<code>/index.html``)."""
    page = render_edition_html(context)
    target.parent.mkdir(parents=True, exist_ok=True)
    with writing(target):
        target.write_text(page, encoding="utf-8")
    return target


def source_date_epoch(publication_date: str) -> int:
    """Midnight UTC of the publication date: PDFs are dated by the run's parameters, not the clock."""
    day = datetime.fromisoformat(publication_date).replace(tzinfo=timezone.utc)
    return int(day.timestamp())


def render_document(context: dict, target: Path, publication_date: str) -> int:
    """Write one report and return its page count; the same context and date always give the same bytes."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.report import pdf_tags, svg_text

    for noisy in ("weasyprint", "fontTools"):  # again: a fresh worker process has fresh loggers
        logging.getLogger(noisy).setLevel(logging.ERROR)
    pdf_tags.install()
    svg_text.install()
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch(publication_date))
    fonts = FontConfiguration()
    sheets = [CSS(filename=str(TEMPLATES_DIR / name), font_config=fonts)
              for name in ["report.css"] + (["synthetic.css"] if context["synthetic"] else [])]
    # No base URL: the link to the HTML edition stays relative to the PDF ('../html/RRJ/index.html'),
    # so it works wherever the publication is copied; the stylesheets carry their own location.
    document = HTML(string=render_html(context), base_url=None).render(
        stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")
    # Dated by the run, so `mhaudit verify` can tell a report of another run (publish.pdf_creation_date).
    document.metadata.created = document.metadata.modified = publication_date
    target.parent.mkdir(parents=True, exist_ok=True)
    with writing(target):
        document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return len(document.pages)


def render_pdf(context: dict, target: Path, publication_date: str) -> Path:
    render_document(context, target, publication_date)
    return target


@dataclass(frozen=True)
class ReportJob:
    """One report to build: the keyword arguments of :func:`provider_context`, where to write the
    PDF and the HTML edition's page."""

    context: dict
    target: Path
    publication_date: str
    page: Path | None = None


@dataclass(frozen=True)
class Rendered:
    """One provider's editions, written: PDF pages, wall seconds and the CPU seconds of its process
    (view-model, PDF and HTML page; and of the PDF alone)."""

    provider: str
    pages: int
    seconds: float
    cpu_seconds: float
    pdf_cpu_seconds: float


def render_job(job: ReportJob) -> Rendered:
    """Build the view-model once and render both editions from it."""
    from pipeline.report.viewmodel import provider_context

    started, cpu = time.perf_counter(), time.process_time()
    context = provider_context(**job.context)
    pdf_cpu = time.process_time()
    pages = render_document(context, job.target, job.publication_date)
    pdf_cpu = time.process_time() - pdf_cpu
    if job.page is not None:
        render_edition_page(context, job.page)
    return Rendered(job.context["provider"], pages, time.perf_counter() - started, time.process_time() - cpu, pdf_cpu)


def render_all(jobs: list[ReportJob], workers: int = 2) -> Iterator[Rendered]:
    """Render every job, in parallel across ``workers`` processes (spawned, so no lock or connection
    is inherited from the run), yielding each result in the jobs' order."""
    for job in jobs:  # a report's file names come from a provider's code: never anything else
        code = job.context["provider"]
        page_ok = job.page is None or (job.page.parent.name == code and job.page.name == "index.html")
        if not is_report_code(code) or job.target.name != f"{code}.pdf" or not page_ok:
            raise ValueError(f"refusing to write a report for {code!r} to {job.target}: not an organisation code")
    workers = max(1, min(workers, os.cpu_count() or 1, len(jobs)))
    # A daemonic process (e.g. a Celery worker running the asset) may not start children: render in turn.
    if workers == 1 or multiprocessing.current_process().daemon:
        yield from map(render_job, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield from pool.map(render_job, jobs)


def die_with_parent(parent: int) -> None:
    """In a worker: ask the kernel to kill this process when its parent dies (Linux's
    PR_SET_PDEATHSIG), and end now if the parent is already gone."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
