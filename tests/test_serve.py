"""`codegen serve`: Segment's endpoints, the same violations as `codegen validate`, real clients,
hostile requests, bounded memory, forwarding, the API, metrics, the page, the CLI and the pytest
plugin. Every server listens on a free 127.0.0.1 port."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from codegen.generators.samples import Sampler
from codegen.serve import Collector, Forward, Limits, Running, create_app, start
from codegen.serve.wire import BATCH_BYTES, MESSAGE_BYTES

from .conftest import ROOT, CliFn, glow_shop

PLAN = glow_shop()
SAMPLER = Sampler(PLAN)
KEY = "wk_test"
BASIC = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
PLAN_FILE = ROOT / "plans" / "glow_shop.yaml"


def order(**changes: Any) -> dict[str, Any]:
    message = SAMPLER.track(PLAN.event("Order Completed"), full=True)  # type: ignore[arg-type]
    message["userId"] = "c_abc1234"
    message["properties"].update(changes)
    return message


def serve(key: str | None = KEY, keep: int = 10_000, timeout: float = 10.0, **kw: Any) -> Running:
    collector = Collector(PLAN, Limits(keep=keep, read_timeout=timeout))
    return start(create_app(collector, key, **kw), collector)


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    running = serve()
    yield running
    running.stop()


@pytest.fixture
def url(server: Running) -> str:
    call(server.url, "DELETE", "/api/violations")
    return server.url


def call(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One request; the answer parsed as JSON when it is JSON."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    kind = response.getheader("content-type") or ""
    return response.status, json.loads(data) if kind.startswith("application/json") else data


def post(url: str, path: str, document: Any, **headers: str) -> tuple[int, Any]:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return call(url, "POST", path, body, {"Authorization": BASIC, **headers})


def api(url: str, path: str) -> Any:
    status, data = call(url, "GET", path)
    assert status == 200, (path, status, data)
    return data


# -- the endpoints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("track", {"event": "Product Viewed", "anonymousId": "a1", "properties": {}}),
        ("identify", {"userId": "c_abc1234", "traits": {}}),
        ("page", {"anonymousId": "a1", "name": "Home"}),
        ("screen", {"anonymousId": "a1", "name": "Home"}),
        ("group", {"userId": "c_abc1234", "groupId": "g1"}),
        ("alias", {"userId": "c_abc1234", "previousId": "a1"}),
        ("batch", {"batch": [{"type": "page", "anonymousId": "a1"}]}),
        ("b", {"batch": [{"type": "page", "anonymousId": "a1"}]}),
        ("b", {"type": "page", "anonymousId": "a1"}),
        ("p", {"anonymousId": "a1"}),
    ],
)
def test_every_endpoint_answers_like_segment(url: str, endpoint: str, message: Any) -> None:
    status, answer = post(url, f"/v1/{endpoint}", message)
    assert (status, answer) == (200, {"success": True})
    assert api(url, "/api/summary")["lines"] == 1


def test_the_endpoint_names_the_type(url: str) -> None:
    post(url, "/v1/identify", {"userId": "c_abc1234", "traits": {}})
    [kept] = api(url, "/api/messages")["messages"]
    assert kept["message"]["type"] == "identify"
    assert kept["event"] == "identify"


def test_gzip_bodies(url: str) -> None:
    body = gzip.compress(json.dumps({"batch": [order(), order(currency=3)]}).encode())
    status, _ = post(url, "/v1/batch", body, **{"Content-Encoding": "gzip"})
    assert status == 200
    summary = api(url, "/api/summary")
    assert (summary["valid"], summary["invalid"]) == (1, 1)


def test_write_key_in_basic_auth_bearer_or_body(url: str) -> None:
    message = order()
    bearer = {"Authorization": f"Bearer {KEY}"}
    assert call(url, "POST", "/v1/track", json.dumps(message).encode(), bearer)[0] == 200
    in_body = json.dumps({"batch": [message], "writeKey": KEY}).encode()
    assert call(url, "POST", "/v1/batch", in_body)[0] == 200
    assert post(url, "/v1/track", message)[0] == 200
    status, answer = call(url, "POST", "/v1/track", json.dumps(message).encode())
    assert status == 401 and answer["success"] is False and "write key" in answer["error"]


def test_no_write_key_accepts_any_client() -> None:
    running = serve(key=None)
    try:
        assert call(running.url, "POST", "/v1/track", json.dumps(order()).encode())[0] == 200
    finally:
        running.stop()


# -- the same violations as `codegen validate` ----------------------------------------------------


def assert_same_as_validate(url: str, cli: CliFn, tmp_path: Path) -> list[dict[str, Any]]:
    """Violations from the API equal `codegen validate --format json` on the kept messages
    written as JSON Lines in arrival order (so `line` is the arrival number in both)."""
    kept = api(url, "/api/messages")["messages"]
    assert [m["line"] for m in kept] == list(range(1, len(kept) + 1))
    log = tmp_path / "arrived.jsonl"
    log.write_text("".join(json.dumps(m["message"]) + "\n" for m in kept), encoding="utf-8")
    result = cli("validate", str(log), "--plan", str(PLAN_FILE), "--format", "json")
    report = json.loads(result.stdout)
    served = api(url, "/api/violations")["violations"]

    def without_file(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in item.items() if k != "file"} for item in found]

    assert without_file(served) == without_file(report["violations"])
    summary = api(url, "/api/summary")
    for name in ("messages", "valid", "invalid", "skipped", "violations", "by_event", "by_kind"):
        assert summary[name] == report["summary"][name], name
    return served


def test_same_violations_as_validate(url: str, cli: CliFn, tmp_path: Path) -> None:
    messages = [
        order(),
        order(currency="euro", revenue="12"),
        {**order(), "event": "purchase"},
        {**order(), "userId": "someone@example.com"},
        SAMPLER.identify(),
        {"type": "page", "anonymousId": "a"},
        7,
    ]
    post(url, "/v1/batch", {"batch": messages[:4]})
    post(url, "/v1/identify", messages[4])
    post(url, "/v1/batch", {"batch": messages[5:]})
    served = assert_same_as_validate(url, cli, tmp_path)
    kinds = {(v["line"], v["kind"]) for v in served}
    assert {(2, "pattern"), (2, "type"), (3, "unplanned_event"), (4, "identity")} <= kinds
    assert (7, "malformed") in kinds


def test_real_segment_and_customerio_clients(url: str, cli: CliFn, tmp_path: Path) -> None:
    from customerio.analytics import Client as CustomerIO
    from segment.analytics import Client as Segment

    errors: list[Any] = []
    product = {**SAMPLER.track(PLAN.event("Product Viewed"))["properties"]}  # type: ignore[arg-type]
    for client_class, gzipped in ((Segment, True), (CustomerIO, False)):
        client = client_class(
            KEY, host=url, on_error=lambda e, batch: errors.append(e), gzip=gzipped, max_retries=0
        )
        for i in range(30):
            client.track(
                user_id="c_abc1234", event="Product Viewed", properties={**product, "i": i}
            )
        client.track(user_id="c_abc1234", event="Product Viewed", properties=product)
        client.track(user_id="c_abc1234", event="Order Complete", properties={"total": "9"})
        client.identify("c_abc1234", {"email": "not-an-email", "first_name": "Ada"})
        client.track(anonymous_id="anon-1", event="Product Viewed", properties={"price": "x"})
        client.flush()
        client.join()
    assert not errors
    summary = api(url, "/api/summary")
    assert summary["messages"] == 2 * 34
    assert summary["requests"] == {"200": summary["requests"]["200"]}  # only 200s
    served = assert_same_as_validate(url, cli, tmp_path)
    assert {v["kind"] for v in served} >= {"unplanned_event", "additionalProperties", "type"}
    assert summary["valid"] >= 2  # the plain Product Viewed from each client


# -- limits and hostile input ---------------------------------------------------------------------

BIG = "x" * MESSAGE_BYTES
DEEP = b'{"batch": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
BOMB = gzip.compress(b'{"batch": [' + b" " * (20 * BATCH_BYTES) + b"]}")
GZ = gzip.compress(json.dumps({"batch": [order()]}).encode())
MANY = json.dumps({"batch": [order() for _ in range(800)]}).encode()
NOAUTH: dict[str, str] = {}
H = {"Authorization": BASIC}

HOSTILE: list[tuple[str, str, str, bytes, dict[str, str], int]] = [
    # name, method, path, body, headers, expected status
    ("no auth", "POST", "/v1/track", b"{}", NOAUTH, 401),
    ("wrong key", "POST", "/v1/track", b"{}", {"Authorization": "Basic d3Jvbmc6"}, 401),
    ("key as password", "POST", "/v1/track", b"{}", {"Authorization": "Basic OndrX3Rlc3Q="}, 401),
    ("not base64", "POST", "/v1/track", b"{}", {"Authorization": "Basic %%%"}, 401),
    ("wrong bearer", "POST", "/v1/batch", b"{}", {"Authorization": "Bearer nope"}, 401),
    ("other scheme", "POST", "/v1/batch", b"{}", {"Authorization": "Digest x"}, 401),
    ("empty auth", "POST", "/v1/batch", b"{}", {"Authorization": ""}, 401),
    ("wrong body key", "POST", "/v1/batch", b'{"batch": [], "writeKey": "no"}', NOAUTH, 401),
    ("body key not text", "POST", "/v1/batch", b'{"batch": [], "writeKey": 1}', NOAUTH, 401),
    ("empty body", "POST", "/v1/track", b"", H, 400),
    ("truncated json", "POST", "/v1/track", b'{"event": "x"', H, 400),
    ("array", "POST", "/v1/track", b"[]", H, 400),
    ("null", "POST", "/v1/track", b"null", H, 400),
    ("number", "POST", "/v1/identify", b"1", H, 400),
    ("string", "POST", "/v1/page", b'"hi"', H, 400),
    ("invalid utf-8", "POST", "/v1/track", b'{"event": "\xff\xfe"}', H, 400),
    ("utf-8 surrogate", "POST", "/v1/track", b'{"event": "\xed\xa0\x80"}', H, 400),
    ("escaped lone surrogate", "POST", "/v1/track", b'{"event": "\\ud800"}', H, 400),
    ("control character", "POST", "/v1/track", b'{"event": "a\x00"}', H, 400),
    ("infinite number", "POST", "/v1/track", b'{"properties": {"a": 1e400}}', H, 400),
    ("deep nesting", "POST", "/v1/batch", DEEP, H, 400),
    ("deep object", "POST", "/v1/track", b'{"a":' * 2000 + b"1" + b"}" * 2000, H, 400),
    ("batch not a list", "POST", "/v1/batch", b'{"batch": 5}', H, 400),
    ("batch missing", "POST", "/v1/batch", b'{"messages": []}', H, 400),
    ("batch array", "POST", "/v1/batch", b"[{}]", H, 400),
    ("bom", "POST", "/v1/track", b"\xef\xbb\xbf{}", H, 400),
    ("trailing garbage", "POST", "/v1/track", b"{} {}", H, 400),
    ("nan", "POST", "/v1/track", b'{"a": NaN}', H, 400),
    (
        "truncated gzip",
        "POST",
        "/v1/batch",
        GZ[: len(GZ) // 2],
        {**H, "Content-Encoding": "gzip"},
        400,
    ),
    (
        "gzip garbage",
        "POST",
        "/v1/batch",
        b"\x1f\x8bnot gzip",
        {**H, "Content-Encoding": "gzip"},
        400,
    ),
    ("gzip of nothing", "POST", "/v1/batch", b"", {**H, "Content-Encoding": "gzip"}, 400),
    ("plain but says gzip", "POST", "/v1/batch", b"{}", {**H, "Content-Encoding": "gzip"}, 400),
    ("gzip bomb", "POST", "/v1/batch", BOMB, {**H, "Content-Encoding": "gzip"}, 413),
    ("brotli", "POST", "/v1/batch", b"{}", {**H, "Content-Encoding": "br"}, 415),
    ("message over 32 KB", "POST", "/v1/track", json.dumps({"event": BIG}).encode(), H, 413),
    (
        "batch item over 32 KB",
        "POST",
        "/v1/batch",
        json.dumps({"batch": [{"e": BIG}]}).encode(),
        H,
        413,
    ),
    ("batch over 500 KB", "POST", "/v1/batch", MANY, H, 413),
    ("body of 1 MB", "POST", "/v1/batch", b" " * (1024 * 1024), H, 413),
    ("unknown endpoint", "POST", "/v1/collect", b"{}", H, 404),
    ("long endpoint", "POST", "/v1/" + "x" * 5000, b"{}", H, 404),
    ("nested path", "POST", "/v1/track/extra", b"{}", H, 404),
    ("no version", "POST", "/track", b"{}", H, 404),
    ("GET a tracking endpoint", "GET", "/v1/track", b"", H, 405),
    ("PUT a tracking endpoint", "PUT", "/v1/batch", b"{}", H, 405),
    ("POST the summary", "POST", "/api/summary", b"{}", H, 405),
    ("DELETE the page", "DELETE", "/", b"", H, 405),
    ("unknown api", "GET", "/api/secrets", b"", H, 404),
    ("path traversal", "GET", "/../../etc/passwd", b"", H, 404),
    ("bad limit", "GET", "/api/messages?limit=" + "9" * 5000, b"", H, 200),
    ("negative limit", "GET", "/api/messages?limit=-1", b"", H, 200),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "expected"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_requests_get_the_right_status(
    url: str, method: str, path: str, body: bytes, headers: dict[str, str], expected: int
) -> None:
    status, answer = call(url, method, path, body, headers)
    assert status == expected, answer
    if path.startswith("/v1/") and expected in (400, 401, 413, 415):
        assert answer["success"] is False and answer["error"]
    assert post(url, "/v1/track", order())[0] == 200  # still serving


RAW: list[tuple[str, bytes, int]] = [
    # requests a client library would never send, written on the socket
    ("garbage request line", b"HELLO\r\n\r\n", 400),
    (
        "bad content length",
        b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        400,
    ),
    ("header of 1 MB", b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 1_000_000 + b"\r\n\r\n", 400),
    (
        "10 MB declared",
        b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + BASIC.encode()
        + b"\r\nContent-Length: 10000000\r\n\r\n{",
        413,
    ),
    (
        "chunked over 500 KB",
        b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + BASIC.encode()
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(10))
        + b"0\r\n\r\n",
        413,
    ),
]


def raw_status(url: str, request: bytes, timeout: float = 30) -> int:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # (the answer may come before the whole request is sent)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0


@pytest.mark.parametrize(("request_", "expected"), [c[1:] for c in RAW], ids=[c[0] for c in RAW])
def test_malformed_http_gets_a_4xx(url: str, request_: bytes, expected: int) -> None:
    assert raw_status(url, request_) == expected
    assert post(url, "/v1/track", order())[0] == 200


def test_no_request_made_the_server_fail(url: str) -> None:
    for case in HOSTILE:
        call(url, *case[1:5])
    codes = api(url, "/api/summary")["requests"]
    assert not [c for c in codes if c.startswith("5")], codes
    assert len(HOSTILE) + len(RAW) >= 50


def test_slow_client_gets_408_while_others_are_served() -> None:
    running = serve(timeout=0.5)
    try:
        parts = urlsplit(running.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as slow:
            slow.sendall(
                b"POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + BASIC.encode()
                + b"\r\nContent-Length: 100\r\n\r\n{"
            )
            started = time.monotonic()
            assert post(running.url, "/v1/track", order())[0] == 200  # not blocked by it
            answer = slow.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert time.monotonic() - started < 5
    finally:
        running.stop()


def test_memory_is_bounded_by_keep() -> None:
    running = serve(keep=25)
    try:
        bad = {**order(), "userId": "a@b.co", "properties": {"x": 1, "y": 2}}
        for _ in range(8):
            assert post(running.url, "/v1/batch", {"batch": [bad] * 50})[0] == 200
        summary = api(running.url, "/api/summary")
        assert (summary["messages"], summary["kept_messages"]) == (400, 25)
        listed = api(running.url, "/api/violations")
        assert listed["total"] == summary["violations"] > listed["kept"]
        assert listed["kept"] <= 25 * 20 and len(listed["violations"]) == listed["kept"]
        kept = api(running.url, "/api/messages")["messages"]
        assert [m["line"] for m in kept] == list(range(376, 401))  # the last 25
        many = [{**order(), "event": f"unplanned {i}"} for i in range(3000)]
        for start_ in range(0, 3000, 100):
            post(running.url, "/v1/batch", {"batch": many[start_ : start_ + 100]})
        assert len(api(running.url, "/api/summary")["by_event"]) <= 1001  # "(other)" past that
    finally:
        running.stop()


# -- forwarding -----------------------------------------------------------------------------------


class _Capture(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, dict(self.headers.items()), body))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"success": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[tuple[str, type[_Capture]]]:
    handler = type("Capture", (_Capture,), {"received": [], "status": 200})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_forward_report_keeps_batching_and_marks_violations(
    upstream: tuple[str, type[_Capture]],
) -> None:
    base, capture = upstream
    running = serve(forward=Forward(base, "report"))
    try:
        body = gzip.compress(json.dumps({"batch": [order(), order(currency=1)]}).encode())
        status, answer = post(running.url, "/v1/batch", body, **{"Content-Encoding": "gzip"})
        assert (status, answer) == (200, {"success": True, "forwarded": 2})
        [(path, headers, sent)] = capture.received
        assert path == "/v1/batch" and sent == body  # as it came, still gzipped
        assert headers["Content-Encoding"] == "gzip" and headers["Authorization"] == BASIC
        assert int(headers["X-Codegen-Violations"]) >= 1
    finally:
        running.stop()


def test_forward_strict_holds_back_invalid_messages(upstream: tuple[str, type[_Capture]]) -> None:
    base, capture = upstream
    running = serve(forward=Forward(base, "strict"))
    try:
        good, bad = order(), {**order(), "event": "purchase", "messageId": "m-2"}
        status, answer = post(running.url, "/v1/batch", {"batch": [good, bad], "sentAt": "now"})
        assert status == 200 and answer["forwarded"] == 1
        assert answer["held_back"] == [
            {"line": 2, "message_id": "m-2", "event": "purchase", "violations": ["unplanned_event"]}
        ]
        [(_, _, sent)] = capture.received
        assert json.loads(sent) == {"sentAt": "now", "batch": [good]}
        status, answer = post(running.url, "/v1/track", bad)
        assert status == 200 and answer["forwarded"] == 0 and len(capture.received) == 1
        assert api(running.url, "/api/summary")["forwarded"] == {"held_back": 2, "sent": 1}
    finally:
        running.stop()


def test_forward_failure_is_a_502_the_client_retries(upstream: tuple[str, type[_Capture]]) -> None:
    base, capture = upstream
    capture.status = 503
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{free.getsockname()[1]}"
    free.close()
    for target in (base, closed):
        running = serve(forward=Forward(target, "report", timeout=5))
        try:
            status, answer = post(running.url, "/v1/track", order())
            assert status == 502 and "upstream" in answer["error"]
            assert post(running.url, "/v1/track", order())[0] == 502  # and still serving
        finally:
            running.stop()


# -- the API, metrics and the page ----------------------------------------------------------------


def test_summary_has_coverage_and_delete_resets(url: str) -> None:
    post(url, "/v1/batch", {"batch": [order(), {**order(), "event": "nope"}]})
    summary = api(url, "/api/summary")
    coverage = summary["coverage"]
    assert coverage["planned"] == len(PLAN.events) and coverage["seen"] == 1
    assert "Order Completed" not in coverage["never_seen"]
    assert "Product Viewed" in coverage["never_seen"]
    assert call(url, "DELETE", "/api/violations")[0] == 200
    summary = api(url, "/api/summary")
    assert summary["messages"] == 0 and summary["coverage"]["seen"] == 0
    assert api(url, "/api/violations")["violations"] == []


def test_metrics_in_prometheus_text_format(url: str) -> None:
    post(url, "/v1/batch", {"batch": [order(), {**order(), "event": 'we"ird\\\nname'}]})
    status, text = call(url, "GET", "/metrics")
    assert status == 200
    lines = text.decode().splitlines()
    assert 'codegen_serve_messages_total{outcome="valid"} 1' in lines
    assert 'codegen_serve_violations_total{kind="unplanned_event"} 1' in lines
    assert 'codegen_serve_event_messages_total{event="we\\"ird\\\\\\nname"} 1' in lines
    for line in lines:  # every sample: name{labels} value
        if not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            assert name and float(value) >= 0, line


def test_page_escapes_everything_and_updates_itself(url: str) -> None:
    post(url, "/v1/track", {**order(), "event": "<img src=x onerror=alert(1)>"})
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("GET", "/")
    response = conn.getresponse()
    html = response.read().decode()
    assert "script-src 'self'" in (response.getheader("Content-Security-Policy") or "")
    assert "onerror" not in html and '<script src="/app.js">' in html
    assert PLAN.name.replace("&", "&amp;") in html
    status, script = call(url, "GET", "/app.js")
    assert status == 200 and b"textContent" in script and b"innerHTML" not in script
    assert b"setInterval(refresh" in script and b"http" not in script  # no external assets
    [kept] = api(url, "/api/messages?limit=1")["messages"]
    assert kept["event"] == "<img src=x onerror=alert(1)>"  # data, shown as text by the page


# -- the command and the pytest plugin ------------------------------------------------------------


def test_cli_serves_until_stopped(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "codegen", "serve", "--plan", str(PLAN_FILE), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        served = line.split(" on ", 1)[1].split()[0]
        assert served.startswith("http://127.0.0.1:")
        status, _ = call(served, "POST", "/v1/track", json.dumps(order()).encode())
        assert status == 200
        assert api(served, "/api/summary")["valid"] == 1
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_refuses_bad_options(cli: CliFn) -> None:
    result = cli("serve", "--plan", str(PLAN_FILE), "--forward", "ftp://x")
    assert result.exit_code == 2 and "http(s) URL" in result.stderr
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = str(taken.getsockname()[1])
        result = cli("serve", "--plan", str(PLAN_FILE), "--port", port)
        assert result.exit_code == 2 and "cannot listen on 127.0.0.1" in result.stderr
    finally:
        taken.close()
    result = cli("serve", "--plan", str(PLAN_FILE), "--keep", "0")
    assert result.exit_code == 2


def test_pytest_plugin_fixture(tmp_path: Path) -> None:
    product = SAMPLER.track(PLAN.event("Product Viewed"))["properties"]  # type: ignore[arg-type]
    (tmp_path / "test_app.py").write_text(
        f"""
