"""`codegen serve`: a local collector that speaks Segment's HTTP Tracking API and validates live
traffic with the very checker `codegen validate` uses.

``wire`` turns one HTTP request (auth header, gzip, size limits, JSON) into messages or a
rejection; ``collector`` validates them and keeps bounded state (the last N messages and their
violations, counts by event and kind, coverage, Prometheus metrics); ``app`` is the Starlette
application (tracking endpoints, the JSON API, the live page, forwarding upstream); ``runner``
starts it under Uvicorn in the foreground or on a thread (tests, the pytest plugin).

It imports ``validate`` (the checker and its summary) and ``plan`` (the ir), nothing later.
"""

from .app import Forward, create_app
from .collector import Collector, Limits
from .runner import Running, listen, serve_forever, start

__all__ = [
    "Collector",
    "Forward",
    "Limits",
    "Running",
    "create_app",
    "listen",
    "serve_forever",
    "start",
]
