"""Running the application under Uvicorn: in the foreground (the CLI) or on a thread."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from .collector import Collector

STARTUP_SECONDS = 30.0


def _config(app: Starlette, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_keep_alive=5,
        server_header=False,
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (``OSError`` when the address is taken or not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says TCP, and without it every answer waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def serve_forever(app: Starlette, sock: socket.socket, log_level: str = "info") -> None:
    """Serve on ``sock`` (from :func:`listen`) until interrupted (Ctrl-C, SIGTERM)."""
    host, port = sock.getsockname()[:2]
    uvicorn.Server(_config(app, host, port, log_level)).run(sockets=[sock])


@dataclass
class Running:
    """A server on a thread: its ``url`` and ``collector``; ``stop()`` ends it."""

    url: str
    collector: Collector
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_SECONDS)


def start(app: Starlette, collector: Collector, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve on a thread; ``port`` 0 takes a free one (bound here, so no other process can take
    it between choosing and listening)."""
    sock = listen(host, port)
    bound = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, host, bound, "warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="codegen-serve", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the collector did not start on {host}:{bound}")
        time.sleep(0.01)
    shown = f"[{host}]" if ":" in host else host
    return Running(f"http://{shown}:{bound}", collector, server, thread)
