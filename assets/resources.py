"""The run's parameters as a Dagster resource, turned into the core's RunSpec."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Literal

import dagster as dg

from pipeline.audit import RunSpec
from pipeline.config import load_config
from pipeline.load import latest_year


class AuditRun(dg.ConfigurableResource):
    """Which extracts and year to audit, where to publish, and with which configuration."""

    extracts: str = os.environ.get("MHAUDIT_EXTRACTS", "data/sample")
    out: str = os.environ.get("MHAUDIT_OUT", "out")
    work: str = os.environ.get("MHAUDIT_WORK", ".mhaudit")
    year: str = ""
    providers: list[str] = []
    config_file: str = ""
    publication_date: str = ""
    synthetic: str = "auto"
    # "provider": a step per report (the multiprocess and Celery executors render them in parallel);
    # "year": one step renders every report on a pool of processes (an in-process run).
    report_steps: Literal["provider", "year"] = "provider"

    def spec(self, year: str | None = None) -> RunSpec:
        """The run for ``year`` (a partition key), else the configured year, else the latest present."""
        return RunSpec(
            extracts=Path(self.extracts),
            out=Path(self.out),
            year=year or self.year or latest_year(Path(self.extracts)),
            work=Path(self.work),
            config=load_config(self.config_file or None),
            providers=tuple(self.providers),
            publication_date=self.publication_date or date.today().isoformat(),
            synthetic=None if self.synthetic == "auto" else self.synthetic == "yes",
        )


class _ToRunLog(logging.Handler):
    def __init__(self, log) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        (self.log.warning if record.levelno >= logging.WARNING else self.log.info)(record.getMessage())


@contextmanager
def run_log(context: dg.AssetExecutionContext) -> Iterator[None]:
    """The pipeline's progress messages (its 'mhaudit' logger: tables loaded, providers validated,
    reports rendered with how many are left) in the run's Dagster log as well."""
    logger = logging.getLogger("mhaudit")
    handler, level = _ToRunLog(context.log), logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
