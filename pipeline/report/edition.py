"""The HTML edition's year pages and assets: the landing page (every provider with its publication
decision), a page per indicator comparing providers, and the vendored stylesheet and fonts. Each
provider's own page is written with its PDF, from the same view-model (render.render_job).

Static files only: no script, no request outside the publication (the NHS.UK stylesheet's web
fonts are cut out, the report's own Noto Sans is shipped), so the edition works from a file share.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pipeline.indicators import Indicator
from pipeline.quality import Decision
from pipeline.report import sections
from pipeline.report.cells import by_indicator, plain
from pipeline.report.format import fmt_date
from pipeline.report.render import PAGE_PATHS, REPORTS_DIR, environment
from pipeline.report.summary import direction_text
from pipeline.report.viewmodel import DOMAINS

ASSETS = REPORTS_DIR / "html"
FONTS = REPORTS_DIR / "fonts"
DECISION = {"publish": "Published", "warn": "Published with a warning", "withhold": "Withheld"}


def copy_assets(html: Path) -> None:
    """The stylesheets, fonts and their licences into ``html/assets``."""
    target = html / "assets"
    (target / "fonts").mkdir(parents=True, exist_ok=True)
    for path in sorted(ASSETS.iterdir()):
        if path.suffix in (".css", ".txt"):
            shutil.copyfile(path, target / path.name)
    for path in sorted(FONTS.iterdir()):
        shutil.copyfile(path, target / "fonts" / path.name)


def write_year_pages(html: Path, *, year: str, names: dict[str, str], decisions: dict[str, Decision],
                     compared: pd.DataFrame, catalogue: list[Indicator], params: dict) -> list[Path]:
    """The landing page and one page per indicator; returns the files written."""
    common = {"lang": "en-GB", "year": year, "publication_date": fmt_date(params["publication_date"]),
              "version": params["code_version"], "synthetic": params["synthetic"]}
    env = environment()
    domains = [{"title": title, "measures": [{"id": i.id, "title": i.title} for i in catalogue if i.domain == d]}
               for d, title in DOMAINS.items()]
    providers = [{"code": code, "name": names[code], "decision": DECISION[decisions[code].decision],
                  "reason": decisions[code].reason if decisions[code].decision != "publish" else ""}
                 for code in sorted(names) if code != "ALL"]
    index = env.get_template("edition_index.html.j2").render(
        **common, **PAGE_PATHS["index"], page_title=f"Ethnicity equality audit of mental health services, {year}",
        providers=providers, all_name=names.get("ALL", "All providers"),
        all_decision=DECISION[decisions["ALL"].decision] if "ALL" in decisions else "",
        domains=[d for d in domains if d["measures"]])
    written = [_write(html / "index.html", index)]
    template = env.get_template("edition_indicator.html.j2")
    each = by_indicator(plain(compared), catalogue)  # split once, not filtered per page
    for ind in catalogue:
        page = template.render(
            **common, **PAGE_PATHS["indicator"], page_title=f"{ind.title}: every provider compared, {year}",
            id=ind.id, anchor=ind.id.lower(), measure=ind.title, domain=DOMAINS.get(ind.domain, ind.domain),
            definition=ind.definition,
            direction=direction_text(ind), plot=sections.funnel(ind, each[ind.id], provider=""))
        written.append(_write(html / "indicators" / f"{ind.id}.html", page))
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
