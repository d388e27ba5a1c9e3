"""Arguments and options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .policy import Format

PlanArg = Annotated[
    list[Path], typer.Argument(help="Plan files, or folders of *.yaml plans.", show_default=False)
]
PlanOpt = Annotated[Path, typer.Option("--plan", help="The tracking plan.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (one plan) or root folder (several). Default: generated/<slug>/.",
    ),
]
OutPlanOpt = Annotated[Path, typer.Option("--out", "-o", help="The plan YAML to write.")]
TemplatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        help="Folder of templates overriding shipped ones by file name.",
        exists=True,
        file_okay=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Diagnostics format.")]
StrictOpt = Annotated[bool, typer.Option(help="Warnings fail too.")]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache of generated Python by content hash. Default: "
        "$CODEGEN_CACHE_DIR or ~/.cache/codegen.",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]
