"""What a reader can derive by differencing, and the further cells to hide so they derive nothing.

Published counts sit in sets that add up to a published total (a group's categories, a breakdown's
groups, a group's sexes or age bands, the providers of the all-provider figure, the ethnicity
statuses of a data-quality measure). Each published count tells the reader a window its true
value lies in: a rounded count ``r`` lies in ``[r - 2, r + 2]`` (and above the hidden range), zero
is exactly zero, a count hidden as small lies in the profile's hidden range (1-4, or 0-7), a count
hidden to protect another is above it, and an exempt count (England in a national run) is exact.

:func:`feasible_ranges` narrows every window by every set until nothing changes (bounds
propagation over the linear system ``total = sum(parts) + offset``). The offset of each set (people
outside the parts: unknown sex, people counted by two providers) is taken as known to the reader,
which is more than a reader knows: the audit errs towards hiding. :func:`protect` then hides a
further cell wherever a small hidden count's range has become narrower than the hidden range,
never the comparator while another cell can do it, and the smallest cell that does it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BIG = 1e12  # 'no upper bound', kept finite so sums stay exact


@dataclass(frozen=True)
class HiddenRange:
    """The counts a profile hides as small (``low``-``high``) and the rounding half-width."""

    low: int
    high: int
    half: int


@dataclass
class Cells:
    """The counts of one audit: exact values and how each is published.

    ``primary``: hidden as small; ``complement``: hidden to protect another; ``exempt``: published
    exactly; ``avoid``: a cell to hide only when nothing else can (the comparator)."""

    exact: np.ndarray
    primary: np.ndarray
    exempt: np.ndarray
    avoid: np.ndarray
    complement: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.exact = np.asarray(self.exact, float)
        if self.complement is None:
            self.complement = np.zeros(len(self.exact), bool)


class Sets:
    """Sets ``total = sum(parts) + offset`` as flat arrays (one row per membership)."""

    def __init__(self, sets: list[tuple[int, list[int]]], exact: np.ndarray) -> None:
        sets = [(t, p) for t, p in sets if len(p)]
        self.totals = np.array([t for t, _ in sets], dtype=np.int64)
        self.sizes = np.array([len(p) for _, p in sets], dtype=np.int64)
        self.parts = np.concatenate([np.asarray(p, dtype=np.int64) for _, p in sets]) if sets else np.zeros(0, np.int64)
        self.owner = np.repeat(np.arange(len(sets)), self.sizes)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64) if sets else self.sizes
        self.offsets = exact[self.totals] - self._sum(exact[self.parts]) if sets else np.zeros(0)
        self.of_cell: dict[int, list[int]] = {}
        for s, (t, p) in enumerate(sets):
            for c in [t, *p]:
                self.of_cell.setdefault(int(c), []).append(s)

    def __len__(self) -> int:
        return len(self.totals)

    def _sum(self, values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, self.starts) if len(values) else np.zeros(0)

    def members(self, s: int) -> np.ndarray:
        return self.parts[self.starts[s]:self.starts[s] + self.sizes[s]]


def windows(cells: Cells, hidden: HiddenRange) -> tuple[np.ndarray, np.ndarray]:
    """The range each cell's published form allows, before any set is used."""
    x = cells.exact
    rounded = np.floor(x / (2 * hidden.half + 1) + 0.5) * (2 * hidden.half + 1)
    lo = np.where(x == 0, 0.0, np.maximum(rounded - hidden.half, hidden.high + 1))
    hi = np.where(x == 0, 0.0, rounded + hidden.half)
    lo = np.where(cells.primary, hidden.low, lo)
    hi = np.where(cells.primary, hidden.high, hi)
    lo = np.where(cells.complement, _complement_low(cells.exempt, hidden), lo)
    hi = np.where(cells.complement, BIG, hi)
    lo = np.where(cells.exempt & ~cells.complement, x, lo)
    hi = np.where(cells.exempt & ~cells.complement, x, hi)
    return lo, hi


def _complement_low(exempt: np.ndarray | bool, hidden: HiddenRange) -> np.ndarray:
    """What a reader knows of a count hidden to protect another: not small (small ones are hidden
    as such), unless it is an exempt figure, which is published however small it is."""
    return np.where(exempt, 1.0, hidden.high + 1.0)


def feasible_ranges(cells: Cells, sets: Sets, hidden: HiddenRange) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's range given everything published: windows narrowed by every set to a fixed point."""
    lo, hi = windows(cells, hidden)
    if not len(sets):
        return lo, hi
    for _ in range(10_000):
        sum_lo, sum_hi = sets._sum(lo[sets.parts]), sets._sum(hi[sets.parts])
        new_lo, new_hi = lo.copy(), hi.copy()
        np.maximum.at(new_lo, sets.totals, sum_lo + sets.offsets)
        np.minimum.at(new_hi, sets.totals, np.minimum(sum_hi + sets.offsets, BIG))
        t_lo, t_hi = new_lo[sets.totals][sets.owner], new_hi[sets.totals][sets.owner]
        rest_lo = (sum_lo[sets.owner] - lo[sets.parts])
        rest_hi = (sum_hi[sets.owner] - hi[sets.parts])
        off = sets.offsets[sets.owner]
        np.maximum.at(new_lo, sets.parts, t_lo - off - np.minimum(rest_hi, BIG))
        np.minimum.at(new_hi, sets.parts, np.minimum(t_hi - off - rest_lo, BIG))
        new_lo, new_hi = np.ceil(new_lo - 1e-9), np.floor(new_hi + 1e-9)
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            return lo, hi
        lo, hi = new_lo, new_hi
    raise RuntimeError("disclosure audit: the feasible ranges did not settle")


