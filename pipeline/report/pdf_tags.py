"""Repairs to the PDF structure tree WeasyPrint 70 writes, so the PDFs are tagged as PDF/UA means.

WeasyPrint tags each page's boxes on their own, so an element that runs over a page break
becomes two structure elements: a section continued on the next page starts without its heading,
a table split across pages becomes two tables (the second without its caption; a caption left at
the foot of a page, a /Table with no rows), and the header row repeated on the next page is read
as content. It also writes figure bounding boxes in CSS pixels from the top of the page, where
PDF wants points from the bottom. :func:`add_tags` runs WeasyPrint's tagging, recording which
HTML element each structure element came from, and then

- merges the fragments of one HTML element on consecutive pages into one structure element;
- turns a table header repeated on a continuation page into an artifact (it is pagination, like
  a running header) and points the continued cells at the original header cells;
- writes each figure's /BBox in PDF points.

:func:`install` puts it in WeasyPrint's place; pipeline/report/render.py calls it before writing.
"""

from __future__ import annotations

from collections import defaultdict

import pydyf
import weasyprint.pdf as weasy_pdf
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf import tags as weasy_tags

PX_TO_PT = 0.75
_weasy_add_tags = weasy_tags.add_tags
_weasy_build = weasy_tags._build_box_tree


def install() -> None:
    """Make WeasyPrint's PDF writer use :func:`add_tags` (it looks the name up when it writes)."""
    weasy_pdf.add_tags = add_tags


def add_tags(pdf, document, pdf_version, page_streams) -> None:
    """WeasyPrint's tagging, then the repairs above."""
    origin: dict[bytes, tuple] = {}

    def recording(box, parent, pdf_, page_number, nums, annotations, tags):
        source = box._box if isinstance(box, AbsolutePlaceholder) else box
        for element in _weasy_build(box, parent, pdf_, page_number, nums, annotations, tags):
            if source.element is not None:
                origin[element.reference] = (source.element, source.element_tag, element["S"])
            yield element

    weasy_tags._build_box_tree = recording  # its recursion looks the name up in the module
    try:
        _weasy_add_tags(pdf, document, pdf_version, page_streams)
    finally:
        weasy_tags._build_box_tree = _weasy_build
    _Tree(pdf, origin, page_streams).repair()


