"""`codegen schema`: the JSON Schema of the plan format, for editors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..plan.filemodel import format_json_schema
from .policy import write_text


def schema(
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the plan format (for yaml-language-server)."""
    text = json.dumps(format_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)
