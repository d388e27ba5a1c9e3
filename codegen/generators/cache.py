"""A content-addressed cache for expensive generated text (formatted Python modules), and the
manifest that lets a generated tree serve as one.

The manifest is a generated file listing, for every expensive output, the key of its inputs (a
hash of everything it was made from: its slice of the plan, options, template text, tool
versions and our rules) and the hash of the text written. Whoever holds the tree can then reuse
a file without regenerating it, when its key is unchanged and its text is what the manifest
says (:mod:`codegen.output.manifest` reads a tree that way; :func:`reusing` hands it to
generation).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import pickle
import re
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from ..plan.diagnostics import Location
from .render import shipped_templates


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
        if not writable():
            return  # `codegen check` writes nothing
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


MANIFEST = ".codegen-manifest"  # JSON; no .json suffix: it is not a JSON Schema output
MANIFEST_VERSION = 1
# Keys and text hashes are kept to 128 bits: a manifest guards against stale and hand-edited
# files, not against forgery (anyone who edits a file can edit the manifest too).
_HEX = 32


def short_key(key: str) -> str:
    return key[:_HEX]


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HEX]


def manifest_text(entries: Mapping[str, tuple[str, str]], tools: Mapping[str, str]) -> str:
    """The manifest of ``{path: (input key, output text)}`` (paths relative to the manifest's
    folder), one file a line so that a diff shows which files changed."""
    head = {
        "comment": "Generated by codegen: what each file here was made from. Do not edit.",
        "version": MANIFEST_VERSION,
        "tools": dict(sorted(tools.items())),
    }
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "files": {']
    rows = [
        f"  {json.dumps(path)}: {json.dumps([short_key(key), text_digest(text)])}"
        for path, (key, text) in sorted(entries.items())
    ]
    return "\n".join([*lines, ",\n".join(rows), "}}", ""])


def read_manifest(text: str) -> dict[str, tuple[str, str]]:
    """``{path: (input key prefix, text digest)}``; empty for anything unreadable (then
    nothing is reused, which only costs time)."""
    try:
        data = json.loads(text)
        if data.get("version") != MANIFEST_VERSION:
            return {}
        return {str(path): (str(key), str(digest)) for path, (key, digest) in data["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


class Reusable(Protocol):
    def get(self, key: str) -> str | None: ...

    def __len__(self) -> int: ...  # how many results it holds


_REUSABLE: ContextVar[Reusable | None] = ContextVar("codegen_reusable", default=None)


@contextlib.contextmanager
def reusing(source: Reusable) -> Iterator[None]:
    """Within the block, generation takes results it would otherwise build from ``source``
    (after the cache; results found there are not copied into the cache)."""
    token = _REUSABLE.set(source)
    try:
        yield
    finally:
        _REUSABLE.reset(token)


def reusable() -> Reusable | None:
    return _REUSABLE.get()


_READ_ONLY: ContextVar[bool] = ContextVar("codegen_read_only", default=False)


@contextlib.contextmanager
def read_only() -> Iterator[None]:
    """Within the block, generation adds nothing to the cache: no formatted module, whole
    output or compiled template (``codegen check`` writes nothing)."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def writable() -> bool:
    return not _READ_ONLY.get()


_LIBRARIES = ("tracking-plan-codegen", "datamodel-code-generator", "black", "isort", "jinja2")


def installed_versions() -> dict[str, str]:
    """The libraries whose versions shape output, with every requirement of codegen itself
    (read once a process: packages are not upgraded under a running generator)."""
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    found = {}
    names = list(_LIBRARIES)
    with contextlib.suppress(PackageNotFoundError):
        names += [
            re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0]
            for r in requires(_LIBRARIES[0]) or []
            if "extra ==" not in r  # test and optional tools do not shape output
        ]
    for name in sorted(set(names)):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return tuple(found.items())


