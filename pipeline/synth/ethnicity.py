"""Recorded ethnicity: one probability model used both to draw the codes and to compute the truth.

P(recorded category | true category) depends only on the provider-year's valid share and on
whether the person is 'acute' (misrecorded more often), so the expected number of events in
any recorded group is an exact sum over true categories (see :mod:`pipeline.synth.truth`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline import contract
from pipeline.synth import params as P
from pipeline.synth.population import GROUP_OF_CODE, TRUE_CODES

N_TRUE = len(TRUE_CODES)
NOT_VALID = N_TRUE  # recorded index 16: Z, 99, invalid or missing (all 'Not known')
RECORDED_GROUP = [GROUP_OF_CODE[c] for c in TRUE_CODES] + ["NOT_KNOWN"]
_SUFFIXES = ("A", "B", "C")
# Every non-null recorded value the generator can write, so codes are built with one take().
VOCAB = (list(TRUE_CODES) + [f" {c} " for c in TRUE_CODES] + [c + s for s in _SUFFIXES for c in TRUE_CODES]
         + [contract.NOT_STATED_CODE, contract.NOT_KNOWN_CODE] + list(P.INVALID_CODES))
_PADDED, _SUB, _Z = N_TRUE, 2 * N_TRUE, 5 * N_TRUE


def _targets() -> np.ndarray:
    """Per true category, where a misclassified record goes (rows sum to 1)."""
    out = np.zeros((N_TRUE, N_TRUE))
    for i, code in enumerate(TRUE_CODES):
        for target, w in P.MISCLASSIFY_TARGETS[GROUP_OF_CODE[code]].items():
            out[i, TRUE_CODES.index(target)] += w
    return out / out.sum(axis=1, keepdims=True)


TARGETS = _targets()


def misclassify_rate(acute: bool) -> np.ndarray:
    """P(an 'Any other ...' code instead of the true one), per true category."""
    by_group = P.MISCLASSIFY["acute" if acute else "normal"]
    return np.array([by_group[GROUP_OF_CODE[c]] for c in TRUE_CODES])


def recording_matrix(valid_share: float, acute: bool) -> np.ndarray:
    """P(recorded index | true index), shape (16 true, 17 recorded), last column not valid."""
    m = misclassify_rate(acute)[:, None]
    out = np.zeros((N_TRUE, N_TRUE + 1))
    out[:, :N_TRUE] = valid_share * ((1 - m) * np.eye(N_TRUE) + m * TARGETS)
    out[:, NOT_VALID] = 1 - valid_share
    return out


def draw_mpi(rng: np.random.Generator, true_idx: np.ndarray, acute: np.ndarray,
             valid_share: float) -> tuple[pa.Array, dict[str, int]]:
    """Recorded MHS001MPI EthnicCategory values and how many of each status were written."""
    n = len(true_idx)
    recorded = true_idx.copy()
    mis = rng.random(n) < np.where(acute, misclassify_rate(True)[true_idx], misclassify_rate(False)[true_idx])
    cum = TARGETS.cumsum(axis=1)[true_idx[mis]]
    recorded[mis] = np.minimum((rng.random(mis.sum())[:, None] > cum).sum(axis=1), N_TRUE - 1)
    valid = rng.random(n) < valid_share
    vocab_idx = recorded.copy()
    quirk = rng.random(n)
    padded = quirk < P.PADDED_SHARE
    sub = (quirk >= P.PADDED_SHARE) & (quirk < P.PADDED_SHARE + P.SUBCODE_SHARE)
    vocab_idx[padded] += _PADDED
    vocab_idx[sub] += _SUB + N_TRUE * rng.integers(0, len(_SUFFIXES), sub.sum())
    vocab_idx, missing, counts = _not_valid(rng, vocab_idx, ~valid, P.NOT_VALID_SPLIT)
    counts = {"valid": int(valid.sum()), "padded_valid": int((padded & valid).sum()),
              "subcode_valid": int((sub & valid).sum()), **counts}
    return pa.array(np.array(VOCAB, dtype=object)).take(pa.array(vocab_idx, mask=missing)), counts


def draw_plain(rng: np.random.Generator, true_idx: np.ndarray, valid_share: float) -> pa.Array:
    """Codes as a service records them itself (Talking Therapies): right or Z / 99 / blank."""
    split = {"Z": 0.6, "99": 0.25, "invalid": 0.0, "missing": 0.15}
    vocab_idx, missing, _ = _not_valid(rng, true_idx.copy(), rng.random(len(true_idx)) >= valid_share, split)
    return pa.array(np.array(VOCAB, dtype=object)).take(pa.array(vocab_idx, mask=missing))


def _not_valid(rng, vocab_idx, not_valid, split) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    kinds = list(split)
    kind = rng.choice(len(kinds), len(vocab_idx), p=np.array(list(split.values())))
    kind[~not_valid] = -1
    vocab_idx[kind == kinds.index("Z")] = _Z
    vocab_idx[kind == kinds.index("99")] = _Z + 1
    bad = kind == kinds.index("invalid")
    vocab_idx[bad] = _Z + 2 + rng.integers(0, len(P.INVALID_CODES), bad.sum())
    missing = kind == kinds.index("missing")
    vocab_idx[missing] = 0
    counts = {"not_stated": int((kind == 0).sum()), "not_known": int((kind == 1).sum()),
              "invalid": int(bad.sum()), "missing": int(missing.sum())}
    return vocab_idx, missing, counts
