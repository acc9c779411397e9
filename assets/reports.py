"""Reports: both editions (the board papers and the HTML edition), then the whole year moved into
place with its manifest."""


import json

import dagster as dg
from dagster import AssetExecutionContext

from assets.indicators import published_indicators
from assets.partitions import financial_years
from assets.resources import AuditRun, run_log
from pipeline import audit


@dg.asset(group_name="reports", deps=[published_indicators], partitions_def=financial_years, kinds={"pdf", "html"})
def audit_report_pdfs(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """One PDF/UA board paper per provider and ALL.pdf, and the HTML edition, staged for publication."""
    with run_log(context):  # progress: report n of N, elapsed, estimate
        outcome = audit.render_reports(audit_run.spec(context.partition_key))
    return dg.MaterializeResult(metadata={
        "reports": dg.MetadataValue.json({code: r["decision"] for code, r in outcome.items()}),
        "pages": dg.MetadataValue.json({code: r["pages"] for code, r in outcome.items()}),
    })


@dg.asset(group_name="reports", deps=[audit_report_pdfs], partitions_def=financial_years, kinds={"json"})
def publication(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """The year's publication, moved into place atomically with a manifest of every checksum."""
    with run_log(context):
        folder = audit.finalise(audit_run.spec(context.partition_key))
    manifest = json.loads((folder / "manifest.json").read_text())
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(folder)),
        "validation_docs": dg.MetadataValue.path(str(folder / "validation" / "index.html")),
        "outputs": len(manifest["outputs"]),
        "mhaudit_version": manifest["mhaudit_version"],
        "manifest": dg.MetadataValue.json(manifest),
    })