class _Tree:
    def __init__(self, pdf, origin: dict[bytes, tuple], page_streams) -> None:
        self.objects = {o.reference: o for o in pdf.objects if isinstance(o, pydyf.Object) and o.number}
        self.elements = {ref: o for ref, o in self.objects.items()
                         if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/StructElem"}
        self.origin = origin
        self.pages = {ref: i for i, ref in enumerate(pdf.page_references)}
        self.page_streams = page_streams
        self.page_heights = [float(s.page_rectangle[3]) * PX_TO_PT for s in page_streams]
        root = next(o for o in self.objects.values() if isinstance(o, pydyf.Dictionary)
                    and o.get("Type") == "/StructTreeRoot")
        self.root = root
        self.nums = self.objects[root["ParentTree"]]["Nums"]
        self.repeats: list[tuple[pydyf.Dictionary, pydyf.Dictionary]] = []  # (repeated header, original)

    def repair(self) -> None:
        self.merge(self.elements[self.root["K"][0]])
        artifacts = defaultdict(set)
        headers: dict[str, pydyf.String] = {}
        for repeat, original in self.repeats:
            for (page, mcid) in self.content_of(repeat):
                artifacts[page].add(mcid)
            for again, first in zip(self.header_cells(repeat), self.header_cells(original)):
                if "ID" in again and "ID" in first:
                    headers[again["ID"].string] = first["ID"]
            self.discard(repeat)
        for page, mcids in artifacts.items():
            self.make_artifacts(page, mcids)
        for element in self.elements.values():
            if element.get("S") == "/TD" and "Headers" in element.get("A", {}):
                element["A"]["Headers"] = pydyf.Array(headers.get(h.string, h) for h in element["A"]["Headers"])
            if element.get("S") == "/Figure" and "BBox" in element.get("A", {}):
                element["A"]["BBox"] = self.points(element["A"]["BBox"], self.pages[element["Pg"]])

    # Merging fragments -------------------------------------------------------------------------
    def merge(self, parent: pydyf.Dictionary) -> None:
        """Merge consecutive kids that are fragments of one HTML element on successive pages, drop
        a table header group that repeats one already among the kids, then do the same below."""
        kept: list = []
        seen_headers: dict[tuple, pydyf.Dictionary] = {}
        for kid in parent["K"]:
            element = self.elements.get(kid) if isinstance(kid, bytes) else None
            previous = self.elements.get(kept[-1]) if kept and isinstance(kept[-1], bytes) else None
            if element is not None and previous is not None and self.continues(previous, element):
                self.absorb(previous, element)
                continue
            key = self.origin.get(kid)
            if element is not None and element["S"] in ("/THead", "/TFoot") and key in seen_headers:
                self.repeats.append((element, seen_headers[key]))
                continue
            if element is not None and element["S"] in ("/THead", "/TFoot") and key:
                seen_headers[key] = element
            kept.append(kid)
        parent["K"] = pydyf.Array(kept)
        for kid in kept:
            if isinstance(kid, bytes) and kid in self.elements:
                self.merge(self.elements[kid])

    def continues(self, first: pydyf.Dictionary, later: pydyf.Dictionary) -> bool:
        key = self.origin.get(first.reference)
        return (key is not None and key == self.origin.get(later.reference)
                and self.pages[first["Pg"]] < self.pages[later["Pg"]])

    def absorb(self, first: pydyf.Dictionary, later: pydyf.Dictionary) -> None:
        """Move ``later``'s kids into ``first`` (marked content on another page by reference) and
        point the parent tree at ``first``."""
        for kid in later["K"]:
            if isinstance(kid, int):
                kid = pydyf.Dictionary({"Type": "/MCR", "Pg": later["Pg"], "MCID": kid})
            elif kid in self.elements:
                self.elements[kid]["P"] = first.reference
            first["K"].append(kid)
        self.retarget(later.reference, first.reference)
        self.origin.pop(later.reference, None)
        del self.elements[later.reference]
        later.clear()  # an unreferenced empty object: pydyf cannot drop objects from its table

    def retarget(self, old: bytes, new: bytes) -> None:
        for i in range(1, len(self.nums), 2):
            entry = self.nums[i]
            if isinstance(entry, pydyf.Array):
                entry[:] = [new if ref == old else ref for ref in entry]
            elif entry == old:
                self.nums[i] = new

    # Repeated table headers --------------------------------------------------------------------
    def descendants(self, element: pydyf.Dictionary):
        for kid in element["K"]:
            if isinstance(kid, bytes) and kid in self.elements:
                yield self.elements[kid]
                yield from self.descendants(self.elements[kid])

    def header_cells(self, group: pydyf.Dictionary) -> list[pydyf.Dictionary]:
        return [e for e in self.descendants(group) if e["S"] == "/TH"]

    def content_of(self, element: pydyf.Dictionary):
        """(page, MCID) of every piece of marked content under ``element``."""
        for e in [element, *self.descendants(element)]:
            for kid in e["K"]:
                if isinstance(kid, int):
                    yield self.pages[e["Pg"]], kid
                elif isinstance(kid, pydyf.Dictionary) and kid.get("Type") == "/MCR":
                    yield self.pages[kid["Pg"]], kid["MCID"]

    def discard(self, element: pydyf.Dictionary) -> None:
        for e in [*self.descendants(element), element]:
            self.elements.pop(e.reference, None)
            e.clear()

    def make_artifacts(self, page: int, mcids: set[int]) -> None:
        """Mark the content of ``mcids`` on ``page`` as an artifact, renumber the page's other
        marked content from 0 (the parent tree's array for the page is indexed by MCID) and
        update the structure elements that own it."""
        tags = self.page_streams[page]._tags
        streams = [o for o in self.objects.values() if isinstance(o, pydyf.Stream) and getattr(o, "_tags", None) is tags]
        renumber: dict[int, int] = {}
        for stream in streams:
            ops = stream.stream
            i = 0
            while i < len(ops):
                op = ops[i]
                if isinstance(op, pydyf.Dictionary) and "MCID" in op and ops[i + 1] == b"BDC":
                    if op["MCID"] in mcids:
                        ops[i - 1:i + 2] = ["/Artifact", b"BMC"]
                        continue
                    renumber[op["MCID"]] = None
                i += 1
        renumber = {old: new for new, old in enumerate(sorted(renumber))}
        for stream in streams:
            for op in stream.stream:
                if isinstance(op, pydyf.Dictionary) and "MCID" in op:
                    op["MCID"] = renumber[op["MCID"]]
        for element in self.elements.values():
            own = self.pages.get(element.get("Pg")) == page
            for k, kid in enumerate(element["K"]):
                if isinstance(kid, int) and own:
                    element["K"][k] = renumber[kid]
                elif isinstance(kid, pydyf.Dictionary) and kid.get("Type") == "/MCR" and self.pages[kid["Pg"]] == page:
                    kid["MCID"] = renumber[kid["MCID"]]
        array = self.nums[2 * page + 1]
        array[:] = [array[old] for old in sorted(renumber)]

    def points(self, bbox, page: int) -> pydyf.Array:
        """A CSS-pixel box measured from the top of the page as PDF points from the bottom."""
        x1, y1, x2, y2 = (float(v) for v in bbox)
        height = self.page_heights[page]
        return pydyf.Array([round(x1 * PX_TO_PT, 3), round(height - y2 * PX_TO_PT, 3),
                            round(x2 * PX_TO_PT, 3), round(height - y1 * PX_TO_PT, 3)])
