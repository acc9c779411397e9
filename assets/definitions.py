"""The one Definitions object of mhaudit (workspace.yaml and [tool.dagster] point here)."""

from __future__ import annotations

import dagster as dg

from assets.indicators import indicator_values, published_indicators
from assets.ingest import raw_tables
from assets.quality import ethnicity_recording
from assets.reports import audit_report_pdfs, publication
from assets.resources import AuditRun

all_assets = [*raw_tables, ethnicity_recording, indicator_values, published_indicators, audit_report_pdfs, publication]

defs = dg.Definitions(assets=all_assets, resources={"audit_run": AuditRun()})
