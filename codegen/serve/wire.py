"""One request of Segment's HTTP Tracking API → its messages, or a rejection with a reason.

Pure functions over bytes and header values: no HTTP framework here, so every hostile body can be
tested directly. Whatever a client sends ends as either messages or a :class:`RequestError`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import zlib
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

# Segment's documented limits ("Max Request Size", HTTP Tracking API): "a maximum of 32KB per
# call (our batch endpoint accepts a maximum of 500KB per batch and 32KB per contained event)".
# Segment answers 400 when they are exceeded; this collector answers 413 (Payload Too Large),
# which says the same more precisely and, like 400, is not retried by Segment's clients.
MESSAGE_BYTES = 32 * 1024
BATCH_BYTES = 500 * 1024

# Endpoints: the names of the HTTP API, the one-letter names analytics.js (analytics-next) posts
# single calls to, and `b`, its batch endpoint.
SINGLE = {
    "track": "track",
    "identify": "identify",
    "page": "page",
    "screen": "screen",
    "group": "group",
    "alias": "alias",
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
}
BATCH = frozenset({"batch", "b"})


@dataclass
class RequestError(Exception):
    """A request answered with a 4xx: ``status``, what was wrong and how to fix it."""

    status: int
    error: str
    hint: str | None = None

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {"success": False, "error": self.error}
        if self.hint:
            body["hint"] = self.hint
        return body


@dataclass
class Request:
    """The messages of one request, each with its JSON text (what the checker reads), and the
    rest of a batch document (``sentAt``, ``context``...) to forward with them."""

    endpoint: str
    messages: list[tuple[Any, bytes]]
    envelope: dict[str, Any] = field(default_factory=dict)


def unpack(raw: bytes, encoding: str | None, limit: int = BATCH_BYTES) -> bytes:
    """The body as sent, gunzipped when ``Content-Encoding`` says gzip (at most ``limit``
    bytes: a small gzip bomb is refused, not inflated)."""
    coding = (encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return raw
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise RequestError(
            415, f"unsupported Content-Encoding {_clip(coding)!r}", "send gzip or none"
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise RequestError(400, f"body is not valid {coding}: {exc}") from exc
    if len(body) > limit:
        raise RequestError(413, f"body inflates to more than {limit:,} bytes", _split_hint(limit))
    if not inflater.eof:
        raise RequestError(400, f"{coding} body is truncated", "send the whole compressed body")
    return body


def authorized(header: str | None, key: str) -> bool | None:
    """Whether an ``Authorization`` header carries ``key`` (Basic with the key as user name,
    as Segment's clients send it, or Bearer, as Customer.io's do); None without a header."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.encode(), key.encode())
    if scheme.lower() != "basic":
        return False
    try:
        user = base64.b64decode(value, validate=True).split(b":", 1)[0]
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(user, key.encode())


def parse(body: bytes, endpoint: str, limit: int = MESSAGE_BYTES) -> Request:
    """The messages of a request to ``/v1/<endpoint>``. A message over ``limit`` bytes, a body
    that is not one JSON object, a batch without a ``batch`` list: :class:`RequestError`. A batch
    item that is not an object is kept: the checker reports it ``malformed``."""
    if endpoint not in SINGLE and endpoint not in BATCH:
        raise RequestError(404, f"no endpoint /v1/{_clip(endpoint)}", _endpoints_hint())
    if endpoint in SINGLE and len(body) > limit:
        raise RequestError(
            413, f"message of {len(body):,} bytes, over {limit:,}", _split_hint(limit)
        )
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(400, f"body is not JSON: {exc}", "send one UTF-8 JSON object") from exc
    if not isinstance(document, dict):
        raise RequestError(400, f"body is a JSON {_json_type(document)}, not an object")
    if endpoint in SINGLE:
        document["type"] = SINGLE[endpoint]  # the endpoint says what it is, as at Segment
        return Request(endpoint, [(document, orjson.dumps(document))])
    items = document.get("batch")
    if endpoint == "b" and items is None:  # analytics.js posts single messages there too
        return Request(endpoint, [(document, orjson.dumps(document))])
    if not isinstance(items, list):
        raise RequestError(400, 'a batch is {"batch": [messages]}', "put the messages in `batch`")
    envelope = {k: v for k, v in document.items() if k != "batch"}
    shared = "context" in envelope or "integrations" in envelope
    texts = None if shared else _texts(body, len(items))
    messages = []
    for number, message in enumerate(items, 1):
        if shared and isinstance(message, dict):
            _inherit(message, envelope)
        text = orjson.dumps(message) if texts is None else texts[number - 1]
        if len(text) > limit:
            raise RequestError(
                413,
                f"message {number} of the batch has {len(text):,} bytes, over {limit:,}",
                _split_hint(limit),
            )
        messages.append((message, text))
    return Request(endpoint, messages, envelope)


_BATCH = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])


def _texts(body: bytes, count: int) -> list[bytes] | None:
    """Each batch message's JSON text as sent (no re-encoding: the body is known to be valid
    JSON); one with a newline inside is re-encoded, as every text must be one line."""
    try:
        raw = _ITEMS.decode(_BATCH.decode(body)["batch"])
    except (msgspec.DecodeError, KeyError):
        return None
    if len(raw) != count:  # duplicate "batch" keys: keep to what was parsed
        return None
    texts = [bytes(r) for r in raw]
    for i, text in enumerate(texts):
        if b"\n" in text:
            texts[i] = orjson.dumps(orjson.loads(text))
    return texts


def _inherit(message: dict[str, Any], envelope: dict[str, Any]) -> None:
    """Segment merges a batch's top-level ``context`` and ``integrations`` into each message."""
    for key in ("context", "integrations"):
        shared = envelope.get(key)
        if isinstance(shared, dict) and key not in message:
            message[key] = shared


def write_key_of(request: Request) -> str | None:
    """The ``writeKey`` in the body (analytics.js sends it there: sendBeacon sets no headers)."""
    found = request.envelope.get("writeKey")
    if found is None and len(request.messages) == 1 and isinstance(request.messages[0][0], dict):
        found = request.messages[0][0].get("writeKey")
    return found if isinstance(found, str) else None


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _split_hint(limit: int) -> str:
    return f"Segment accepts {BATCH_BYTES // 1024} KB per batch and {limit // 1024} KB per message"


def _endpoints_hint() -> str:
    return "POST to /v1/track, identify, page, screen, group, alias, batch or b"


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "…"
