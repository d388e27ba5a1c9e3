"""`codegen generate` and `codegen check`: the generated folders, written or compared.

Both reuse what the output folder's manifests vouch for (files whose inputs, templates and tool
versions are unchanged and that nobody edited), so neither needs a warm cache to be fast: a
fresh CI runner checks a committed tree without running datamodel-code-generator or black.
``--no-cache`` regenerates everything: no cache, and nothing taken from the output folder
(manifests catch stale and hand-edited files, not a forged manifest).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ..config import Options
from ..generators import generate as generate_files
from ..generators.cache import default_cache_dir, read_only, reusing
from ..generators.paths import UnsafeOutputError
from ..output.manifest import TreeCache, inputs_digest, record_inputs, unchanged
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
    plan_files,
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


def _targets(files: list[Path], out_dir: Path | None) -> list[Path]:
    """Where each plan file's output may already be: its folder, or every folder under root."""
    root, folder = _root_and_folder(out_dir)
    if folder is not None and len(files) == 1:
        return [folder]
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _unchanged(paths: list[Path], out_dir: Path | None, options: Options) -> list[Path] | None:
    """Every plan's output folder, when each was written from exactly the plan's current inputs
    and not touched since (then no plan is loaded); else None."""
    files = plan_files(paths)
    candidates = _targets(files, out_dir)
    found = []
    for file in files:
        try:
            inputs = inputs_digest(file.read_bytes(), options)
        except OSError:
            return None  # the full path reports it
        match = next((c for c in candidates if unchanged(c, inputs)), None)
        if match is None:
            return None
        found.append(match)
    return found


def _generated(
    paths: list[Path],
    out_dir: Path | None,
    options: Options,
    reuse: bool = True,
    checking: bool = False,
) -> dict[Path, tuple[dict[str, str], str]]:
    """Every plan's files by output folder, in memory, with the digest of their inputs; exits
    if any plan has errors. ``reuse``: take what the folder's manifests vouch for instead of
    regenerating it; ``checking``: add nothing to the cache."""
    root, folder = _root_and_folder(out_dir)
    loaded = load_plans(paths)
    plans = [u.plan for u in usable([one for _, one in loaded], show_warnings=True)]
    results: dict[Path, tuple[dict[str, str], str]] = {}
    sources: dict[Path, Path] = {}
    for (file, _), plan in zip(loaded, plans, strict=True):
        target = folder if folder is not None and len(plans) == 1 else root / plan.slug
        if (other := sources.setdefault(target, file)) != file:
            fail(
                f"{other} and {file} both have slug `{plan.slug}`: their output would share "
                f"{target}; give each plan its own `plan.slug`"
            )
        inputs = inputs_digest(file.read_bytes(), options)
        with contextlib.ExitStack() as stack:
            if reuse:
                stack.enter_context(reusing(TreeCache(target)))
            if checking:
                stack.enter_context(read_only())
            results[target] = (generate_files(plan, options), inputs)
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
    options = _options(templates, cache_dir, no_cache)
    paths = plans_or_configured(plans, "generate")
    as_json = settings().format("generate", fmt) == formats.JSON
    report: list[dict[str, object]] = []
    if not no_cache and (same := _unchanged(paths, out_dir, options)) is not None:
        for target in same:
            err.print(f"{target}: inputs unchanged, 0 changed", markup=False)
            report.append({"folder": str(target), "files": None, "changed": []})
    else:
        for target, (files, inputs) in _generated(paths, out_dir, options, not no_cache).items():
            try:
                changed = write(target, files)
            except UnsafeOutputError as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write {target}: {exc}")
            record_inputs(target, inputs)
            err.print(f"{target}: {len(files)} files, {len(changed)} changed", markup=False)
            report.append(
                {
                    "folder": str(target),
                    "files": len(files),
                    "changed": sorted(c.path for c in changed),
                }
            )
    if as_json:
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
    options = _options(templates, cache_dir, no_cache)
    paths = plans_or_configured(plans, "check")
    stale = False
    report: list[dict[str, object]] = []
    if not no_cache and (same := _unchanged(paths, out_dir, options)) is not None:
        for target in same:
            err.print(f"{target}: up to date (inputs unchanged)", markup=False)
            report.append({"folder": str(target), "changes": []})
        results = {}
    else:
        results = _generated(paths, out_dir, options, reuse=not no_cache, checking=True)
    for target, (files, _) in results.items():
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
