"""The one typed configuration of an audit run: thresholds, disclosure, comparator, coding.

Read from a TOML file (``mhaudit run --config FILE``); every field has a default, unknown keys
are an error so a typo never silently falls back to a default. The whole configuration is
logged with every run and written into the manifest.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pipeline.contract import CODING_CONVENTIONS, VALID_ETHNIC_CODES
from pipeline.errors import ConfigError

DISCLOSURE_PROFILES = ("nhs", "strict")


@dataclass(frozen=True)
class AuditConfig:
    """Parameters that change what is published; defaults follow the specification."""

    ethnicity_warn_below: float = 0.90
    ethnicity_withhold_below: float = 0.50
    # DQ03 (advisory): a field check warns when more than this share of a provider's records fail
    # it (invalid code, end before start, date outside the year, person not in the patient index).
    field_failing_warn_above: float = 0.01
    disclosure_profile: str = "nhs"
    comparator: str = "A"
    coding_convention: str = "nhs"
    standard_population: str = "esp2013"
    # The extracts hold every provider in England: the ALL rows are England's totals, published
    # unrounded as NHS England publishes them (interfaces.md), and ALL's report is titled England.
    national_run: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.ethnicity_withhold_below <= self.ethnicity_warn_below <= 1:
            raise ConfigError(
                "ethnicity thresholds must satisfy 0 <= ethnicity_withhold_below <= "
                f"ethnicity_warn_below <= 1 (got {self.ethnicity_withhold_below} and "
                f"{self.ethnicity_warn_below})"
            )
        if not 0 <= self.field_failing_warn_above <= 1:
            raise ConfigError(f"field_failing_warn_above must lie between 0 and 1 (got {self.field_failing_warn_above})")
        if self.disclosure_profile not in DISCLOSURE_PROFILES:
            raise ConfigError(f"disclosure_profile must be one of {DISCLOSURE_PROFILES}, not '{self.disclosure_profile}'")
        if self.comparator not in VALID_ETHNIC_CODES:
            raise ConfigError(f"comparator must be an NHS ethnic category code A to S, not '{self.comparator}'")
        if self.coding_convention not in CODING_CONVENTIONS:
            raise ConfigError(f"coding_convention must be one of {CODING_CONVENTIONS}, not '{self.coding_convention}'")
        if self.standard_population != "esp2013":
            raise ConfigError("standard_population: only 'esp2013' (European Standard Population 2013) is shipped")

    def as_dict(self) -> dict:
        return asdict(self)


def load_config(path: Path | str | None) -> AuditConfig:
    """The configuration in a TOML file, or the defaults when no file is given."""
    if path is None:
        return AuditConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    known = {f.name: f.type for f in fields(AuditConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"configuration file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    for key, value in data.items():
        expected = {"float": float, "bool": bool}.get(str(known[key]), str)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            data[key] = float(value)
        elif not isinstance(data[key], expected):
            raise ConfigError(f"configuration file {path}: {key} must be a {expected.__name__}, not {value!r}")
    return AuditConfig(**data)
