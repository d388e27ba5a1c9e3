"""`codegen serve`: a local Segment-compatible collector that validates live traffic."""

from __future__ import annotations

import enum
from typing import Annotated
from urllib.parse import urlsplit

import typer

from .options import PlanOpt
from .policy import err, fail, require_plan


class ForwardMode(enum.StrEnum):
    report = "report"
    strict = "strict"


def serve(
    plan: PlanOpt,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8088,
    write_key: Annotated[
        str | None,
        typer.Option(help="Require this write key (Basic auth, Bearer, or writeKey in the body)."),
    ] = None,
    forward: Annotated[
        str | None,
        typer.Option(help="Upstream collector base URL, e.g. https://api.segment.io."),
    ] = None,
    mode: Annotated[
        ForwardMode,
        typer.Option(help="With --forward: report forwards all, strict holds back invalid ones."),
    ] = ForwardMode.report,
    keep: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Messages (and their violations) kept.")
    ] = 1000,
    read_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a client may take to send a body (else 408).")
    ] = 10.0,
) -> None:
    """Collect Segment traffic on HTTP and validate every message against the plan. Point a
    Segment or Customer.io client's host at http://HOST:PORT; see / for the live page and
    /api/violations, /api/summary, /metrics."""
    from ..serve import Collector, Forward, Limits, create_app, listen, serve_forever

    resolved = require_plan(plan).plan
    upstream = None
    if forward is not None:
        parts = urlsplit(forward)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            fail(f"--forward {forward!r}: give an http(s) URL, e.g. https://api.segment.io")
        upstream = Forward(forward, mode.value)
    collector = Collector(resolved, Limits(keep=keep, read_timeout=read_timeout))
    app = create_app(collector, write_key, upstream)
    try:
        sock = listen(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    err.print(
        f"codegen serve: {resolved.name} on http://{shown}:{bound} "
        f"(page /, API /api/violations, /api/summary, metrics /metrics)"
        + (f"; forwarding to {forward} ({mode.value})" if forward else ""),
        markup=False,
        soft_wrap=True,  # one line: scripts read the address from it
    )
    serve_forever(app, sock, "warning")
