"""The ``mhaudit`` command line: synth, run, validate, verify (and ``--version``).

Exit status (interfaces.md): 0 published; 2 bad input (the message names file, column and
line); 3 finished but at least one provider's report was withheld by the quality gate; 1 any
other failure. Errors are one paragraph; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger("mhaudit")

EXAMPLES = {
    "run": "example: mhaudit run --extracts data/sample --year 2024-25 --out out --providers RB6,RMD",
    "validate": "example: mhaudit validate --extracts data/sample --year 2024-25 --out checks/2024-25",
    "synth": "example: mhaudit synth --out /tmp/extracts --scale region --years 2023-24,2024-25 --seed 7",
    "verify": "example: mhaudit verify out/2024-25   (or: mhaudit verify out, for every year in it)",
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _logging(args)
    try:
        return args.func(args)
    except Exception as exc:  # the one place errors become exit codes
        from pipeline.errors import MhauditError

        if args.debug:
            raise
        if isinstance(exc, MhauditError):
            print(f"mhaudit: {exc}", file=sys.stderr)
            return exc.exit_code
        if isinstance(exc, OSError) and exc.filename:
            after = f" {UNCHANGED}" if args.command in ("run", "validate") else ""
            print(f"mhaudit: cannot use {exc.filename}: {exc.strerror}.{after}", file=sys.stderr)
        else:
            print(f"mhaudit: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("Run again with --debug for the traceback.", file=sys.stderr)
        return 1


UNCHANGED = "Nothing was published for this year; earlier outputs are unchanged."


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse a malformed year, publication date or provider code before any work (exit 2)."""
    from datetime import date

    from pipeline.contract import ORG_CODE_TEXT, is_financial_year, is_org_code
    from pipeline.errors import ConfigError

    if args.year and not is_financial_year(args.year):
        raise ConfigError(f"--year {args.year!r} is not a financial year: expected YYYY-YY with consecutive years, "
                          "e.g. 2024-25")
    if args.publication_date:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.publication_date):
                raise ValueError
            date.fromisoformat(args.publication_date)
        except ValueError:
            raise ConfigError(f"--publication-date {args.publication_date!r} is not a date: expected an ISO date "
                              "YYYY-MM-DD, e.g. 2025-07-15") from None
    for code in _providers(args):
        if not is_org_code(code):
            raise ConfigError(f"--providers: {code!r} is not a provider's code: expected {ORG_CODE_TEXT} "
                              "(ALL is always published)")
    for option in ("out", "work"):
        if Path(getattr(args, option)).exists() and not Path(getattr(args, option)).is_dir():
            raise ConfigError(f"--{option} {getattr(args, option)} is a file, not a folder")


