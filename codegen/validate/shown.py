"""Text from logs made safe to print: control characters and bidirectional overrides shown as
escapes. Used by every report that prints log data (validate, serve, audit, simulate)."""

from __future__ import annotations

import re

# Control characters (ESC starts terminal escape codes; C1 too) and bidirectional overrides:
# text from logs must not drive the terminal or reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), safe on a terminal."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
