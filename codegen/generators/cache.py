"""A content-addressed cache for expensive generated text (formatted Python modules)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, text: str) -> None: ...


class MemoryCache:
    def __init__(self) -> None:
        self._items: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._items.get(key)

    def put(self, key: str, text: str) -> None:
        self._items[key] = text


# Every entry starts with this line and the SHA-256 of the text after it. The key hashes the
# *inputs*, so it cannot tell a complete entry from a truncated or overwritten one; without the
# digest a torn file (power loss, full disk, a hand edit) would be written out as generated code.
_MAGIC = b"codegen-cache-1 "


def _digest(body: bytes) -> bytes:
    return hashlib.sha256(body).hexdigest().encode("ascii")


def encode_entry(text: str) -> bytes:
    body = text.encode("utf-8")
    return _MAGIC + _digest(body) + b"\n" + body


def decode_entry(data: bytes) -> str | None:
    """The text of a complete entry, or ``None`` for anything else (truncated, garbage, old)."""
    header, newline, body = data.partition(b"\n")
    if not newline or not header.startswith(_MAGIC) or header[len(_MAGIC) :] != _digest(body):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:  # only if someone forged the digest
        return None


class DiskCache:
    """One file per key. Writes go to a temporary file that is renamed into place, so readers
    and concurrent writers only ever see complete entries; reads check a digest, so an entry
    damaged by anything else is a miss (and is regenerated and replaced), never output."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.py.txt"

    def get(self, key: str) -> str | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:  # missing, unreadable, a folder in the way: a miss costs only time
            return None
        return decode_entry(data)

    def put(self, key: str, text: str) -> None:
        path = self._path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(encode_entry(text))
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written only costs time; leave no temporary file behind.
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def default_cache_dir() -> Path:
    """``$CODEGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/codegen``, else ``~/.cache/codegen``."""
    if explicit := os.environ.get("CODEGEN_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "codegen"