def add_code_inputs(add: Callable[..., None], templates: Path | None) -> None:
    """Feeds ``add`` everything besides the plan that output depends on: Python and library
    versions, codegen's own source, the shipped templates and the override folder."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    add("python", python, json.dumps(installed_versions(), sort_keys=True))
    folders = [("codegen", Path(__file__).resolve().parents[1]), ("shipped", shipped_templates())]
    if templates is not None:
        folders.append(("override", templates))
    for label, folder in folders:
        add(label)
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            if "__pycache__" not in file.parts:
                add(file.relative_to(folder).as_posix(), file.read_bytes())


def code_key(templates: Path | None) -> str:
    """Hash of :func:`add_code_inputs`: part of every whole-output and per-file key."""
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big") + data)

    add_code_inputs(add, templates)
    return digest.hexdigest()


# -- per-file reuse ----------------------------------------------------------------------------
#
# A change to one event should cost about one event. Files made from one event (its schema, doc
# page, TypeScript module, SDK model module...) are keyed on that event's slice of the ir, the
# plan without its events (types, traits, identity, segments, messages...), every event's names
# (file stems and links are checked across events), the target and the code inputs (templates,
# codegen's source, library versions). Locations are left out: no output shows a line number,
# and inserting a line must not make every later event look changed. The previous generation's
# files, with their keys, are kept beside its whole output; a file whose key is unchanged is
# taken from there instead of being rendered.


def _no_location(_: Location) -> tuple[Callable[[], None], tuple[()]]:
    return type(None), ()


def slice_digest(*values: object) -> str:
    """Hash of pickled ir values, every :class:`~codegen.plan.diagnostics.Location` pickled as
    ``None`` (locations are ``compare=False`` in the ir: not part of a value). The bytes hold
    the whole value, so different values never share a key; equal values share it when built
    the same way (which of them are one object shows in pickle's memo, and resolution builds an
    event the same way each time). Sets must be replaced by sorted tuples first: pickle writes
    them in hash order, which changes from process to process."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = {Location: _no_location}
    pickler.dump(values)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


class Pieces:
    """The files (and small derived values) of the previous generation by input key, and the
    keys of this one. See the comment above."""

    def __init__(self, plan: Any, code: str, previous: Mapping[str, str] | None = None) -> None:
        self.previous: Mapping[str, str] = previous or {}
        self.made: dict[str, str] = {}  # key: text of this generation
        self.paths: dict[str, str] = {}  # key: output path, for texts that are files
        self.objects: dict[str, object] = {}  # key: value (see per_event_object)
        names = [(e.name, e.code_name) for e in plan.events]
        # The plan's one set, as a sorted tuple (see slice_digest).
        amounts: Any = tuple(sorted(plan.commerce.amounts))
        commerce = dataclasses.replace(plan.commerce, amounts=amounts)
        shared = dataclasses.replace(plan, events=(), source="", commerce=commerce)
        self._shared = slice_digest(code, shared, names)
        self._events = {e.name: slice_digest(e) for e in plan.events}

    def output_key(self, targets: tuple[str, ...]) -> str:
        """Key of the whole output: every slice (so the whole plan but its locations), the
        targets and the code inputs."""
        parts = [self._shared, *self._events.values(), "targets", *targets]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def event_key(self, kind: str, event: Any) -> str:
        digest = self._events[event.name]
        return hashlib.sha256(f"{kind}\0{self._shared}\0{digest}".encode()).hexdigest()

    def get(self, key: str) -> str | None:
        text = self.made.get(key)
        if text is None:
            text = self.previous.get(key)
        if text is not None:
            self.made[key] = text
        return text

    def put(self, key: str, text: str, path: str | None = None) -> None:
        self.made[key] = text
        if path is not None:
            self.paths[key] = path


# Values (not text) made from one event in this process's last generation, by piece key: the
# model plans' classes of unchanged events are taken from here. Replaced by each generation's
# own, so it holds one generation at most.
_OBJECTS: dict[str, object] = {}

_PIECES: ContextVar[Pieces | None] = ContextVar("codegen_pieces", default=None)


