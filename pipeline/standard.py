"""Standard populations for direct standardisation, mapped to the extract's age bands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import contract

REFERENCE = Path(__file__).parent / "reference"


def standard_population(name: str = "esp2013", bands: tuple[str, ...] = contract.AGE_BANDS) -> dict[str, float]:
    """Weights of the standard population for each of ``bands``.

    The five-year groups are spread evenly over their single years of age (90+ counts as 90)
    and summed into the extract's bands, so 16-17 takes two fifths of 15-19.
    """
    table = pd.read_csv(REFERENCE / f"{name}.csv", comment="#")
    single: dict[int, float] = {}
    for band, weight in zip(table["age_band"], table["population"]):
        lo, hi = (int(band[:-1]), int(band[:-1])) if band.endswith("+") else map(int, band.split("-"))
        for age in range(lo, hi + 1):
            single[age] = weight / (hi - lo + 1)
    bounds = contract.AGE_BAND_BOUNDS
    return {b: sum(w for age, w in single.items() if bounds[b][0] <= age <= bounds[b][1]) for b in bands}
