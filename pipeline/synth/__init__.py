"""Synthetic MHSDS-shaped extracts with a planted truth, for demos, tests and benchmarks (synthetic.md)."""

from pipeline.synth.generate import generate
from pipeline.synth.params import DEFAULT_SEED, DEFAULT_YEARS, SCALES

__all__ = ["generate", "DEFAULT_SEED", "DEFAULT_YEARS", "SCALES"]