from segment.analytics import Client

def send(url, **properties):
    client = Client("any", host=url, max_retries=0)
    client.track(user_id="c_abc1234", event="Product Viewed", properties=properties)
    client.flush()
    client.join()

def test_clean(tracking_plan_collector):
    send(tracking_plan_collector.url, **{product!r})
    tracking_plan_collector.assert_no_violations()
    assert tracking_plan_collector.summary()["valid"] == 1

def test_dirty(tracking_plan_collector):
    send(tracking_plan_collector.url, **{{**{product!r}, "price": "cheap"}})
    tracking_plan_collector.assert_no_violations()
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tracking-plan",
         str(PLAN_FILE), str(tmp_path / "test_app.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    assert "1 tracking plan violation(s) in 1 of 1 message(s)" in result.stdout
    assert "#1 type Product Viewed /properties/price" in result.stdout


# -- regressions ----------------------------------------------------------------------------------


def test_listening_socket_says_tcp_so_answers_are_not_delayed() -> None:
    """Regression: a socket made with proto 0 made asyncio skip TCP_NODELAY on connections, and
    every answer waited ~40 ms for the client's delayed ACK (bench: 1,600 instead of 7,000
    messages/s)."""
    from codegen.serve import listen

    sock = listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_pretty_printed_batches_are_checked_message_by_message(
    url: str, cli: CliFn, tmp_path: Path
) -> None:
    """Regression guard for the raw-text fast path: messages with newlines inside (pretty JSON)
    are re-encoded to one line each, so numbering and outcomes stay per message."""
    body = json.dumps({"batch": [order(), order(currency=5), order()]}, indent=2).encode()
    assert post(url, "/v1/batch", body)[0] == 200
    summary = api(url, "/api/summary")
    assert (summary["valid"], summary["invalid"]) == (2, 1)
    assert {v["line"] for v in assert_same_as_validate(url, cli, tmp_path)} == {2}
