"""Stream JSON Lines out of files, gzip files and stdin, in blocks of whole lines.

Blocks (about 1 MB of complete lines) are what worker processes receive: cheap to read, cheap to
send, split into lines by the worker. A file that is one (pretty-printed) JSON document, such as
a Segment batch export, is one block read whole; everything else streams in constant memory.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

BLOCK_BYTES = 1 << 20


class InputError(Exception):
    """A source that cannot be read at all (missing, unreadable, corrupt gzip)."""


@dataclass(frozen=True)
class Block:
    """Whole lines of one source: ``data`` starts at line ``first_line``. ``document`` marks a
    whole-file JSON document, which is one message (or batch) however many lines it spans."""

    source: str
    first_line: int
    data: bytes
    document: bool = False

    def lines(self) -> Iterator[tuple[int, bytes]]:
        if self.document:
            yield self.first_line, self.data
            return
        for offset, line in enumerate(self.data.split(b"\n")):
            line = line.strip()
            if line:
                yield self.first_line + offset, line


@contextmanager
def _open(source: str) -> Iterator[BinaryIO]:
    if source == "-":
        yield sys.stdin.buffer
        return
    try:
        with Path(source).open("rb") as raw:
            if raw.read(2) == b"\x1f\x8b":
                raw.seek(0)
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    yield unzipped  # type: ignore[misc]
            else:
                raw.seek(0)
                yield raw
    except OSError as exc:  # includes gzip.BadGzipFile
        raise InputError(f"{source}: {exc}") from exc


def blocks(source: str) -> Iterator[Block]:
    with _open(source) as stream:
        try:
            yield from _blocks(source, stream)
        except (OSError, EOFError) as exc:
            raise InputError(f"{source}: {exc}") from exc


def _blocks(source: str, stream: BinaryIO) -> Iterator[Block]:
    chunk = stream.read(BLOCK_BYTES)
    if _starts_document(chunk):
        whole = chunk + stream.read()
        try:
            orjson.loads(whole)
        except orjson.JSONDecodeError:
            yield Block(source, 1, whole)  # not one document after all: check line by line
            return
        yield Block(source, 1, whole, document=True)
        return
    line = 1
    pending = b""
    while chunk:
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            block, pending = data[: cut + 1], data[cut + 1 :]
            yield Block(source, line, block)
            line += block.count(b"\n")
        chunk = stream.read(BLOCK_BYTES)
    if pending:
        yield Block(source, line, pending)


def _starts_document(head: bytes) -> bool:
    """A first line like ``{`` or ``{"batch": [`` that opens a JSON document spanning lines."""
    first_line = head.lstrip().split(b"\n", 1)[0].strip()
    if not first_line.startswith((b"{", b"[")):
        return False
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return first_line in (b"{", b"[") or first_line.endswith((b"[", b"{", b","))
    return False  # a complete message on the first line: JSON Lines


@dataclass(frozen=True)
class FileRange:
    """Lines of a plain file that start within ``[start, end)``: a worker reads them itself, so
    only three numbers cross the process boundary. Line numbers are relative to the range."""

    source: str
    start: int
    end: int

    def read(self) -> Block:
        with Path(self.source).open("rb") as handle:
            handle.seek(self.start)
            if self.start:
                handle.readline()  # the line in progress belongs to the previous range
            data = handle.read(max(self.end - handle.tell(), 0))
            if data and not data.endswith(b"\n"):
                data += handle.readline()  # finish the line that starts inside the range
        return Block(self.source, 1, data)


RANGE_BYTES = 4 << 20


def ranges(source: str) -> Iterator[FileRange | Block]:
    """Work items for one source: byte ranges of a plain JSON Lines file, else blocks."""
    path = Path(source)
    if source == "-" or not path.is_file():
        yield from blocks(source)
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(BLOCK_BYTES)
        total = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{source}: {exc}") from exc
    if head[:2] == b"\x1f\x8b" or _starts_document(head):
        yield from blocks(source)
        return
    for start in range(0, total, RANGE_BYTES):
        yield FileRange(source, start, min(start + RANGE_BYTES, total))


def size(source: str) -> int | None:
    """Bytes on disk (compressed for .gz), or None for stdin."""
    return None if source == "-" else Path(source).stat().st_size
