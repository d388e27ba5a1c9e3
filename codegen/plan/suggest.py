"""Did-you-mean: the one place that decides which known name a misspelt one was meant to be."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6
"""Similarity (difflib ratio) a choice needs to be suggested."""


def closest(name: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The choice most similar to ``name``, or None when none is similar enough."""
    found = difflib.get_close_matches(name, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """``did you mean `x`?`` for the closest of ``choices``, or None."""
    found = closest(name, choices, cutoff=cutoff)
    return f"did you mean `{found}`?" if found else None


__all__ = ["CUTOFF", "closest", "did_you_mean"]
