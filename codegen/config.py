"""One frozen options object passed through every stage; the CLI only fills it."""

from __future__ import annotations

import os
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