@contextlib.contextmanager
def pieces_from(pieces: Pieces) -> Iterator[None]:
    global _OBJECTS
    token = _PIECES.set(pieces)
    try:
        yield
    finally:
        _PIECES.reset(token)
        _OBJECTS = pieces.objects


def regenerating() -> bool:
    """True while a changed plan is generated with its previous generation at hand (only the
    pieces whose slice changed are made again), or while a tree's manifest with results in it
    stands in for the cache: then little is expected to be built."""
    pieces = _PIECES.get()
    extra = reusable()
    return (extra is not None and len(extra) > 0) or (pieces is not None and bool(pieces.previous))


def per_event(kind: str, event: Any, make: Callable[[], str], path: str | None = None) -> str:
    """``make()``, or the previous generation's text for the same ``kind`` of ``event`` when
    nothing it reads changed (outside :func:`pieces_from`: always ``make()``). ``path``: the
    output file the text is, if it is one (then it is not stored twice)."""
    pieces = _PIECES.get()
    if pieces is None:
        return make()
    key = pieces.event_key(kind, event)
    text = pieces.get(key)
    if text is None:
        text = make()
    pieces.put(key, text, path)
    return text


# -- whole outputs -----------------------------------------------------------------------------

KEEP_OUTPUTS = 3  # whole outputs kept (each ~20 MB at 1000 events); the oldest used go first


class OutputStore:
    """Whole generations (every file, and the per-file keys of :class:`Pieces`) under
    ``folder/outputs``, at most ``keep`` of them: writing one removes the least recently used
    beyond that (by modification time, refreshed on every hit). ``folder/latest`` points, per
    plan slug, targets and code inputs, at the generation made last, whose files a changed plan
    reuses."""

    def __init__(self, folder: Path, keep: int = KEEP_OUTPUTS) -> None:
        self.outputs = folder / "outputs"
        self.latest = folder / "latest"
        self.keep = keep

    def _entry(self, key: str) -> Path:
        return self.outputs / f"{key}.json.txt"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._entry(key)
        try:
            text = decode_entry(path.read_bytes())
            if text is None:
                return None
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used
            data = json.loads(text)
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("output"), dict) else None

    def put(self, key: str, data: Mapping[str, Any]) -> None:
        _write_atomic(self._entry(key), encode_entry(json.dumps(data)))
        self.evict()

    def evict(self) -> None:
        try:
            entries = [(p.stat().st_mtime, p) for p in self.outputs.glob("*.json.txt")]
        except OSError:
            return
        entries.sort(key=lambda e: (e[0], e[1].name), reverse=True)
        for _, old in entries[self.keep :]:
            with contextlib.suppress(OSError):
                old.unlink()

    def last(self, pointer: str) -> str | None:
        try:
            return (self.latest / f"{pointer}.txt").read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def set_last(self, pointer: str, key: str) -> None:
        _write_atomic(self.latest / f"{pointer}.txt", key.encode("ascii"))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written only costs time
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


_MISSING = object()
T = TypeVar("T")


def per_event_object(kind: str, event: Any, make: Callable[[], T]) -> T:
    """:func:`per_event` for values: kept in this process only (from the last generation)."""
    pieces = _PIECES.get()
    if pieces is None:
        return make()
    key = pieces.event_key(kind, event)
    found = pieces.objects.get(key, _OBJECTS.get(key, _MISSING))
    value = make() if found is _MISSING else cast(T, found)
    pieces.objects[key] = value
    return value


P = TypeVar("P")


def per_plan(build: Callable[[P], T]) -> Callable[[P], T]:
    """``build`` made once per plan object (the last one only): a model plan is read by the
    name check when the plan loads and again by its generator. Plans are frozen, so the same
    object always gives the same result."""
    last: list[tuple[weakref.ref[Any], T]] = []

    @functools.wraps(build)
    def once(plan: P) -> T:
        entry = last[0] if last else None  # one read: another thread may replace it
        if entry is not None and entry[0]() is plan:
            return entry[1]
        made = build(plan)
        last[:] = [(weakref.ref(plan), made)]
        return made

    return once
