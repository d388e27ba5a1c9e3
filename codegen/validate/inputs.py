"""Stream messages out of files, gzip files, pipes and stdin, in blocks of whole lines.

Blocks (about 1 MB of complete lines) are what worker processes receive: cheap to read, cheap to
send, split into lines by the worker. Plain files are cut into byte ranges that workers read
themselves. A source that is one (pretty-printed) JSON document, such as a Segment batch export,
is parsed incrementally (ijson) and its messages re-encoded one per line, so everything streams
in memory bounded by the block size and ``max_message_bytes``, whatever the input.

A message over ``max_message_bytes`` is never held in memory: it becomes a ``malformed`` problem
carried by its block, with its line number, and reading goes on after it.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import ijson  # type: ignore[import-untyped]
import orjson

BLOCK_BYTES = 1 << 20
RANGE_BYTES = 4 << 20
MAX_MESSAGE_BYTES = 1 << 20
# Segment's HTTP API refuses larger messages: 32 KB a message, 500 KB a batch request.
SEGMENT_LIMIT_HINT = (
    "Segment's HTTP API rejects messages over 32 KB; raise --max-message-bytes to check it anyway"
)
_PARSE_BUFFER = 64 << 10  # ijson's read size
# As deep as orjson parses a line; ijson's cost per level grows with the depth (it builds the
# path of every value), so deeper documents are refused before ijson sees them.
MAX_DEPTH = 1024
_DOC_HINT = 'a document holds one JSON message, an array of messages or a {"batch": [...]}'


class Problem(NamedTuple):
    """A malformed line (or document message) found while reading."""

    line: int
    message: str
    hint: str | None = None


class InputError(Exception):
    """A source that cannot be read at all (missing, unreadable, corrupt gzip)."""


@dataclass(frozen=True)
class Block:
    """Whole lines of one source: ``data`` starts at line ``first_line``.

    ``document`` marks messages re-encoded from one JSON document: they all report the
    document's first line, and ``line_count`` says how many lines of the source they came from.
    ``problems`` are lines found malformed while reading (too large, not JSON); their place in
    ``data`` is left blank so that line numbers stay right. In a document block, problems are
    numbered by their place among the block's lines, which keeps violations in order."""

    source: str
    first_line: int
    data: bytes
    document: bool = False
    problems: tuple[Problem, ...] = ()
    line_count: int = 0


def too_large(line: int, size: int, limit: int, where: str = "") -> Problem:
    message = f"{where}message of {size:,} bytes is over the {limit:,}-byte limit; not checked"
    return Problem(line, message, SEGMENT_LIMIT_HINT)


def unreadable(source: str) -> str | None:
    """Why ``source`` cannot be read, or None. Any readable path that is not a folder will do:
    files, named pipes, ``/dev/stdin``, ``<(zcat …)``; ``-`` is stdin."""
    if source == "-":
        return None
    try:
        mode = os.stat(source).st_mode
    except OSError as exc:
        return "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
    if stat.S_ISDIR(mode):
        return "is a folder (give the files in it)"
    if not os.access(source, os.R_OK):
        return "permission denied"
    return None


def _is_regular(source: str) -> bool:
    """A plain file, which can be seeked and cut into ranges (pipes and stdin cannot)."""
    try:
        return source != "-" and stat.S_ISREG(os.stat(source).st_mode)
    except OSError:
        return False


@contextmanager
def _open(source: str) -> Iterator[BinaryIO]:
    try:
        with _raw(source) as raw:
            if raw.peek(2)[:2] == b"\x1f\x8b":  # peek, as pipes cannot seek back
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    yield unzipped  # type: ignore[misc]
            else:
                yield raw
    except OSError as exc:  # includes gzip.BadGzipFile
        raise InputError(f"{source}: {exc}") from exc


@contextmanager
def _raw(source: str) -> Iterator[io.BufferedReader]:
    if source == "-":
        stdin = sys.stdin.buffer  # not closed here; wrapped when it cannot peek (tests)
        yield stdin if isinstance(stdin, io.BufferedReader) else io.BufferedReader(stdin)  # type: ignore[arg-type]
        return
    with Path(source).open("rb") as raw:
        yield raw


