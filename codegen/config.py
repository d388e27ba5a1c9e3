"""One frozen options object passed through every stage; the CLI only fills it."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TOOL_NAME = "codegen"
TOOL_VERSION = "0.1.0"


@dataclass(frozen=True)
class Options:
    """Settings for :func:`codegen.generate`.

    ``templates``: a folder whose files override shipped templates of the same name.
    ``targets``: which generators run (all by default).
    ``cache_dir``: where expensive results (formatted Python) are kept by content hash; None
    keeps them in memory only.
    ``workers``: processes for generating many Python modules (output does not depend on it).
    """

    templates: Path | None = None
    targets: tuple[str, ...] = ("schemas", "python", "liquid", "docs", "typescript")
    cache_dir: Path | None = None
    workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block (loading a plan, generating): both make
    millions of small objects that reference counting frees, while every collection walks all
    that is already in memory (the plan, the previous generation read back). Measured at 1000
    events: loading the plan 2.1-2.6 s → 1.1 s; a one-event regeneration in a new process
    (farm-bench medians) 1.87 → 1.37 s. The state is restored after, whatever it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
