"""A real browser: `@segment/analytics-next` and the generated TypeScript package in headless
Chromium, sending to a 127.0.0.1 capture server (issue 18) and to `codegen serve`, whose live page
is read in the same browser (issue 19).

Chromium is Debian's (`apt-get install chromium`; .ci/run installs it), started once for the module
with a fresh profile and driven over the DevTools protocol by tests/browser/drive.mjs
(playwright-core, which downloads no browser). Its npm packages come from
tests/browser/package-lock.json; the generated package builds with tests/typescript's toolchain.
Every request the page makes to a host other than 127.0.0.1 is aborted and fails the test, so the
Segment CDN settings are served locally through analytics-next's `cdnURL`.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from codegen import generate
from codegen.generators.samples import Sampler
from codegen.generators.typescript import modelplan, package
from codegen.output.writer import write

from .conftest import ROOT, CliFn, glow_shop
from .test_serve import KEY, api, assert_same_as_validate, call, order, post, serve

BROWSER_TOOLS = ROOT / "tests" / "browser"
TS_TOOLS = ROOT / "tests" / "typescript"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PLAN = glow_shop()
# Flags for a closed network: no background requests (without them connections are refused).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


def _npm_ci(folder: Path, marker: str) -> Path:
    """``folder/node_modules``, installed from its lockfile when ``marker`` is missing."""
    assert shutil.which("node") and shutil.which("npm"), "Node and npm are required"
    modules = folder / "node_modules"
    if not (modules / marker).exists():
        done = _run(["npm", "ci", "--no-audit", "--no-fund"], folder)
        assert done.returncode == 0, done.stderr
    return modules


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One headless Chromium for the module (fresh profile); yields its DevTools WebSocket URL."""
    if not Path(CHROMIUM).exists():
        reason = "Debian's chromium is not installed (apt-get install chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    _npm_ci(BROWSER_TOOLS, "playwright-core")
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = profile.parent / "chromium.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    try:
        active = profile / "DevToolsActivePort"  # "PORT\n/devtools/browser/ID" once listening
        deadline = time.monotonic() + 30
        while len(lines := _lines(active)) < 2:
            assert process.poll() is None, log.read_text("utf-8", "replace")
            assert time.monotonic() < deadline, log.read_text("utf-8", "replace")
            time.sleep(0.05)
        yield f"ws://127.0.0.1:{lines[0]}{lines[1]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lines(path: Path) -> list[str]:
    return path.read_text("utf-8").split() if path.exists() else []


