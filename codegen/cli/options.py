"""Arguments and options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import formats
from .policy import err

PlanArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Plan files, or folders of *.yaml plans. Default: `plans` in \\[tool.codegen].",
        show_default=False,
    ),
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


def _choice(command: str) -> object:
    """``--format`` of one command: its choices from :mod:`.formats`, ``human`` accepted (with a
    warning) as the old spelling of ``text``; None when not given, so the configured default
    applies."""
    choices = formats.BY_COMMAND[command]

    def parse(value: str) -> str:
        canonical = formats.canonical(value)
        if canonical != value:
            err.print(f"warning: --format {value} is deprecated: use {canonical}", markup=False)
        if canonical not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return canonical

    return typer.Option(
        "--format",
        parser=parse,
        metavar="|".join(choices),
        help=f"Output format: {', '.join(choices)}. Default: text, or "
        f"`{command}` in \\[tool.codegen.format].",
        autocompletion=lambda: list(choices),
        show_default=False,
    )


# One alias per command, so each --help lists exactly that command's formats.
FormatOpt = Annotated[str | None, _choice("lint")]
CheckFormatOpt = Annotated[str | None, _choice("check")]
GenerateFormatOpt = Annotated[str | None, _choice("generate")]
TemplateFormatOpt = Annotated[str | None, _choice("check-template")]
ValidateFormatOpt = Annotated[str | None, _choice("validate")]
DiffFormatOpt = Annotated[str | None, _choice("diff")]
AuditFormatOpt = Annotated[str | None, _choice("audit")]
SimulateFormatOpt = Annotated[str | None, _choice("simulate")]
StatusFormatOpt = Annotated[str | None, _choice("status")]
StrictOpt = Annotated[
    bool | None,
    typer.Option(
        "--strict/--no-strict",
        help="Warnings fail too. Default: `strict` in \\[tool.codegen], else off.",
        show_default=False,
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache of generated Python by content hash. Default: "
        "$CODEGEN_CACHE_DIR or ~/.cache/codegen.",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]
