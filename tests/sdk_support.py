"""Helpers for SDK tests: a recording HTTP server on 127.0.0.1, and loading generated SDKs."""

from __future__ import annotations

import gzip
import importlib
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from codegen import generate
from codegen.output.writer import write
from codegen.plan import ir


class RecordingServer(ThreadingHTTPServer):
    """Accepts Segment/Customer.io batch uploads and keeps what it received."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [m for _, _, body in self.requests for m in body["batch"]]


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.server.lock:
            self.server.requests.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def write_sdk(plan: ir.Plan, out: Path) -> Path:
    """Generate a plan's output into ``out`` and return its ``python/`` folder."""
    write(out, generate(plan))
    return out / "python"


def import_sdk(python_dir: Path, package: str) -> ModuleType:
    """Import a generated SDK from its folder (fresh, even if a same-named one was imported)."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(python_dir))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(python_dir))


def python_kwargs(model: Any, wire: dict[str, Any]) -> dict[str, Any]:
    """Method keyword arguments for a JSON sample: parsed by the model, as Python values."""
    parsed = model.model_validate_json(json.dumps(wire))
    return {name: getattr(parsed, name) for name in parsed.model_fields_set}
