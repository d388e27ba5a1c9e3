"""A generated folder as a cache: the files its manifests vouch for, for ``generate``/``check``.

Every manifest (:data:`~codegen.generators.cache.MANIFEST`, written by the generators into the
tree they own) lists files next to it with the key of their inputs and the hash of their text.
:class:`TreeCache` answers a key with the file's text only when a manifest lists that key for
the file *and* the file on disk still has the listed hash, so a hand-edited, truncated or
missing file is a miss (and is regenerated, and ``check`` reports the difference). A changed
template, plan slice, option or tool version changes the key, so it is a miss too.

What it does not guard against is forgery: an edit to a file together with a matching edit to
its manifest line. ``codegen check --no-cache`` ignores manifests and regenerates everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..config import Options
from ..generators.cache import (
    MANIFEST,
    add_code_inputs,
    read_manifest,
    short_key,
    text_digest,
)
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

    def __len__(self) -> int:
        return len(self.index)

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


# -- the whole folder: one record of its inputs -----------------------------------------------
#
# `check` on an unchanged plan should not even load it (at 1000 events loading, linting and
# rendering schemas and docs take seconds). After writing a folder, `generate` records a digest
# of everything the output is a function of (the plan file's bytes, the options, every shipped
# and overriding template, codegen's own source, the versions of the libraries it uses and of
# Python) and a digest of the folder as written. When both still match, the folder is what
# generation would write again. The record is not output: `changes` ignores it, and a stale
# one (codegen itself changed) only sends `check` down the full path.

INPUTS = ".codegen-inputs.json"


def inputs_digest(plan_file: bytes, options: Options) -> str:
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big") + data)

    add("plan", plan_file, "targets", *options.targets)
    add_code_inputs(add, options.templates)
    return digest.hexdigest()


def tree_digest(root: Path) -> str:
    """Every file under ``root`` (but the record), by relative path and bytes."""
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
        if rel != INPUTS:
            data = file.read_bytes()
            digest.update(f"{rel}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def record_inputs(root: Path, inputs: str) -> None:
    """After writing ``root``: remember what it was made from (best effort: no record only
    costs the next `check` time)."""
    text = json.dumps({"inputs": inputs, "tree": tree_digest(root), "version": 1}) + "\n"
    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-inputs-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / INPUTS)


def unchanged(root: Path, inputs: str) -> bool:
    """True when ``root`` was written from exactly these inputs and not touched since."""
    try:
        record = json.loads((root / INPUTS).read_text(encoding="utf-8"))
        return bool(record["inputs"] == inputs and record["tree"] == tree_digest(root))
    except (OSError, ValueError, TypeError, KeyError):
        return False
