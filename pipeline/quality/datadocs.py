"""Great Expectations' data docs made to work offline and to read better, after GX has built them.

GX's pages load jQuery, Bootstrap, bootstrap-table, its date picker, Font Awesome and its logo from
public CDNs, so on a network that blocks them the pages are blank. The same files, from their npm
packages (byte for byte: the pages' own integrity hashes match), ship in ``reports/datadocs/vendor``
with their licences and are copied beside the pages; every reference is rewritten to the copy.
Vega and the dark-mode theme are loaded by every page but used by none of ours, so they are dropped.
What a stylesheet and a rewrite can fix is fixed: the page's language, a word beside each pass or
fail icon, colour contrast (``reports/datadocs/datadocs.css``). GX's own index moves to
``gx_index.html``: ``index.html`` is the auditor's index (:mod:`pipeline.quality.auditor`), which
GX's pages already link to as 'Home'.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "reports" / "datadocs"
VENDOR = REPORTS / "vendor"
STYLESHEET = REPORTS / "datadocs.css"
GX_INDEX = "gx_index.html"

# Every URL GX's pages load -> the file beside the pages that replaces it (under static/), or None
# where nothing on our pages uses it (the tag is dropped).
OFFLINE: dict[str, tuple[str, ...] | None] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": ("vendor/jquery-3.7.1.min.js",),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": ("vendor/popper-1.12.9.min.js",),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": ("vendor/bootstrap-4.3.1.min.js",),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": ("vendor/bootstrap-4.3.1.min.css",),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": ("vendor/bootstrap-table-1.19.1.min.css",),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": ("vendor/bootstrap-table-1.19.1.min.js",),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        ("vendor/bootstrap-table-filter-control-1.19.1.min.js",),
    # the pages ask for 1.19.0's stylesheet of the extension (unminified on some): 1.19.1's is the same rules
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        ("vendor/bootstrap-table-filter-control-1.19.1.min.css",),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        ("vendor/bootstrap-table-filter-control-1.19.1.min.css",),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        ("vendor/bootstrap-datepicker-1.9.0.min.css",),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        ("vendor/bootstrap-datepicker-1.9.0.min.js",),
    # only the solid icons are used: Font Awesome's core rules and its solid face (one web font)
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        ("vendor/fontawesome/css/fontawesome.min.css", "vendor/fontawesome/css/solid.min.css"),
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png": ("images/logo-long.png",),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
    "https://cdn.jsdelivr.net/npm/vega@5": None,
    "https://cdn.jsdelivr.net/npm/vega-lite@5": None,
    "https://cdn.jsdelivr.net/npm/vega-embed@6": None,
}
LOADING_TAG = re.compile(r'<(script|link|img)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"[^>]*?>(?:\s*</script>)?', re.S)
CSS_URL = re.compile(r"url\(\s*'?(https?://[^')]+)'?\s*\)")
STATIC = re.compile(r'(href|src)="(?:\.\./)*static/')
# bootstrap-table builds its filter boxes at run time without a name: name each after its column.
NAME_FILTERS = """<script>
/* mhaudit: each of bootstrap-table's filter boxes named after its column, for screen readers */
$(document).on("created-controls.bs.table post-header.bs.table post-body.bs.table", function (event) {
  $(event.target).closest(".bootstrap-table").find(".filter-control").each(function () {
    var column = $(this).closest("th").find(".th-inner").first().text().trim();
    $(this).find("input, select").attr("aria-label", "Filter by " + column);
  });
});
</script>"""
ICONS = {
    re.compile(r'(<i class="fas fa-check-circle text-success[^"]*"\s*)></i>'): "passed",
    re.compile(r'(<i class="fas fa-times text-danger[^"]*"\s*)></i>'): "failed",
}


def make_offline(docs: Path) -> None:
    """Copy the vendored files and our stylesheet beside GX's pages and rewrite every page to use
    them; move GX's index to ``gx_index.html``. Refuses a page that still loads from elsewhere."""
    static = docs / "static"
    shutil.copytree(VENDOR, static / "vendor", dirs_exist_ok=True)
    shutil.copyfile(STYLESHEET, static / "styles" / "mhaudit-datadocs.css")
    if (docs / "index.html").exists():
        os.replace(docs / "index.html", docs / GX_INDEX)
    for page in sorted(docs.rglob("*.html")):
        if page.parent == docs and page.name == "index.html":
            continue
        root = os.path.relpath(docs, page.parent).replace(os.sep, "/") + "/"
        page.write_text(rewrite(page.read_text(encoding="utf-8"), "" if root == "./" else root), encoding="utf-8")


def rewrite(html: str, root: str) -> str:
    """One GX page with every CDN file replaced by its copy under ``<root>static/``, the language
    set, a word beside each pass and fail icon and our stylesheet last."""

    def local(match: re.Match) -> str:
        tag, url = match.group(1), match.group(2)
        if url not in OFFLINE:
            raise RuntimeError(f"a Great Expectations page loads {url}, which is not vendored (reports/datadocs)")
        files = OFFLINE[url]
        if files is None:
            return ""
        if tag == "script":
            return "".join(f'<script src="{root}static/{f}"></script>' for f in files)
        if tag == "link":
            return "".join(f'<link rel="stylesheet" href="{root}static/{f}">' for f in files)
        return re.sub(r'\bsrc="[^"]+"', f'src="{root}static/{files[0]}"', match.group(0)).replace('class="NO-CACHE"', "")

    html = LOADING_TAG.sub(local, html)
    html = CSS_URL.sub("none", html)  # a dark-mode logo in GX's inline styles
    html = STATIC.sub(lambda m: f'{m.group(1)}="{root}static/', html)  # GX's own static links, some one level short
    html = html.replace("<html>", '<html lang="en-GB">', 1).replace("<title></title>", "")
    # GX's tabs put a list item between the tab list and each tab (Bootstrap marks it presentation)
    html = html.replace('<li class="nav-item">', '<li class="nav-item" role="presentation">')
    filters = "bootstrap-table-filter-control-1.19.1.min.js\"></script>"
    html = html.replace(filters, filters + NAME_FILTERS, 1)
    for icon, word in ICONS.items():
        html = icon.sub(rf'\1 aria-hidden="true"></i><span class="mhaudit-status">{word}</span>', html)
    return html.replace("</head>", f'<link rel="stylesheet" href="{root}static/styles/mhaudit-datadocs.css">\n</head>', 1)