def drive(endpoint: str, **command: Any) -> Any:
    """Open one page in the shared browser (tests/browser/drive.mjs); returns its ``result``,
    after checking that the page had no errors and asked nothing of any other host."""
    done = _run(["node", str(BROWSER_TOOLS / "drive.mjs"), endpoint, json.dumps(command)], ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["external"] == [], report
    assert report["problems"] == [], report
    return report["result"]


# -- the page: analytics-next and the generated package, bundled with esbuild ---------------------


@dataclass(frozen=True)
class Site:
    folder: Path  # the built package's folder (typescript/)
    bundle: bytes  # the page's script
    baseline: bytes  # analytics-next alone, bundled the same way


# analytics-next loaded as the page loads it, without the generated package: the size baseline.
BASELINE = """import { AnalyticsBrowser } from "@segment/analytics-next";
window.analytics = AnalyticsBrowser.load({ writeKey: "k", cdnURL: "/" }, { integrations: {} });
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Generate the example plan, ``npm run build`` its package, bundle tests/browser/page.mjs."""
    ts_modules = _npm_ci(TS_TOOLS, ".bin/tsc")
    browser_modules = _npm_ci(BROWSER_TOOLS, "playwright-core")
    out = tmp_path_factory.mktemp("browser-site")
    write(out / "out", generate(PLAN))
    built = out / "out" / "typescript"
    (built / "node_modules").symlink_to(ts_modules, target_is_directory=True)
    done = _run(["npm", "run", "build"], built)
    assert done.returncode == 0, done.stdout + done.stderr
    page = out / "page"
    (page / "node_modules").mkdir(parents=True)
    (page / "node_modules" / "glow-shop-tracking").symlink_to(built)
    (page / "node_modules" / "@segment").symlink_to(browser_modules / "@segment")
    shutil.copy(BROWSER_TOOLS / "page.mjs", page / "page.mjs")
    (page / "baseline.mjs").write_text(BASELINE, "utf-8")
    bundles = []
    for entry in ("page.mjs", "baseline.mjs"):
        bundle = page / f"{entry}.bundle.js"
        esbuild = [str(browser_modules / ".bin" / "esbuild"), entry, "--bundle", "--minify"]
        done = _run([*esbuild, "--format=esm", "--target=es2022", f"--outfile={bundle}"], page)
        assert done.returncode == 0, done.stderr
        bundles.append(bundle.read_bytes())
    return Site(built, *bundles)


def config(api_host: str, cdn_url: str) -> dict[str, Any]:
    """What the page (and tests/browser/node-send.mjs) sends: every event and identify. The page
    loads analytics-next with ``segment`` as its Segment.io options, as an app pointing it at its
    own collector does: batches to ``http://API_HOST/b``."""
    sampler = Sampler(PLAN)
    names = modelplan.build(PLAN)
    batching = {"strategy": "batching", "config": {"size": 100, "timeout": 200}}
    return {
        "writeKey": KEY,
        "cdnURL": cdn_url,
        "segment": {"apiHost": api_host, "protocol": "http", "deliveryStrategy": batching},
        "userId": sampler.user_id(),
        "identify": sampler.identify()["traits"],
        "events": [
            {
                "method": m.method,
                "properties": sampler.track(e)["properties"],
                "anonymous": e.anonymous_allowed,
            }
            for m, e in zip(names.events, PLAN.events, strict=True)
        ],
        "untyped": [],
    }


def untyped() -> list[dict[str, Any]]:
    """Deliberately invalid events, sent straight to the client (not through the tracker): an
    unplanned event name, and a planned event whose price is a string."""
    product = Sampler(PLAN).track(PLAN.event("Product Viewed"))["properties"]  # type: ignore[arg-type]
    return [
        {"event": "Order Complete", "properties": {"total": "9"}},
        {"event": "Product Viewed", "properties": {**product, "price": "x"}},
    ]


# Segment's CDN settings for the write key, as Segment serves them (sending to api.segment.io, which
# the page's options override); remote metrics off, as they would go there too.
CDN_SETTINGS = {
    "integrations": {"Segment.io": {"apiKey": KEY, "apiHost": "api.segment.io/v1"}},
    "metrics": {"sampleRate": 0},
}


class SiteServer(ThreadingHTTPServer):
    """Serves the page, its bundle, its config and the CDN settings; records what is posted to
    ``/v1/*`` (the capture server of issue 18)."""

    def __init__(self, bundle: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.files: dict[str, tuple[str, bytes]] = {
            "/": ("text/html", b'<!doctype html><script type="module" src="/bundle.js"></script>'),
            "/bundle.js": ("text/javascript", bundle),
        }
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def serve_json(self, path: str, document: Any) -> None:
        self.files[path] = ("application/json", json.dumps(document).encode())

    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [m for _, body in self.posts for m in body.get("batch", [body])]


class _SiteHandler(BaseHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:
        if self.path == "/received":
            count = len(self.server.messages())
            self._answer("application/json", json.dumps({"messages": count}).encode())
            return
        found = self.server.files.get(self.path)
        if found is None:
            self.send_error(404)
        else:
            self._answer(*found)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.server.lock:
            self.server.posts.append((self.path, json.loads(body)))
        self._answer("application/json", b'{"success": true}')

    def _answer(self, kind: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site_server(site: Site) -> Iterator[SiteServer]:
    server = SiteServer(site.bundle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _serve_page(server: SiteServer, api_host: str, untyped: list[dict[str, Any]]) -> dict[str, Any]:
    page_config = {**config(api_host, server.url), "untyped": untyped}
    server.serve_json("/config.json", page_config)
    server.serve_json(f"/v1/projects/{KEY}/settings", CDN_SETTINGS)
    return page_config


# -- issue 18: the typed tracker in the browser ---------------------------------------------------


def test_typed_tracker_in_chromium_sends_valid_messages(
    browser: str, site: Site, site_server: SiteServer
) -> None:
    page_config = _serve_page(site_server, urlsplit(site_server.url).netloc + "/v1", [])
    expected = len(page_config["events"]) + 1
    result = drive(
        browser,
        url=site_server.url + "/",
        ready="window.result !== undefined",
        until={"url": site_server.url + "/received", "key": "messages", "atLeast": expected},
        show="window.result",
    )
    assert result["violations"] == []
    messages = site_server.messages()
    assert {path for path, _ in site_server.posts} == {"/v1/b"}
    assert len(messages) == expected
    schemas = {
        name: json.loads((site.folder / path).read_text("utf-8"))
        for name, path in package.schema_files(PLAN).items()
    }
    stems = {e.event: e.stem for e in modelplan.build(PLAN).events}
    checker = jsonschema.FormatChecker()
    sent = sorted(m.get("event", "identify") for m in messages)
    assert sent == sorted([*stems, "identify"])
    for m in messages:
        schema = schemas["identify" if m["type"] == "identify" else stems[m["event"]]]
        validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
        errors = [e.message for e in validator.iter_errors(m)]
        assert not errors, (m, errors)
        assert m["context"]["tracking_plan"] == {"name": PLAN.slug, "version": PLAN.version}
        assert m["context"]["library"]["name"] == "analytics.js"
        assert m["anonymousId"] == result["anonymousId"]
    size, baseline = (len(gzip.compress(b, 9)) for b in (site.bundle, site.baseline))
    print(
        f"page bundle, gzipped: {size} B (analytics-next alone {baseline} B; the generated "
        f"package with every event of {PLAN.slug} and the page {size - baseline} B)"
    )
    assert baseline < size


# -- issue 19: codegen serve sees what the browser and Node clients send --------------------------


@pytest.fixture(scope="module")
def collector() -> Iterator[str]:
    """One `codegen serve` for the module (as tests/test_serve.py starts it); emptied per use."""
    running = serve(key=KEY)
    yield running.url
    running.stop()


def test_node_and_browser_clients_through_serve_match_validate(
    browser: str, site: Site, site_server: SiteServer, collector: str, cli: CliFn, tmp_path: Path
) -> None:
    """`@segment/analytics-node` and analytics-next in Chromium send every event through the typed
    tracker and two invalid events untyped; the collector's violations equal `codegen validate`'s
    on the same messages."""
    call(collector, "DELETE", "/api/violations")
    invalid = untyped()
    page_config = _serve_page(site_server, urlsplit(collector).netloc + "/v1", invalid)
    per_client = len(page_config["events"]) + 1 + len(invalid)
    file = tmp_path / "config.json"
    file.write_text(json.dumps(page_config), "utf-8")
    done = _run(
        ["node", str(BROWSER_TOOLS / "node-send.mjs")],
        ROOT,
        PACKAGE_DIR=str(site.folder),
        CONFIG=str(file),
        SERVE_URL=collector,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"errors": [], "violations": []}
    assert api(collector, "/api/summary")["messages"] == per_client
    result = drive(
        browser,
        url=site_server.url + "/",
        ready="window.result !== undefined",
        until={"url": collector + "/api/summary", "key": "messages", "atLeast": 2 * per_client},
        show="window.result",
    )
    assert result["violations"] == []
    assert site_server.posts == []  # everything went to the collector
    summary = api(collector, "/api/summary")
    assert summary["messages"] == 2 * per_client
    assert summary["requests"] == {"200": summary["requests"]["200"]}  # only 200s
    served = assert_same_as_validate(collector, cli, tmp_path)
    kept = api(collector, "/api/messages")["messages"]
    libraries = {m["message"]["context"]["library"]["name"] for m in kept}
    assert libraries == {"@segment/analytics-node", "analytics.js"}
    found = [(v["event"], v["kind"]) for v in served]
    assert sorted(found) == sorted(
        2 * [("Order Complete", "unplanned_event")] + 2 * [("Product Viewed", "type")]
    )
    assert summary["valid"] == 2 * (per_client - len(invalid))


def test_live_page_shows_a_message_and_a_violation_sent_a_moment_before(
    browser: str, collector: str
) -> None:
    call(collector, "DELETE", "/api/violations")
    valid = order()
    assert post(collector, "/v1/track", valid)[0] == 200
    assert post(collector, "/v1/track", order(currency="euro"))[0] == 200
    [violation] = api(collector, "/api/violations")["violations"]
    texts = "(css) => [...document.querySelectorAll(css)].map((e) => e.innerText)"
    shown = drive(
        browser,
        url=collector + "/",
        ready="document.querySelectorAll('#messages tr').length === 2",
        show=f"(() => {{ const texts = {texts}; return {{ totals: texts('#totals span'),"
        "violations: texts('#violations tr'), messages: texts('#messages tr') }; })()",
    )
    assert {"messages: 2", "valid: 1", "invalid: 1", "violations: 1"} <= set(shown["totals"])
    [row] = shown["violations"]
    assert violation["kind"] in row and "Order Completed" in row and violation["message"] in row
    newest, oldest = shown["messages"]
    assert "invalid (1)" in newest and valid["properties"]["order_id"] in oldest
