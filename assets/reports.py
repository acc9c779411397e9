"""Reports: both editions (the board papers and the HTML edition), then the whole year moved into
place with its manifest.

The reports are a graph of steps: one plans the year's reports, one step renders each provider's
(mapped over the providers, so the multiprocess executor renders on every core and the Celery
executor spreads a year's reports over its workers), and one writes the HTML edition's year pages
once every report is there. ``AuditRun.report_steps = "year"`` renders them all in one step on a
pool of processes instead (the command line's in-process run)."""

import json
import os
import socket

import dagster as dg
from dagster import AssetExecutionContext, OpExecutionContext

from assets.partitions import financial_years
from assets.resources import AuditRun, run_log
from pipeline import audit


@dg.op(ins={"after": dg.In(dg.Nothing)}, out={"plan": dg.Out(), "batches": dg.DynamicOut()})
def plan_reports(context: OpExecutionContext, audit_run: AuditRun):
    """The year's reports and what they share (decisions, parameters, input checksums), and the
    reports each render step takes: one provider each, or the whole year in one."""
    plan = audit.plan_reports(audit_run.spec(context.partition_key))
    yield dg.Output(plan, "plan")
    batches = [(code,) for code in plan.codes] if audit_run.report_steps == "provider" else [plan.codes]
    for batch in batches:
        yield dg.DynamicOutput(batch, mapping_key=batch[0] if len(batch) == 1 else "year", output_name="batches")


@dg.op
def render_reports(context: OpExecutionContext, audit_run: AuditRun, plan: audit.ReportPlan,
                   batch: tuple) -> dict:
    """Both editions of the batch's reports (the board paper and the HTML edition's page)."""
    with run_log(context):  # each report rendered (and, for a whole year, how many are left)
        outcome = audit.render_reports(audit_run.spec(context.partition_key), plan, batch)
    context.add_output_metadata({
        "reports": dg.MetadataValue.json(outcome),
        "rendered_by": f"{socket.gethostname()} process {os.getpid()}",  # which worker, on a cluster
    })
    return outcome


@dg.op
def html_edition(context: OpExecutionContext, audit_run: AuditRun, plan: audit.ReportPlan,
                 rendered: list[dict]) -> dict:
    """The HTML edition's landing and indicator pages, once every report is rendered."""
    audit.write_edition(audit_run.spec(context.partition_key), plan)
    outcome = {code: result for batch in rendered for code, result in batch.items()}
    context.add_output_metadata({
        "reports": dg.MetadataValue.json({code: outcome[code]["decision"] for code in plan.codes}),
        "pages": dg.MetadataValue.json({code: outcome[code]["pages"] for code in plan.codes}),
    })
    return outcome


@dg.graph_asset(group_name="reports", partitions_def=financial_years, kinds={"pdf", "html"},
                ins={"published_indicators": dg.AssetIn(dagster_type=dg.Nothing)},
                description="One PDF/UA board paper per provider and ALL.pdf, and the HTML edition, staged for "
                            "publication: a step per provider's report.")
def audit_report_pdfs(published_indicators):
    plan, batches = plan_reports(published_indicators)
    rendered = batches.map(lambda batch: render_reports(plan, batch))
    return html_edition(plan, rendered.collect())


@dg.asset(group_name="reports", deps=[audit_report_pdfs], partitions_def=financial_years, kinds={"json"})
def publication(context: AssetExecutionContext, audit_run: AuditRun) -> dg.MaterializeResult:
    """The year's publication, moved into place atomically with a manifest of every checksum, once
    every report of the year is staged."""
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
