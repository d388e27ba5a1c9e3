"""`codegen generate` and `codegen check`: the generated folders, written or compared."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ..config import Options
from ..generators import generate as generate_files
from ..generators.cache import default_cache_dir
from ..generators.paths import UnsafeOutputError
from ..output.writer import changes, write
from . import formats
from .options import (
    CacheOpt,
    CheckFormatOpt,
    GenerateFormatOpt,
    NoCacheOpt,
    OutOpt,
    PlanArg,
    TemplatesOpt,
)
from .policy import (
    ExitCode,
    err,
    fail,
    load_plans,
    out,
    plans_or_configured,
    settings,
    shown_path,
    stop,
    usable,
)


def _options(templates: Path | None, cache_dir: Path | None, no_cache: bool) -> Options:
    """Flag, then environment, then [tool.codegen], then the built-in default."""
    config = settings()
    if templates is None and config.templates is not None:
        if not config.templates.is_dir():
            fail(f"templates = {str(config.templates)!r} in {config.source}: no such folder")
        templates = shown_path(config.templates)
    if (
        cache_dir is None
        and not os.environ.get("CODEGEN_CACHE_DIR")
        and config.cache_dir is not None
    ):
        cache_dir = shown_path(config.cache_dir)
    return Options(
        templates=templates, cache_dir=None if no_cache else (cache_dir or default_cache_dir())
    )


def _root_and_folder(out_dir: Path | None) -> tuple[Path, Path | None]:
    """``(root, folder)``: ``-o`` (else ``out`` in [tool.codegen]) is the folder of one plan or
    the root of several; without either, each plan goes to ``generated/<slug>/`` beside the
    pyproject.toml that configures codegen, else in the working directory."""
    config = settings()
    given = out_dir or (config.out and shown_path(config.out))
    if given:
        return given, given
    if config.source is not None:
        return shown_path(config.source.parent / "generated"), None
    return Path("generated"), None


def _generated(
    given: list[Path] | None, out_dir: Path | None, options: Options, what: str
) -> dict[Path, dict[str, str]]:
    """Every plan's files by output folder, in memory; exits if any plan has errors."""
    paths = plans_or_configured(given, what)
    root, folder = _root_and_folder(out_dir)
    plans = [
        u.plan for u in usable([loaded for _, loaded in load_plans(paths)], show_warnings=True)
    ]
    results: dict[Path, dict[str, str]] = {}
    for plan in plans:
        target = folder if folder is not None and len(plans) == 1 else root / plan.slug
        results[target] = generate_files(plan, options)
    return results


def generate(
    plans: PlanArg = None,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    fmt: GenerateFormatOpt = None,
) -> None:
    """Generate every artefact from the plan(s). Writes nothing if any plan has errors."""
    report = []
    for target, files in _generated(
        plans, out_dir, _options(templates, cache_dir, no_cache), "generate"
    ).items():
        try:
            changed = write(target, files)
        except UnsafeOutputError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {target}: {exc}")
        err.print(f"{target}: {len(files)} files, {len(changed)} changed", markup=False)
        report.append(
            {"folder": str(target), "files": len(files), "changed": sorted(c.path for c in changed)}
        )
    if settings().format("generate", fmt) == formats.JSON:
        out.print(json.dumps({"folders": report}, indent=2), markup=False)


def check(
    plans: PlanArg = None,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show what would change.")] = False,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    fmt: CheckFormatOpt = None,
) -> None:
    """Exit 1 when the generated folder is not what the plan generates now."""
    shape = settings().format("check", fmt)
    stale = False
    report = []
    for target, files in _generated(
        plans, out_dir, _options(templates, cache_dir, no_cache), "check"
    ).items():
        try:
            found = changes(target, files)
        except UnsafeOutputError as exc:  # refused on the marker alone, before reading
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot read {target}: {exc.strerror or exc}")
        stale = stale or bool(found)
        report.append(
            {"folder": str(target), "changes": [{"kind": c.kind, "path": c.path} for c in found]}
        )
        for change in found:
            err.print(f"{target}: {change.kind} {change.path}", markup=False)
            if shape == formats.GITHUB:
                out.print(_annotation(target, change.kind, change.path), markup=False)
            if diff and shape == formats.TEXT:
                out.print(change.diff(), markup=False, end="")
        if not found:
            err.print(f"{target}: up to date", markup=False)
    if shape == formats.JSON:
        out.print(json.dumps({"stale": stale, "folders": report}, indent=2), markup=False)
    if stale:
        err.print("run `codegen generate` to update", markup=False)
        stop(ExitCode.FINDINGS)


def _annotation(target: Path, kind: str, path: str) -> str:
    file = (target / path).as_posix()
    return f"::error file={file},title=codegen check::{kind}: run `codegen generate` to update"
