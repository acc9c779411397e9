"""Where a year's reports spend their time: each report's view-model, board paper (PDF) and HTML
edition page, built one after another in this one process and timed in CPU seconds.

The extracts are generated once into benchmarks/cache/<scale>-1y (git-ignored); the data stages
(load, validate, indicators, published tables) run once per call, or are reused with --reuse. The
reports are then built by the pipeline's own ``audit.render_reports`` (so the jobs are the run's
jobs), with its parallel renderer swapped for a serial one that times each step.

    python -m benchmarks.profile_report                        # region year: every report, timed
    python -m benchmarks.profile_report --reuse --only ALL,R0A --profile 25
    python -m benchmarks.profile_report --reuse --code-version pinned   # outputs comparable across commits
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "cache"
YEAR = "2024-25"
STEPS = ("viewmodel", "pdf", "html")


def extracts(scale: str) -> Path:
    """The year's synthetic extracts, generated on first use."""
    folder = CACHE / f"{scale}-1y"
    if not (folder / "truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pipeline.cli", "synth", "--scale", scale, "--years", YEAR,
                        "--out", str(folder)], check=True, cwd=ROOT)
    return folder


def data_stages(spec, reuse: bool) -> None:
    """Load, validate, compute and publish the tables the reports read (skipped with ``reuse``
    when a previous call left them)."""
    from pipeline import audit
    from pipeline.contract import ALL_TABLES

    if reuse and (spec.staging / "data" / "indicators.parquet").exists() and spec.warehouse.exists():
        return
    for folder in (spec.out, spec.work):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    for table in ALL_TABLES:
        audit.ingest(spec, table)
    audit.validate(spec)
    audit.compute(spec)
    audit.publish_tables(spec)
    print(f"data stages: {time.perf_counter() - started:.1f} s", file=sys.stderr)


class Timer:
    """CPU seconds of each step of each report, and (with ``profile``) one cProfile per step."""

    def __init__(self, profile: bool) -> None:
        self.seconds: dict[str, dict[str, float]] = {}
        self.pages: dict[str, int] = {}
        self.withheld: set[str] = set()  # a withheld report is a cover page: not in the medians
        self.profiles = {step: cProfile.Profile() for step in STEPS} if profile else {}

    def run(self, code: str, step: str, call, *args):
        profiler = self.profiles.get(step)
        started = time.process_time()
        result = profiler.runcall(call, *args) if profiler else call(*args)
        self.seconds.setdefault(code, {})[step] = time.process_time() - started
        return result

    def render_serially(self, jobs, workers: int = 1):
        """Stands in for ``render.render_all``: the same outputs, one job after another, timed."""
        from pipeline.report.render import Rendered, render_document, render_edition_page
        from pipeline.report.viewmodel import provider_context

        for job in jobs:
            code = job.context["provider"]
            if job.context["decision"].decision == "withhold":
                self.withheld.add(code)
            wall = time.perf_counter()
            context = self.run(code, "viewmodel", lambda: provider_context(**job.context))
            pages = self.run(code, "pdf", render_document, context, job.target, job.publication_date)
            self.run(code, "html", render_edition_page, context, job.page)
            self.pages[code] = pages
            cpu = sum(self.seconds[code].values())
            print(f"  {code:5} {pages:3} pages  " + "  ".join(f"{s} {self.seconds[code][s]:6.2f}" for s in STEPS),
                  file=sys.stderr, flush=True)
            yield Rendered(code, pages, time.perf_counter() - wall, cpu, self.seconds[code]["pdf"])


def summary(timer: Timer, year_pages: float) -> str:
    providers = {c: s for c, s in timer.seconds.items() if c != "ALL" and c not in timer.withheld}
    lines = [f"reports timed: {len(timer.seconds)} ({len(providers)} published providers"
             + (" and ALL" if "ALL" in timer.seconds else "")
             + (f"; withheld, not in the medians: {', '.join(sorted(timer.withheld))})" if timer.withheld else ")")]
    for step in STEPS:
        if providers:
            values = [s[step] for s in providers.values()]
            lines.append(f"  median provider {step:9} {statistics.median(values):7.2f} CPU-s  "
                         f"(min {min(values):.2f}, max {max(values):.2f}, total {sum(values):.1f})")
    if "ALL" in timer.seconds:
        lines.append("  ALL                      " + "  ".join(f"{s} {timer.seconds['ALL'][s]:.2f}" for s in STEPS))
    lines.append(f"  year pages of the HTML edition (landing page, a page per indicator): {year_pages:.2f} CPU-s")
    return "\n".join(lines)


def profiles(timer: Timer, top: int) -> str:
    out = io.StringIO()
    for step, profiler in timer.profiles.items():
        out.write(f"\n===== {step}: top {top} by cumulative time =====\n")
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
        out.write(f"\n===== {step}: top {top} by own time =====\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="region", choices=["sample", "region", "national"])
    parser.add_argument("--reuse", action="store_true", help="reuse the data stages of an earlier call")
    parser.add_argument("--only", default="", help="comma-separated report codes (default: every report)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions per step")
    parser.add_argument("--code-version", default="",
                        help="the version the reports print, so outputs of two commits can be compared byte for byte")
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.basicConfig(level=logging.WARNING)

    from pipeline import audit, publish

    CACHE.mkdir(parents=True, exist_ok=True)
    spec = audit.RunSpec(extracts=extracts(args.scale), out=CACHE / f"{args.scale}-1y-out",
                         work=CACHE / f"{args.scale}-1y-work", year=YEAR, publication_date="2025-07-15")
    data_stages(spec, args.reuse)
    if args.code_version:
        publish.code_version = lambda: args.code_version
    timer = Timer(profile=args.profile > 0)
    if args.only:
        wanted = set(args.only.split(","))
        audit.render_all = lambda jobs, workers=1: timer.render_serially(
            [j for j in jobs if j.context["provider"] in wanted])
    else:
        audit.render_all = timer.render_serially
    started = time.process_time()
    audit.render_reports(spec)
    year_pages = time.process_time() - started - sum(sum(s.values()) for s in timer.seconds.values())
    print(summary(timer, year_pages))
    print(f"outputs: {spec.staging / 'reports'} and {spec.staging / 'html'}")
    if args.profile:
        print(profiles(timer, args.profile))


if __name__ == "__main__":
    main()
