"""What the audit reads: every log file sniffed by its bytes and handed to DuckDB under a safe name.

DuckDB reads plain UTF-8 JSON Lines (gzip-compressed or not) and Parquet itself, in parallel.
Everything else is transcoded here, streaming, to a UTF-8 JSON Lines file in a temporary folder:
UTF-16 and UTF-32 (with a byte order mark, or recognised by their zero bytes), UTF-8 with a byte
order mark, and JSON documents (a pretty-printed ``{"batch": [...]}`` export or an array of
messages). Gzip is recognised by its magic bytes, whatever the file is called.

DuckDB never sees a path the user typed: each file is linked into the temporary folder as
``0.jsonl``, ``1.jsonl.gz``, ``2.parquet``..., so a file named ``*.jsonl`` is not a glob and a
path starting with ``http://`` is not a URL.

What is not handed to DuckDB as is goes through validate's reader
(:func:`codegen.validate.inputs.stream_blocks`), decoded to UTF-8 first: the one reader of JSON
Lines and of documents, which streams a document (ijson) in bounded memory. What this module
adds is what DuckDB needs: sniffing encodings and the file links. Lines that cannot be decoded,
and messages that reader refuses (not JSON, over the size limit), are counted (``unreadable``);
lines that are not JSON objects are counted by the SQL.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from ..validate import inputs as reader
from .sql import JourneyError

HEAD = 4096
MAX_HEAD = 1 << 20
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"

# Parquet columns the audit reads, and the DuckDB types each may have.
_TEXT = ("VARCHAR", "BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER")
_TIME = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "VARCHAR")
PARQUET_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("VARCHAR",),
    "event": ("VARCHAR",),
    "userId": _TEXT,
    "anonymousId": _TEXT,
    "previousId": _TEXT,
    "messageId": _TEXT,
    "timestamp": _TIME,
    "receivedAt": _TIME,
    "properties": ("STRUCT", "MAP", "JSON"),
    "traits": ("STRUCT", "MAP", "JSON"),
}
# Warehouse spellings of Segment's names: reading them would silently give no ids.
SNAKE_CASE = {
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "previous_id": "previousId",
    "message_id": "messageId",
    "received_at": "receivedAt",
}


@dataclass(frozen=True)
class Inputs:
    """The files DuckDB reads, all under a folder of ours, and what could not be decoded."""

    jsonl: tuple[str, ...]  # UTF-8 JSON Lines, `.jsonl` or `.jsonl.gz`
    parquet: tuple[str, ...]
    unreadable: int  # lines dropped while decoding (bad bytes for their encoding)
    notes: tuple[str, ...]


def prepare(sources: Sequence[str], folder: Path) -> Inputs:
    jsonl: list[str] = []
    parquet: list[str] = []
    unreadable = 0
    notes: list[str] = []
    for i, source in enumerate(sources):
        path = Path(source)
        try:
            with path.open("rb") as raw:
                magic = raw.read(4)
            if magic == PARQUET_MAGIC:
                parquet.append(_link(path, folder / f"{i}.parquet"))
                continue
            compressed = magic[:2] == GZIP_MAGIC
            with _open(path, compressed) as stream:
                head = stream.read(HEAD)
                while b"\n" not in head and len(head) < MAX_HEAD:  # the whole first line
                    more = stream.read(HEAD)
                    if not more:
                        break
                    head += more
            encoding, document = sniff(head)
            if encoding == "utf-8" and not head.startswith(codecs.BOM_UTF8) and not document:
                jsonl.append(
                    _link(path, folder / (f"{i}.jsonl.gz" if compressed else f"{i}.jsonl"))
                )
                continue
            target = folder / f"{i}.jsonl"
            with _open(path, compressed) as stream, target.open("wb") as out:
                unreadable += _copy(source, _Decoded(stream, encoding), document, out)
            jsonl.append(str(target))
            what = "a JSON document" if document else "JSON Lines"
            notes.append(f"{source}: read as {what} in {encoding}{', gzip' if compressed else ''}")
        except (OSError, EOFError, gzip.BadGzipFile, reader.InputError) as exc:
            raise JourneyError(f"cannot read {source}: {exc}") from None
    return Inputs(tuple(jsonl), tuple(parquet), unreadable, tuple(notes))


def sniff(head: bytes) -> tuple[str, bool]:
    """The encoding of the first bytes, and whether they start one JSON document rather than
    JSON Lines (the first line is not a whole JSON value: ``{`` or ``[`` or ``{"batch": [``)."""
    encoding = next((name for bom, name in BOMS if head.startswith(bom)), None)
    if encoding is None:
        if len(head) >= 4 and head[0] and not any(head[1:4]):
            encoding = "utf-32-le"
        elif len(head) >= 4 and not any(head[:3]) and head[3]:
            encoding = "utf-32-be"
        elif len(head) >= 2 and head[0] and not head[1]:
            encoding = "utf-16-le"
        elif len(head) >= 2 and not head[0] and head[1]:
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    first = text.split("\n", 1)[0].strip()
    if not first.startswith(("[", "{")):
        return encoding, False
    try:
        value = json.loads(first)
    except ValueError:
        # `{`, `[`, `{"batch": [` or `"type": "track",` : the start of a pretty-printed document
        return encoding, first in ("{", "[") or first.endswith(("{", "[", ",", ":"))
    return encoding, isinstance(value, list)


def _open(path: Path, compressed: bool) -> IO[bytes]:
    if compressed:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _link(path: Path, target: Path) -> str:
    try:
        os.symlink(path.resolve(), target)
    except OSError:  # no symlinks here (some filesystems): a copy reads the same
        shutil.copyfile(path, target)
    return str(target)


# DuckDB reads a JSON value up to 16 MB by default: a longer line is unreadable there too.
MAX_LINE_BYTES = 16 << 20
_BAD = "\ufffd".encode()


class _Decoded(io.RawIOBase):
    """A stream in ``encoding`` read as UTF-8 without its byte order mark; a byte invalid in its
    encoding becomes U+FFFD."""

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.pending = b""
        self.done = False
        self.started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending and not self.done:
            chunk = self.stream.read(1 << 20)
            self.done = not chunk
            text = self.decoder.decode(chunk, final=self.done)
            if not self.started and text:
                text, self.started = text.removeprefix("\ufeff"), True
            self.pending = text.encode()
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


def _copy(source: str, stream: io.RawIOBase, document: bool, out: IO[bytes]) -> int:
    """The messages of ``stream`` as UTF-8 JSON Lines, through validate's reader; returns the
    lines (or document messages) dropped: undecodable, not JSON, or over the size limit."""
    dropped = 0
    buffered = io.BufferedReader(stream, 1 << 20)
    for block in reader.stream_blocks(source, buffered, MAX_LINE_BYTES, document):
        dropped += len(block.problems)
        data = block.data  # blank lines (where problems were) are skipped by DuckDB
        if _BAD in data:  # a byte invalid in the file's encoding: its line is not used
            lines = data.split(b"\n")
            kept = [line for line in lines if _BAD not in line]
            dropped += len(lines) - len(kept)
            data = b"\n".join(kept)
        out.write(data if data.endswith(b"\n") else data + b"\n")
    return dropped


def check_parquet(connection: Any, files: Sequence[str], names: Sequence[str]) -> None:
    """A Parquet file whose columns the audit would misread is an error naming the column."""
    for path, name in zip(files, names, strict=True):
        try:
            described = connection.execute(
                "DESCRIBE SELECT * FROM read_parquet(?)", [path]
            ).fetchall()
        except Exception as exc:  # duckdb.Error: a file that says PAR1 but is not Parquet
            raise JourneyError(f"{name}: not a readable Parquet file ({exc})") from None
        columns = {row[0]: str(row[1]) for row in described}
        for column, kind in columns.items():
            if column in SNAKE_CASE and SNAKE_CASE[column] not in columns:
                raise JourneyError(
                    f"{name}: column `{column}` is not read; the audit reads Segment's "
                    f"`{SNAKE_CASE[column]}` (rename the column)"
                )
            allowed = PARQUET_COLUMNS.get(column)
            if allowed and not kind.startswith(allowed):
                hint = (
                    " (JSON stored as text: store it as a struct)"
                    if kind == "VARCHAR" and "STRUCT" in allowed
                    else ""
                )
                raise JourneyError(
                    f"{name}: column `{column}` is {kind}; expected {' or '.join(allowed)}{hint}"
                )
        if "type" not in columns and "event" not in columns:
            raise JourneyError(f"{name}: no column `type` or `event`: these are not messages")
        if "userId" not in columns and "anonymousId" not in columns:
            raise JourneyError(f"{name}: no column `userId` or `anonymousId`: no profile to join")
