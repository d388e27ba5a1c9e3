"""The one ``--format`` vocabulary: which output formats each reporting command offers.

Every command spells plain output ``text`` (``human`` is accepted as a deprecated alias);
``json`` is offered by every command that reports; ``github`` (workflow annotations) by the
commands whose findings have a file and line; ``markdown`` by the reports meant for a wiki or a
pull request. ``[tool.codegen.format]`` in pyproject.toml is checked against the same table.
"""

from __future__ import annotations

TEXT, JSON, GITHUB, MARKDOWN = "text", "json", "github", "markdown"
ALIASES = {"human": TEXT}  # deprecated spellings → the one spelling

_FINDINGS = (TEXT, JSON, GITHUB)
_REPORT = (TEXT, JSON, MARKDOWN)

BY_COMMAND: dict[str, tuple[str, ...]] = {
    "generate": (TEXT, JSON),
    "check": _FINDINGS,
    "lint": _FINDINGS,
    "check-template": _FINDINGS,
    "validate": _FINDINGS,
    "diff": (TEXT, MARKDOWN, JSON),
    "audit": _REPORT,
    "simulate": _REPORT,
    "status": (TEXT, JSON, GITHUB),
}


def canonical(value: str) -> str:
    """The one spelling of ``value`` (``human`` → ``text``); unknown values are returned as is."""
    return ALIASES.get(value, value)