def _providers(args: argparse.Namespace) -> list[str]:
    return [p.strip() for p in args.providers.split(",") if p.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mhaudit",
        description="Annual ethnicity equality audit of NHS mental health services.",
        epilog="example: mhaudit run   (publishes the latest sample year to out/)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=Version, help="show the version (and the git commit) and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, epilog=EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
        return p

    for name, help_ in (("run", "Validate, compute and publish one financial year."),
                        ("validate", "Run only the data-quality gate for one financial year: data_quality.csv and "
                                     "the data docs, nothing published.")):
        p = command(name, help_)
        p.add_argument("--extracts", default="data/sample", help="folder of extracts (default: data/sample)")
        p.add_argument("--year", default="", help="financial year such as 2024-25 (default: the latest present)")
        if name == "run":
            p.add_argument("--out", default="out", help="publication folder (default: out)")
        else:
            p.add_argument("--out", default="", help="folder for data/data_quality.csv and validation/ (the data docs "
                                                     "and the auditor's index); default: out/<year>-validation")
        p.add_argument("--work", default=".mhaudit", help="folder for the run's DuckDB warehouse (default: .mhaudit)")
        p.add_argument("--providers", default="", help="comma-separated provider codes (default: all)")
        p.add_argument("--config", default="", help="TOML file of thresholds, disclosure profile, comparator, coding")
        p.add_argument("--publication-date", default="", help="date printed on the reports, YYYY-MM-DD (default: today)")
        p.set_defaults(func=_run if name == "run" else _validate)

    p = command("synth", "Write a synthetic extract folder with its planted truth (truth.json).")
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--scale", default="sample", choices=["sample", "region", "national"])
    p.add_argument("--years", default="", help="comma-separated financial years (default: 2023-24,2024-25)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's seed)")
    p.set_defaults(func=_synth)

    p = command("verify", "Recompute a publication's checksums and report any file changed since.")
    p.add_argument("folder", help="a published year, e.g. out/2024-25, or a folder of them, e.g. out")
    p.set_defaults(func=_verify)
    return parser


class Version(argparse.Action):
    """``--version``: the package version with the git commit of a checkout (worked out only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from pipeline.publish import code_version

        print(f"mhaudit {code_version()}")
        parser.exit()


def _logging(args: argparse.Namespace) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if args.debug else logging.INFO)
    log.propagate = False


def _resource(args: argparse.Namespace, out: str | None = None):
    from assets.resources import AuditRun

    return AuditRun(
        extracts=args.extracts, out=out or args.out, work=args.work, year=args.year,
        providers=_providers(args),
        config_file=args.config, publication_date=args.publication_date,
    )


def _run(args: argparse.Namespace, selection: list[str] | None = None) -> int:
    check_arguments(args)
    from assets.runner import run_year
    from pipeline import publish
    from pipeline.runlock import year_lock

    validating = selection is not None
    # validate stages its files in the work folder, then keeps data_quality.csv and the data docs
    resource = _resource(args, out=str(Path(args.work) / "validate") if validating else None)
    spec = resource.spec()  # configuration errors surface here, before any work
    target = Path(args.out or Path("out") / f"{spec.year}-validation") if validating else spec.out
    print(f"mhaudit: {'validating' if validating else 'auditing'} {spec.year} from {spec.extracts} into {target}",
          file=sys.stderr)
    started = time.perf_counter()
    # One run per year at a time, for the whole run; it starts by restoring what a killed run left.
    with year_lock(spec.out, spec.year, spec.warehouse):
        publish.prepare(spec.out, spec.year)
        try:
            outcome = run_year(resource, selection)
            if validating and outcome.status in ("published", "blocked"):
                _keep_validation(spec.staging, target)
        finally:
            publish.discard_staging(spec.out, spec.year)
        return _report(args, spec, outcome, target if validating else None, time.perf_counter() - started)


def _report(args: argparse.Namespace, spec, outcome, validated: Path | None, elapsed: float) -> int:
    """Say how the run ended (a paragraph, then the decision per provider) and return the exit status;
    ``validated`` is where a validate run kept its files."""
    if outcome.status == "bad_input":
        print(f"mhaudit: {outcome.message}", file=sys.stderr)
        if args.debug:
            print(outcome.traceback, file=sys.stderr)
        return 2
    if outcome.status == "failed":
        print(f"mhaudit: the run failed: {outcome.error_class}: {outcome.message}. {UNCHANGED}", file=sys.stderr)
        print(outcome.traceback if args.debug else "Run again with --debug for the traceback.", file=sys.stderr)
        return 1
    decisions = _decisions(spec)
    if validated is not None:
        print(f"mhaudit: validated {spec.year} in {elapsed:.1f} s; nothing is published. Data quality: "
              f"{validated / 'data' / 'data_quality.csv'}; data docs: {validated / 'validation' / 'index.html'}",
              file=sys.stderr)
        if outcome.status == "blocked":
            print(f"mhaudit: the quality gate would stop the run: {outcome.message}.", file=sys.stderr)
        _print_table(decisions, WOULD)
        return 3 if outcome.status == "blocked" or any(d["decision"] == "withhold" for d in decisions) else 0
    if outcome.status == "blocked":
        print(f"mhaudit: nothing published: the quality gate stopped the run: {outcome.message}.", file=sys.stderr)
        _print_table(decisions)
        return 3
    print(f"mhaudit: published {spec.out / spec.year} in {elapsed:.1f} s", file=sys.stderr)
    _print_table(decisions)
    return 3 if any(d["decision"] == "withhold" for d in decisions) else 0


def _keep_validation(staging: Path, target: Path) -> None:
    """data/data_quality.csv and validation/ from a validate run's staging folder into ``target``
    (replacing an earlier validation there)."""
    (target / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(staging / "data" / "data_quality.csv", target / "data" / "data_quality.csv")
    if (target / "validation").exists():
        shutil.rmtree(target / "validation")
    shutil.copytree(staging / "validation", target / "validation")


def _validate(args: argparse.Namespace) -> int:
    from assets.definitions import all_assets

    keys = [k.to_user_string() for a in all_assets for k in a.keys if a.group_names_by_key[k] in ("ingest", "quality")]
    return _run(args, selection=keys)


def _decisions(spec) -> list[dict]:
    from pipeline.warehouse import connect, query

    with connect(spec.warehouse, read_only=True) as con:
        return query(con, "SELECT * FROM quality_decisions ORDER BY provider").to_dict("records")


PUBLISHED = {"publish": "published", "warn": "published with a warning", "withhold": "withheld"}
WOULD = {"publish": "would be published", "warn": "would carry a warning", "withhold": "would be withheld"}


def _print_table(decisions: list[dict], words: dict[str, str] = PUBLISHED) -> None:
    width = max([len(d["provider"]) for d in decisions] + [8])
    print(f"\n{'provider':<{width}}  {'report':<25}  why", file=sys.stderr)
    for d in decisions:
        print(f"{d['provider']:<{width}}  {words[d['decision']]:<25}  {d['reason']}", file=sys.stderr)


def _synth(args: argparse.Namespace) -> int:
    from pipeline.synth import generate

    from pipeline.contract import is_financial_year
    from pipeline.errors import ConfigError

    years = [y.strip() for y in args.years.split(",") if y.strip()] or None
    for year in years or []:
        if not is_financial_year(year):
            raise ConfigError(f"--years: {year!r} is not a financial year: expected YYYY-YY, e.g. 2024-25")
    kwargs = {} if args.seed is None else {"seed": args.seed}
    started = time.perf_counter()
    generate(Path(args.out), scale=args.scale, years=years, **kwargs)
    print(f"mhaudit: wrote {args.scale} synthetic extracts to {args.out} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from pipeline.publish import published_years, verify

    failed = 0
    for folder in published_years(Path(args.folder)):
        problems = verify(folder)
        for p in problems:
            print(f"{folder}: {p}" if folder != Path(args.folder) else p)
        print(f"mhaudit: {folder}: " + ("all files match the manifest" if not problems else f"{len(problems)} problem(s)"),
              file=sys.stderr)
        failed += bool(problems)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
