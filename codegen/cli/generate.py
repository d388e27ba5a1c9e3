"""`codegen generate` and `codegen check`: the generated folders, written or compared.

Both reuse what the output folder's manifests vouch for (files whose inputs, templates and tool
versions are unchanged and that nobody edited), so neither needs a warm cache to be fast: a
fresh CI runner checks a committed tree without running datamodel-code-generator or black.
``--no-cache`` regenerates everything: no cache, and nothing taken from the output folder
(manifests catch stale and hand-edited files, not a forged manifest).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from ..config import Options
from ..generators import generate as generate_files
from ..generators.cache import default_cache_dir, reusing
from ..generators.paths import UnsafeOutputError
from ..output.manifest import TreeCache, inputs_digest, record_inputs, unchanged
from ..output.writer import changes, write
from .options import CacheOpt, NoCacheOpt, OutOpt, PlanArg, TemplatesOpt
from .policy import ExitCode, err, fail, load_plans, out, plan_files, stop, usable


def _options(templates: Path | None, cache_dir: Path | None, no_cache: bool) -> Options:
    return Options(
        templates=templates, cache_dir=None if no_cache else (cache_dir or default_cache_dir())
    )


def _unchanged(paths: list[Path], out_dir: Path | None, options: Options) -> list[Path] | None:
    """Every plan's output folder, when each was written from exactly the plan's current inputs
    and not touched since (then no plan is loaded); else None."""
    files = plan_files(paths)
    if out_dir is not None and len(files) == 1:
        candidates = [out_dir]
    else:
        parent = out_dir or Path("generated")
        candidates = sorted(p for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
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
    paths: list[Path], out_dir: Path | None, options: Options, reuse: bool = True
) -> dict[Path, tuple[dict[str, str], str]]:
    """Every plan's files by output folder, in memory, with the digest of their inputs; exits
    if any plan has errors. ``reuse``: take what the folder's manifests vouch for instead of
    regenerating it."""
    loaded = load_plans(paths)
    plans = [u.plan for u in usable([one for _, one in loaded], show_warnings=True)]
    results: dict[Path, tuple[dict[str, str], str]] = {}
    for (file, _), plan in zip(loaded, plans, strict=True):
        if out_dir is not None and len(plans) == 1:
            target = out_dir
        else:
            target = (out_dir or Path("generated")) / plan.slug
        inputs = inputs_digest(file.read_bytes(), options)
        with reusing(TreeCache(target)) if reuse else contextlib.nullcontext():
            results[target] = (generate_files(plan, options), inputs)
    return results


def generate(
    plans: PlanArg,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Generate every artefact from the plan(s). Writes nothing if any plan has errors."""
    options = _options(templates, cache_dir, no_cache)
    if not no_cache and (same := _unchanged(plans, out_dir, options)) is not None:
        for target in same:
            err.print(f"{target}: inputs unchanged, 0 changed", markup=False)
        return
    for target, (files, inputs) in _generated(plans, out_dir, options, not no_cache).items():
        try:
            changed = write(target, files)
        except UnsafeOutputError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {target}: {exc}")
        record_inputs(target, inputs)
        err.print(f"{target}: {len(files)} files, {len(changed)} changed", markup=False)


def check(
    plans: PlanArg,
    out_dir: OutOpt = None,
    templates: TemplatesOpt = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show what would change.")] = False,
    cache_dir: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Exit 1 when the generated folder is not what the plan generates now."""
    options = _options(templates, cache_dir, no_cache)
    if not no_cache and (same := _unchanged(plans, out_dir, options)) is not None:
        for target in same:
            err.print(f"{target}: up to date (inputs unchanged)", markup=False)
        return
    stale = False
    for target, (files, _) in _generated(plans, out_dir, options, reuse=not no_cache).items():
        found = changes(target, files)
        stale = stale or bool(found)
        for change in found:
            err.print(f"{target}: {change.kind} {change.path}", markup=False)
            if diff:
                out.print(change.diff(), markup=False, end="")
        if not found:
            err.print(f"{target}: up to date", markup=False)
    if stale:
        err.print("run `codegen generate` to update", markup=False)
        stop(ExitCode.FINDINGS)
