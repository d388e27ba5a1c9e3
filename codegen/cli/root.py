"""Options of ``codegen`` itself (before any command): ``--version``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import TOOL_NAME, TOOL_VERSION
from .policy import out


def _version(value: bool) -> None:
    if value:
        out.print(f"{TOOL_NAME} {TOOL_VERSION}", markup=False)
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Tracking plan in YAML → JSON Schemas, typed Python SDK, Customer.io docs and checks."""
