"""Headless Chromium for the tests (Debian's chromium, driven by Playwright for Python).

Open a local page with every request outside a folder (the publication) blocked and recorded,
and run axe-core's WCAG 2.2 A and AA rules on it. Playwright's own browser download is not used:
the browser is the system's ``chromium`` (scripts/install-system-deps.sh installs it).

    with Browser(publication) as browser:
        page = browser.open(publication / "html" / "index.html")
        assert browser.axe(page) == [] and browser.blocked == []
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, sync_playwright

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium() -> str | None:
    """The system's Chromium, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """A headless browser that may read files under ``root`` and nothing else.

    ``blocked`` lists every other request a page made (a CDN, a web font, a file outside the
    folder); ``failed`` every request for a file under ``root`` that does not exist."""

    def __init__(self, root: Path, width: int = 1280, height: int = 900) -> None:
        self.root = Path(root).resolve()
        self.viewport = {"width": width, "height": height}
        self.blocked: list[str] = []
        self.failed: list[str] = []

    def __enter__(self) -> Browser:
        executable = chromium()
        if executable is None:
            raise RuntimeError("chromium is not installed (scripts/install-system-deps.sh installs it)")
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        # offline: nothing may reach a network even if a route were missed.
        self._context = self._browser.new_context(viewport=self.viewport, offline=True)
        self._context.route("**/*", self._route)
        return self

    def __exit__(self, *exc) -> None:
        self._context.close()
        self._browser.close()
        self._playwright.stop()

    def _local(self, url: str) -> Path | None:
        """The file under ``root`` that ``url`` names, or None for anything else."""
        parsed = urlparse(url)
        if parsed.scheme != "file":
            return None
        path = Path(unquote(parsed.path)).resolve()
        return path if path.is_relative_to(self.root) else None

    def _route(self, route: Route) -> None:
        # Chromium's request interception cannot pass a file: request on, so the page's own files
        # are served from disk here; everything else is refused and recorded.
        url = route.request.url
        path = self._local(url)
        if path is None:
            self.blocked.append(url)
            route.abort("blockedbyclient")
        elif path.is_file():
            route.fulfill(path=path)
        else:
            self.failed.append(url)
            route.fulfill(status=404, body="")

    def open(self, path: Path) -> Page:
        """A new tab showing ``path``, its stylesheets, fonts and images loaded."""
        page = self._context.new_page()
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        return page

    def axe(self, page: Page, tags: list[str] = WCAG_22_AA) -> list[dict]:
        """axe-core's violations of the WCAG 2.2 A and AA rules on ``page``: each with its rule id,
        impact, help text and the offending elements."""
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]})
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["target"] for n in v["nodes"]][:5]} for v in results.response["violations"]]
