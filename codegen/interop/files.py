"""The disk edge of the importers: reading a JSON source and writing the imported plan.

Both report problems as diagnostics. Writing refuses to replace an existing plan unless asked
(``force``) and replaces it atomically, so a full disk never leaves half a plan behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..plan.diagnostics import Diagnostic, Level, Location

MAX_SOURCE_BYTES = 50_000_000


def read_json(path: Path, label: str | None = None) -> tuple[Any, Diagnostic | None]:
    """The parsed JSON document of ``path``, or ``None`` and the reason it cannot be read."""
    label = label or str(path)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return None, _unreadable(label, f"larger than {MAX_SOURCE_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return None, _unreadable(label, exc.strerror or str(exc))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, _unreadable(label, f"not UTF-8 text (byte {exc.start})")
    if not text.strip():
        return None, _unreadable(label, "the file is empty")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Diagnostic(
            Location(label, exc.lineno, exc.colno),
            "import/unreadable",
            Level.ERROR,
            f"not JSON: {exc.msg}",
            None,
        )
    except ValueError as exc:  # an integer with more digits than Python will parse
        return None, _unreadable(label, f"not JSON: {exc}")
    except RecursionError:
        return None, _unreadable(label, "JSON nested too deeply to read")


def _unreadable(label: str, why: str) -> Diagnostic:
    return Diagnostic(
        Location(label), "import/unreadable", Level.ERROR, f"cannot read: {why}", None
    )


def write_plan(text: str, path: Path, *, force: bool = False) -> Diagnostic | None:
    """Write an imported plan to ``path``; ``None`` when written, else why not.

    An existing file is replaced only with ``force`` (an import must not silently overwrite a
    plan someone has since edited). The text goes to a temporary file next to ``path`` first and
    is renamed over it, so a failed write leaves the previous file as it was.
    """
    label = str(path)
    if path.is_dir():
        return _not_written(label, "is a folder", "give a file name: -o plans/shop.yaml")
    if path.exists() and not force:
        return _not_written(
            label, "already exists", "choose another file, or pass --force to replace it"
        )
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        # mkstemp makes the file private; a plan is an ordinary file (or keeps its mode)
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        return _not_written(label, f"cannot be written: {exc.strerror or exc}", None)
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return None


def _not_written(label: str, why: str, hint: str | None) -> Diagnostic:
    return Diagnostic(
        Location(label), "import/not-written", Level.ERROR, f"the plan {why}; nothing written", hint
    )
