"""The Starlette application: Segment's tracking endpoints, the JSON API, metrics, the page."""

from __future__ import annotations

import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from ..validate.checker import Outcome
from . import wire
from .collector import Collector
from .page import POLICY, SCRIPT, page

DRAIN = 4 * 1024 * 1024  # an oversized body is read (and dropped) this far, so the client can
# read the 413 instead of a reset connection; beyond it the connection is closed.
AUTH_HINT = "send Basic auth with the write key as user name and no password"
HELD = frozenset({"invalid", "malformed"})  # held back upstream in strict mode


@dataclass(frozen=True)
class Forward:
    """Send what arrives to ``url`` (a collector's base URL, like a client's host): ``report``
    forwards every request as it came, ``strict`` holds back invalid messages."""

    url: str
    mode: Literal["report", "strict"] = "report"
    timeout: float = 10.0


def create_app(
    collector: Collector, write_key: str | None = None, forward: Forward | None = None
) -> Starlette:
    """The ASGI application around one collector."""
    intake = _Intake(collector, write_key, forward)
    tracking = Starlette(
        routes=[Route("/{endpoint}", intake.endpoint, methods=["POST"])],
        middleware=[
            # Browsers post from the app's origin; only these endpoints answer other origins.
            Middleware(
                CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["*"]
            )
        ],
    )
    api = _Api(collector)
    return Starlette(
        routes=[
            Mount("/v1", app=tracking),
            Route("/", api.page, methods=["GET"]),
            Route("/app.js", api.script, methods=["GET"]),
            Route("/api/violations", api.violations, methods=["GET"]),
            Route("/api/violations", api.reset, methods=["DELETE"]),
            Route("/api/summary", api.summary, methods=["GET"]),
            Route("/api/messages", api.messages, methods=["GET"]),
            Route("/metrics", api.metrics, methods=["GET"]),
        ]
    )


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


