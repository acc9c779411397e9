"""Text cells made safe for spreadsheets (CSV or formula injection).

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: a provider name such as ``=HYPERLINK(...)`` would
become a live link in a commissioner's copy. As OWASP recommends, such a text cell is published
with a leading apostrophe, which spreadsheets show as text and which a reader of the CSV can
strip. Only text columns are touched: numbers (a negative ratio's ``-0.5``) stay numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a formula (see the module's note)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            text = column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            if text.any():
                out[name] = column.mask(text, "'" + column.astype(str))
    return out