def baseline(cells: Cells, sets: Sets, hidden: HiddenRange) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's range if every non-zero count that is not small were hidden too: what the small
    hidden counts and the zeros alone tell (two hidden counts of 1-4 add up to at least 2). No
    suppression can widen a small count's range beyond this."""
    everything = Cells(cells.exact, cells.primary, cells.exempt, cells.avoid,
                       ~cells.primary & ((cells.exact > hidden.high) | (cells.exempt & (cells.exact > 0))))
    return feasible_ranges(everything, sets, hidden)


def narrowed(cells: Cells, lo: np.ndarray, hi: np.ndarray, base: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Small hidden cells whose range is narrower than their :func:`baseline` range (which is the
    whole hidden range unless other hidden counts and zeros narrow it whatever is published)."""
    return cells.primary & ((lo > base[0]) | (hi < base[1]))


def protect(cells: Cells, sets: Sets, hidden: HiddenRange) -> np.ndarray:
    """The further cells to hide so that what is published narrows no small hidden count (a mask)."""
    base = baseline(cells, sets, hidden)
    for _ in range(len(cells.exact) + 1):
        lo, hi = feasible_ranges(cells, sets, hidden)
        exposed = np.flatnonzero(narrowed(cells, lo, hi, base))
        if not len(exposed):
            return cells.complement
        chosen: dict[int, int] = {}
        for cell in exposed:
            found = _responsible(int(cell), cells, sets, lo, hi, hidden, base)
            if found is not None and found[0] not in chosen:
                chosen[found[0]] = found[1]
        if not chosen:
            raise RuntimeError("disclosure audit: a small count cannot be protected")
        for pick in chosen.values():
            cells.complement[pick] = True
    raise RuntimeError("disclosure audit did not finish")


def _local(cell: int, s: int, sets: Sets, lo: np.ndarray, hi: np.ndarray,
           override: tuple[int, float, float] | None = None) -> tuple[float, float]:
    """The range one set alone gives ``cell`` from the other cells' ranges (``override``: one
    cell's range replaced, to try hiding it)."""
    total, parts, offset = int(sets.totals[s]), sets.members(s), sets.offsets[s]
    members = np.concatenate([[total], parts])
    low, high = lo[members].copy(), hi[members].copy()
    if override is not None:
        at = members == override[0]
        low[at], high[at] = override[1], override[2]
    if cell == total:
        return low[1:].sum() + offset, min(high[1:].sum() + offset, BIG)
    others = np.concatenate([[False], parts != cell])
    return low[0] - offset - min(high[others].sum(), BIG), high[0] - offset - low[others].sum()


def _responsible(cell: int, cells: Cells, sets: Sets, lo: np.ndarray, hi: np.ndarray, hidden: HiddenRange,
                 base: tuple[np.ndarray, np.ndarray]) -> tuple[int, int] | None:
    """(set, cell to hide) for an exposed cell: a set that narrows it, and in it the preferred cell
    among those that would stop it narrowing (else the one that relaxes it most). Where the sets
    narrowing it hold nothing more to hide, the narrowing comes through another hidden cell whose
    own range is narrowed: that cell's sets are searched in turn."""
    hidden_now = cells.primary | cells.complement
    queue, seen = [cell], {cell}
    while queue:
        x = queue.pop(0)
        target = (base[0][x], base[1][x])
        for s in sets.of_cell.get(x, []):
            low, high = _local(x, s, sets, lo, hi)
            if low <= target[0] and high >= target[1]:
                continue
            members = np.concatenate([[sets.totals[s]], sets.members(s)])
            candidates = [int(k) for k in members if k != x and not hidden_now[k] and cells.exact[k] > 0]
            if not candidates:
                for k in members:
                    k = int(k)
                    if k not in seen and hidden_now[k] and (lo[k] > base[0][k] or hi[k] < base[1][k]):
                        seen.add(k)
                        queue.append(k)
                continue
            best = None
            for k in candidates:
                t_low, t_high = _local(x, s, sets, lo, hi, (k, float(_complement_low(cells.exempt[k], hidden)), BIG))
                fixes = t_low <= target[0] and t_high >= target[1]
                # never the comparator while another cell is left (if that cell alone does not do it,
                # a further round adds another); then fixers, not an exempt total, the smallest (or,
                # if none fixes it, the one whose hiding loosens the range most)
                key = (bool(cells.avoid[k]), not fixes, bool(cells.exempt[k]),
                       cells.exact[k] if fixes else -(lo[k] - _complement_low(cells.exempt[k], hidden)))
                if best is None or key < best[0]:
                    best = (key, k)
            return s, best[1]
    return None
