"""How the report writes numbers: one place, so the tables, charts and sentences agree.

A missing value is either *suppressed* (hidden by disclosure control, shown as '*') or
*undefined* (there is nothing to show, e.g. no population for 'Not known'; shown as 'n/a').
Intervals join their limits with non-breaking spaces so a table cell never wraps mid-interval.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

SUPPRESSED = "*"
UNDEFINED = "n/a"
NBSP = "\u00a0"


def missing(v) -> bool:
    """True for None, NaN and pandas' NA."""
    if v is None or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt_number(v, digits: int = 1) -> str:
    """A value with thousands separators; '*' when missing (the caller decides '*' or 'n/a')."""
    if missing(v):
        return SUPPRESSED
    return f"{float(v):,.{digits}f}"


def fmt_count(v) -> str:
    if missing(v):
        return SUPPRESSED
    return f"{int(v):,}"


def fmt_ratio(v) -> str:
    return fmt_number(v, 2)


def fmt_percent(v) -> str:
    """A percentage already on the 0-100 scale."""
    return SUPPRESSED if missing(v) else f"{float(v):.1f}%"


def fmt_share(v) -> str:
    """A share on the 0-1 scale, as a whole percentage (thresholds)."""
    return f"{float(v):.0%}"


def fmt_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def fmt_interval(lo, hi, digits: int = 1) -> str:
    """'33.0 to 40.9', breakable only after 'to' (a narrow table cell wraps there); '' when a limit is missing."""
    if missing(lo) or missing(hi):
        return ""
    return f"{float(lo):,.{digits}f}{NBSP}to {float(hi):,.{digits}f}"


def ratio_digits(ratio: float) -> int:
    """Decimals for a ratio in a sentence: 12.6 times, 2.47 times, 0.85 times (two below 10, so an
    interval's limit just above 1 never prints as 1.0)."""
    return 1 if ratio >= 10 else 2


def fmt_ratio_sentence(ratio: float, lo: float, hi: float) -> tuple[str, str]:
    """The ratio and its interval as a sentence writes them: ('3.6', '3.1 to 4.2')."""
    d = ratio_digits(ratio)
    return f"{ratio:.{d}f}", f"{lo:.{d}f} to {hi:.{d}f}"


def fmt_change(v, digits: int = 1) -> str:
    """A signed change: '+4.0' or '-3.2' (hyphen-minus: the shipped font has it)."""
    if missing(v):
        return SUPPRESSED
    v = float(v)
    if round(v, digits) == 0:
        return f"{0:.{digits}f}"
    return ("+" if v > 0 else "-") + f"{abs(v):,.{digits}f}"


def fmt_change_interval(lo, hi, digits: int = 1) -> str:
    if missing(lo) or missing(hi):
        return ""
    return f"{fmt_change(lo, digits)}{NBSP}to {fmt_change(hi, digits)}"


def log_size(ratio: float) -> float:
    """How far a ratio is from 1, symmetric for higher and lower (2 and 0.5 are the same size)."""
    return abs(math.log(ratio)) if ratio and ratio > 0 else 0.0
