"""A generated folder as a cache: the files its manifests vouch for, for ``generate``/``check``.

Every manifest (:data:`~codegen.generators.cache.MANIFEST`, written by the generators into the
tree they own) lists files next to it with the key of their inputs and the hash of their text.
:class:`TreeCache` answers a key with the file's text only when a manifest lists that key for
the file *and* the file on disk still has the listed hash, so a hand-edited, truncated or
missing file is a miss (and is regenerated, and ``check`` reports the difference). A changed
template, plan slice, option or tool version changes the key, so it is a miss too.

What it does not guard against is forgery: an edit to a file together with a matching edit to
its manifest line. ``codegen check --full`` ignores manifests and regenerates everything.
"""

from __future__ import annotations

from pathlib import Path

from ..generators.cache import MANIFEST, read_manifest, short_key, text_digest
from ..generators.paths import UnsafeOutputError, safe_relative


class TreeCache:
    """Read-only: ``get(key)`` is the text of a file in ``root`` that a manifest vouches for."""

    def __init__(self, root: Path) -> None:
        self.index: dict[str, tuple[Path, str]] = {}  # key prefix: (file, text digest)
        if not root.is_dir():
            return
        for manifest in sorted(root.rglob(MANIFEST)):
            try:
                entries = read_manifest(manifest.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue  # unreadable: nothing reused, which only costs time
            for rel, (key, digest) in entries.items():
                try:
                    file = manifest.parent.joinpath(*safe_relative(rel).parts)
                except UnsafeOutputError:
                    continue
                self.index.setdefault(key, (file, digest))

    def get(self, key: str) -> str | None:
        found = self.index.get(short_key(key))
        if found is None:
            return None
        file, digest = found
        try:
            text = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if text_digest(text) != digest:
            return None  # edited (or rewritten with other line endings) since it was generated
        return text