def blocks(source: str, max_message_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[Block]:
    """Every block of one source, read in order (gzip, pipes, stdin, documents)."""
    with _open(source) as stream:
        yield from stream_blocks(source, stream, max_message_bytes)


def stream_blocks(
    source: str,
    stream: BinaryIO,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    document: bool | None = None,
) -> Iterator[Block]:
    """Every block of an open UTF-8 stream named ``source``: JSON Lines, or one JSON document
    (``document``: as the caller decided, else found from the first line). The journey audit
    reads the logs DuckDB cannot read itself through this (decoded to UTF-8 first)."""
    try:
        head = stream.read(BLOCK_BYTES)
        if _starts_document(head) if document is None else document:
            yield from _document_blocks(source, stream, head, max_message_bytes)
        else:
            yield from _line_blocks(source, stream.read, head, max_message_bytes)
    except (OSError, EOFError) as exc:
        raise InputError(f"{source}: {exc}") from exc


def _line_blocks(
    source: str, read: Callable[[int], bytes], chunk: bytes, limit: int
) -> Iterator[Block]:
    """JSON Lines in blocks of whole lines; a line over ``limit`` is skipped as it streams by."""
    line = 1
    pending: list[bytes] = []  # the start of an unfinished line, at most ``limit`` bytes
    pending_size = 0
    skipping = 0  # bytes so far of an over-long line being skipped
    while True:
        if not chunk:
            chunk = read(BLOCK_BYTES)
            if not chunk:
                break
        if skipping:
            cut = chunk.find(b"\n")
            if cut < 0:
                skipping, chunk = skipping + len(chunk), b""
                continue
            yield _too_large_block(source, line, skipping + cut, limit)
            line, skipping, chunk = line + 1, 0, chunk[cut + 1 :]
            continue
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending.append(chunk)
            pending_size += len(chunk)
        else:
            pending.append(chunk[: cut + 1])
            data = b"".join(pending)
            yield Block(source, line, data)
            line += data.count(b"\n")
            rest = chunk[cut + 1 :]
            pending, pending_size = [rest], len(rest)
        chunk = b""
        if pending_size > limit:
            skipping, pending, pending_size = pending_size, [], 0
    if skipping:
        yield _too_large_block(source, line, skipping, limit)
    elif pending_size:
        yield Block(source, line, b"".join(pending))


def _too_large_block(source: str, line: int, size: int, limit: int) -> Block:
    return Block(source, line, b"\n", problems=(too_large(line, size, limit),))


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


# A string, possibly cut by the end of the chunk: group 1 is its closing quote (None when cut),
# group 2 a backslash cut from what it escapes.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:(")|(\\)?\Z)', re.S)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(?:(")|(\\)?\Z)', re.S)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class _Nesting:
    """How deep a JSON byte stream nests, fed chunk by chunk (strings skipped)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.escaped = False  # the chunk ended on a backslash inside a string

    def feed(self, chunk: bytes) -> bool:
        """False as soon as the nesting goes deeper than ``limit``."""
        start = 0
        if self.in_string:
            rest = _STRING_REST.match(chunk, int(self.escaped))
            assert rest is not None  # the pattern matches any bytes
            if rest.group(1) is None:
                self.escaped = rest.group(2) is not None
                return True
            start, self.in_string = rest.end(), False
        parts = _STRING.split(chunk[start:] if start else chunk)
        if len(parts) > 1 and parts[-3] is None:
            self.in_string, self.escaped = True, parts[-2] is not None
        brackets = b"".join(parts[0::3]).translate(None, _NOT_BRACKETS)
        opens = brackets.count(b"[") + brackets.count(b"{")
        if self.depth + opens <= self.limit:
            self.depth += 2 * opens - len(brackets)
            return True
        for byte in brackets:
            self.depth += 1 if byte in (0x5B, 0x7B) else -1
            if self.depth > self.limit:
                return False
        return True


class _DocumentReader:
    """What ijson reads: the head already read, then the stream. Counts lines for the summary,
    and refuses to read on when no message has been completed for ``limit`` bytes or the
    document nests deeper than ``MAX_DEPTH``."""

    def __init__(self, head: bytes, stream: BinaryIO, limit: int) -> None:
        self.head, self.stream, self.limit = head, stream, limit
        self.nesting = _Nesting(MAX_DEPTH + 2)  # a batch's messages are 2 levels down
        self.past_head = False  # whether anything beyond the head was read
        self.since_message = 0  # bytes read since the last complete message
        self.newlines = 0
        self.ends_line = True

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream is bytes or text
            return b""
        if self.head:  # in small pieces: ijson builds every message of what it is given at once
            data, self.head = self.head[:_PARSE_BUFFER], self.head[_PARSE_BUFFER:]
        else:
            data = self.stream.read(_PARSE_BUFFER)
            self.past_head = self.past_head or bool(data)
        if data:
            self.newlines += data.count(b"\n")
            self.ends_line = data.endswith(b"\n")
        self.since_message += len(data)
        if self.since_message > self.limit + 2 * _PARSE_BUFFER:
            raise _TooLargeError
        if not self.nesting.feed(data):
            raise _TooDeepError
        return data

    def take_lines(self) -> int:
        lines, self.newlines = self.newlines, 0
        return lines


class _TooLargeError(Exception):
    """No message completed within the limit: reading this document stops."""


class _TooDeepError(Exception):
    """The document nests deeper than ``MAX_DEPTH``: reading it stops."""


def _document_blocks(source: str, stream: BinaryIO, head: bytes, limit: int) -> Iterator[Block]:
    """The messages of a JSON document (a ``{"batch": [...]}``, an array of messages, or
    messages one after another), re-encoded one per line, without holding the document."""
    reader = _DocumentReader(head, stream, limit)
    prefix = _messages_prefix(head)
    block = _DocumentBlock(source)
    count = 0
    try:
        for message in ijson.items(
            reader, prefix, use_float=True, multiple_values=not prefix, buf_size=_PARSE_BUFFER
        ):
            reader.since_message = 0
            count += 1
            where = f"message {count:,} of the document: "
            try:
                line = orjson.dumps(message)
            except (TypeError, orjson.JSONEncodeError) as exc:  # huge ints, surrogates, depth
                block.problem(where + str(exc), _DOC_HINT)
                continue
            if len(line) > limit:
                block.problem(where + too_large(0, len(line), limit).message, SEGMENT_LIMIT_HINT)
                continue
            block.add(line)
            if block.size >= BLOCK_BYTES:
                yield block.take(reader.take_lines())
    except ijson.JSONError as exc:
        if not count and not reader.past_head and _looks_like_lines(head):
            # not one document after all: check it line by line (nothing was read past the head)
            yield from _line_blocks(source, stream.read, head, limit)
            return
        where = f"after message {count:,} of the document" if count else "in the document"
        block.problem(f"not JSON {where}: {_first_line(exc)}", _DOC_HINT)
    except _TooLargeError:
        message = f"message {count + 1:,} of the document is over the {limit:,}-byte limit"
        block.problem(message + "; the rest is not checked", SEGMENT_LIMIT_HINT)
    except _TooDeepError:
        message = f"message {count + 1:,} of the document nests deeper than {MAX_DEPTH:,} levels"
        block.problem(message + "; the rest is not checked", _DOC_HINT)
    yield block.take(reader.take_lines() + (not reader.ends_line))


class _DocumentBlock:
    """Re-encoded messages of a document, one per line, gathered into a block. A message that
    cannot be checked keeps its place as a blank line, so violations stay in document order;
    problems are numbered by that place (``check_item`` then gives them the document's line)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.data = bytearray()  # not a list of lines: orjson's bytes carry 4 KB of slack each
        self.places = 0
        self.problems: list[Problem] = []

    @property
    def size(self) -> int:
        return len(self.data)

    def add(self, line: bytes) -> None:
        if self.places:
            self.data += b"\n"
        self.data += line
        self.places += 1

    def problem(self, message: str, hint: str) -> None:
        self.add(b"")
        self.problems.append(Problem(self.places, message, hint))

    def take(self, lines: int) -> Block:
        block = Block(self.source, 1, bytes(self.data), True, tuple(self.problems), lines)
        self.data, self.places, self.problems = bytearray(), 0, []
        return block


def _looks_like_lines(head: bytes) -> bool:
    """Whether a whole line after the first holds a complete JSON object: JSON Lines whose first
    line is broken, rather than a document."""
    for line in head.split(b"\n")[1:-1][:100]:
        line = line.strip()
        if line.startswith(b"{") and line.endswith(b"}"):
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            return True
    return False


def _first_line(exc: Exception) -> str:
    """ijson's parse errors quote the input over several lines: the first says what is wrong."""
    detail = exc.args[0] if exc.args else ""
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return text.strip().split("\n", 1)[0]


def _messages_prefix(head: bytes) -> str:
    """Where the messages are: ``item`` of an array, ``batch.item`` of a batch, else each
    top-level value is a message."""
    if head.lstrip().startswith(b"["):
        return "item"
    depth = 0
    try:
        for prefix, event, _ in ijson.parse(head, buf_size=_PARSE_BUFFER):
            if prefix == "batch" and event == "start_array":
                return "batch.item"
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    break
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
    except ijson.JSONError:
        pass  # the head ends inside the first value, or it is not JSON at all
    return ""


@dataclass(frozen=True)
class FileRange:
    """Lines of a plain file that start within ``[start, end)``: a worker reads them itself, so
    only three numbers cross the process boundary. Line numbers are relative to the range."""

    source: str
    start: int
    end: int

    def read(self, limit: int = MAX_MESSAGE_BYTES) -> Block:
        with Path(self.source).open("rb") as handle:
            if self.start and not _skip_to_line_start(handle, self.start, self.end):
                return Block(self.source, 1, b"")  # the range is inside one long line
            data = handle.read(max(self.end - handle.tell(), 0))
            problems: tuple[Problem, ...] = ()
            if data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1  # the last line starts here: finish it
                rest, size = _finish_line(handle, data[cut:], limit)
                if rest is None:
                    problems = (too_large(data.count(b"\n", 0, cut) + 1, size, limit),)
                    data = data[:cut] + b"\n"
                else:
                    data += rest
        return Block(self.source, 1, data, problems=problems)


def _skip_to_line_start(handle: BinaryIO, start: int, end: int) -> bool:
    """Move to the first line starting at or after ``start``; False if none starts before
    ``end``. A line starts after a newline, so look from ``start - 1``."""
    position = start - 1
    handle.seek(position)
    while True:
        chunk = handle.read(_PARSE_BUFFER)
        cut = chunk.find(b"\n")
        if cut >= 0:
            position += cut + 1
            handle.seek(position)
            return position < end
        position += len(chunk)
        if not chunk or position >= end:
            return False


def _finish_line(handle: BinaryIO, partial: bytes, limit: int) -> tuple[bytes | None, int]:
    """The rest of a line begun with ``partial`` (newline included), or None with the line's
    size when it is over ``limit``."""
    parts: list[bytes] = []
    size = len(partial)
    while True:
        chunk = handle.read(_PARSE_BUFFER)
        if not chunk:
            break
        cut = chunk.find(b"\n")
        piece = chunk if cut < 0 else chunk[: cut + 1]
        size += len(piece) - (cut >= 0)
        if size <= limit:
            parts.append(piece)
        if cut >= 0:
            break
    return (b"".join(parts), size) if size <= limit else (None, size)


def ranges(source: str, max_message_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[FileRange | Block]:
    """Work items for one source: byte ranges of a plain JSON Lines file, else blocks."""
    if not _is_regular(source):
        yield from blocks(source, max_message_bytes)
        return
    try:
        with Path(source).open("rb") as handle:
            head = handle.read(BLOCK_BYTES)
        total = Path(source).stat().st_size
    except OSError as exc:
        raise InputError(f"{source}: {exc}") from exc
    if head[:2] == b"\x1f\x8b" or _starts_document(head):
        yield from blocks(source, max_message_bytes)
        return
    for start in range(0, total, RANGE_BYTES):
        yield FileRange(source, start, min(start + RANGE_BYTES, total))


def size(source: str) -> int | None:
    """Bytes on disk (compressed for .gz), or None for stdin and pipes (unknown)."""
    return os.stat(source).st_size if _is_regular(source) else None