class _Intake:
    """``POST /v1/<endpoint>``: read, unpack, authorize, parse, check, forward, answer."""

    def __init__(self, collector: Collector, key: str | None, forward: Forward | None) -> None:
        self.collector = collector
        self.key = key
        self.forward = forward

    async def endpoint(self, request: Request) -> Response:
        try:
            answer, headers = await self._take(request)
            status = 200
        except wire.RequestError as rejected:
            answer, headers, status = rejected.answer(), {}, rejected.status
        self.collector.requests[status] += 1
        return _json(answer, status, headers)

    async def _take(self, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
        endpoint = request.path_params["endpoint"]
        if endpoint not in wire.SINGLE and endpoint not in wire.BATCH:
            raise wire.RequestError(404, f"no endpoint /v1/{endpoint[:60]}")
        header = request.headers.get("authorization")
        allowed = wire.authorized(header, self.key) if self.key is not None else True
        if allowed is False:
            raise wire.RequestError(401, "wrong write key", AUTH_HINT)
        raw = await self._read(request)
        body = wire.unpack(raw, request.headers.get("content-encoding"))
        parsed = wire.parse(body, endpoint)
        if allowed is None and not _same(wire.write_key_of(parsed), self.key):
            raise wire.RequestError(401, "no write key", AUTH_HINT)
        outcomes = self.collector.check(parsed.messages, endpoint)
        found = sum(len(o.violations) for o in outcomes)
        answer: dict[str, Any] = {"success": True}
        headers = {"X-Codegen-Violations": str(found)}
        if self.forward is not None:
            answer.update(await self._forward(request, raw, parsed, outcomes, self.forward))
        return answer, headers

    async def _read(self, request: Request) -> bytes:
        limit, timeout = wire.BATCH_BYTES, self.collector.limits.read_timeout
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > DRAIN:
            raise wire.RequestError(413, f"body of {int(declared):,} bytes, over {limit:,}")
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size <= limit:
                        chunks.append(chunk)
                    elif size > DRAIN:
                        break
        except TimeoutError:
            raise wire.RequestError(408, f"body not received within {timeout:g} s") from None
        except ClientDisconnect:
            raise wire.RequestError(400, "the client went away before sending the body") from None
        if size > limit:
            raise wire.RequestError(
                413,
                f"body of {size:,}{'+' if size > DRAIN else ''} bytes, over {limit:,}",
                "Segment accepts 500 KB per batch and 32 KB per message",
            )
        return b"".join(chunks)

    async def _forward(
        self,
        request: Request,
        raw: bytes,
        parsed: wire.Request,
        outcomes: list[Outcome],
        forward: Forward,
    ) -> dict[str, Any]:
        headers = {
            name: request.headers[name]
            for name in ("authorization", "content-type", "user-agent")
            if name in request.headers
        }
        headers.setdefault("content-type", "application/json")
        found = sum(len(o.violations) for o in outcomes)
        headers["x-codegen-violations"] = str(found)
        held = [i for i, o in enumerate(outcomes) if o.status in HELD]
        answer: dict[str, Any] = {}
        sent = len(outcomes)
        if forward.mode == "report" or not held:
            body = raw
            if "content-encoding" in request.headers:
                headers["content-encoding"] = request.headers["content-encoding"]
        else:
            answer["held_back"] = [_held(parsed.messages[i][0], outcomes[i]) for i in held]
            self.collector.forwarded["held_back"] += len(held)
            keep = [text for i, (_, text) in enumerate(parsed.messages) if i not in set(held)]
            sent = len(keep)
            if not keep:
                answer["forwarded"] = 0
                return answer
            if parsed.endpoint in wire.BATCH:
                batch = [orjson.Fragment(text) for text in keep]
                body = orjson.dumps({**parsed.envelope, "batch": batch})
            else:
                body = keep[0]
        url = forward.url.rstrip("/") + request.url.path
        status, error = await anyio.to_thread.run_sync(
            _post, url, body, headers, forward.timeout, abandon_on_cancel=True
        )
        if error is not None:
            self.collector.forwarded["failed"] += sent
            raise wire.RequestError(
                status if 400 <= status < 500 else 502, f"upstream {url}: {error}", None
            )
        self.collector.forwarded["sent"] += sent
        answer["forwarded"] = sent
        return answer


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str | None]:
    """POST to the upstream: (status, None) when it took it, else (status or 502, why)."""
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"answered {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return 502, f"unreachable ({getattr(exc, 'reason', exc)})"


def _held(message: Any, outcome: Outcome) -> dict[str, Any]:
    message_id = message.get("messageId") if isinstance(message, dict) else None
    return {
        "line": outcome.violations[0].line if outcome.violations else None,
        "message_id": message_id if isinstance(message_id, str) else None,
        "event": outcome.event,
        "violations": [v.kind for v in outcome.violations],
    }


def _same(given: str | None, key: str | None) -> bool:
    return given is not None and key is not None and hmac.compare_digest(given, key)


class _Api:
    """The read side: JSON for tools and tests, Prometheus text, the live page."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    async def violations(self, request: Request) -> Response:
        return _json(self.collector.violation_list())

    async def reset(self, request: Request) -> Response:
        self.collector.reset()
        return _json({"success": True})

    async def summary(self, request: Request) -> Response:
        return _json(self.collector.summary_dict())

    async def messages(self, request: Request) -> Response:
        limit = request.query_params.get("limit", "")[:9]
        return _json(self.collector.message_list(int(limit) if limit.isdigit() else None))

    async def metrics(self, request: Request) -> Response:
        return PlainTextResponse(
            self.collector.metrics(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def page(self, request: Request) -> Response:
        return HTMLResponse(
            page(self.collector.plan.name), headers={"Content-Security-Policy": POLICY}
        )

    async def script(self, request: Request) -> Response:
        return Response(SCRIPT, media_type="text/javascript; charset=utf-8")
