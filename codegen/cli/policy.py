"""One application policy: how every command loads its input, prints diagnostics, picks its exit
code and reports an internal error. Commands call these helpers and never ``typer.Exit`` with a
number of their own.

Exit codes (README.md, "Exit codes", has the same table):

- 0 ``OK``: the command did what was asked. Warnings alone do not fail (unless ``--strict``).
- 1 ``FINDINGS``: the input was read and something in it is wrong: a plan with errors (unknown
  keys, wrong values, dangling references, lint errors; for ``diff`` see :func:`baseline`),
  warnings with ``--strict``, stale generated output, template errors, violations beyond
  ``--max-violations``, a version bumped too little or a ``--fail-on`` match, an import source
  with errors.
- 2 ``UNUSABLE``: the command could not run on what it was given: a usage error or a bad option
  value, an input that is missing or cannot be read or parsed at all (I/O error, not UTF-8,
  invalid YAML or JSON, duplicate keys, alias bombs, over the size limit: the ``load/*``
  diagnostics), an output that cannot be written, a plan construct the journey SQL cannot
  express.
- 3 ``INTERNAL``: a bug in codegen. One line on stderr names the command and the file holding the
  full traceback (see :func:`crash_file`); never a raw traceback.

Diagnostics about a plan always carry ``file:line:column``. ``lint``, ``generate`` and ``check``
print a plan's warnings; the other commands print a plan's diagnostics only when it has errors.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..config import TOOL_VERSION
from ..pipeline import Loaded, load_plan
from ..plan import ir
from ..plan.diagnostics import Diagnostic, Level, Location
from ..plan.filemodel import PlanFile
from . import diagnostics as report
from .config import FILE, ConfigError, Settings
from .config import load as load_settings


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    UNUSABLE = 2
    INTERNAL = 3


class Format(enum.StrEnum):
    """How diagnostics are printed: text for people, JSON for tools, GitHub annotations."""

    text = "text"
    json = "json"
    github = "github"
    human = "text"  # the old spelling, an alias of ``text`` (see formats.ALIASES)


out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Diagnostics meaning "could not be read at all" rather than "read, and wrong".
_UNREADABLE = ("load/", "import/unreadable")


def unreadable(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.code.startswith(_UNREADABLE) for d in diagnostics)


def exit_code(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> ExitCode:
    """2 when an input could not be read, 1 on errors (or warnings with ``strict``), else 0."""
    found = list(diagnostics)
    if unreadable(found):
        return ExitCode.UNUSABLE
    failing = (Level.WARNING, Level.ERROR) if strict else (Level.ERROR,)
    return ExitCode.FINDINGS if any(d.level in failing for d in found) else ExitCode.OK


def stop(code: ExitCode) -> NoReturn:
    raise typer.Exit(int(code))


def fail(message: str, code: ExitCode = ExitCode.UNUSABLE) -> NoReturn:
    """One ``error: ...`` line on stderr, then exit (2 unless said otherwise)."""
    err.print(f"error: {message}", markup=False)
    stop(code)


def show(diagnostics: Sequence[Diagnostic], fmt: Format = Format.text) -> None:
    """Human text goes to stderr; JSON and GitHub annotations, being the output, to stdout."""
    if fmt is Format.json:
        out.print(report.as_json(diagnostics), markup=False)
    elif fmt is Format.github:
        for d in diagnostics:
            out.print(report.github(d), markup=False)
    else:
        for d in diagnostics:
            err.print(report.human(d))


def conclude(
    diagnostics: Sequence[Diagnostic], fmt: Format, what: str, *, strict: bool
) -> NoReturn:
    """Print findings, a one-line count (human format) and exit with their code."""
    show(diagnostics, fmt)
    if fmt is Format.text:
        err.print(f"{what}: {report.summary(diagnostics)}", markup=False)
    stop(exit_code(diagnostics, strict=strict))


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


# -- settings ------------------------------------------------------------------------------------


def settings() -> Settings:
    """``[tool.codegen]`` of the nearest pyproject.toml; a broken one exits 2, located."""
    try:
        return load_settings(Path.cwd())
    except ConfigError as exc:
        show([exc.diagnostic])
        stop(ExitCode.UNUSABLE)


def shown_path(path: Path) -> Path:
    """A configured (absolute) path as the user would type it: relative to the working
    directory when it is below it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def plans_or_configured(given: Sequence[Path] | None, what: str) -> list[Path]:
    """The plans given on the command line, else ``plans`` of ``[tool.codegen]``; exit 2 when
    there are neither."""
    if given:
        return list(given)
    configured = settings().plans
    if not configured:
        fail(f"{what}: give plan files or folders, or set `plans` in [tool.codegen] of {FILE}")
    return [shown_path(p) for p in configured]


# -- plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usable:
    """A plan that loaded without errors (it may carry warnings)."""

    plan: ir.Plan
    spec: PlanFile
    diagnostics: tuple[Diagnostic, ...]


def usable(loaded: Sequence[Loaded], *, show_warnings: bool = False) -> list[Usable]:
    """The loaded plans, or print every plan's diagnostics and exit: 2 when one could not be
    read, else 1 when one has errors. ``show_warnings`` prints the diagnostics of good plans."""
    diagnostics = [d for one in loaded for d in one.diagnostics]
    good = [
        Usable(one.plan, one.spec, one.diagnostics)
        for one in loaded
        if one.plan is not None and one.spec is not None
    ]
    code = exit_code(diagnostics)
    if code is not ExitCode.OK or len(good) != len(loaded):
        show(diagnostics)
        stop(max(code, ExitCode.FINDINGS))
    if show_warnings:
        show(diagnostics)
    return good


def baseline(loaded: Loaded) -> Usable:
    """A plan compared against (``diff``'s OLD): it must resolve, but its lint errors are history,
    not findings of this run, so they are neither printed nor failing."""
    if loaded.plan is None or loaded.spec is None:
        show(loaded.diagnostics)
        stop(max(exit_code(loaded.diagnostics), ExitCode.FINDINGS))
    return Usable(loaded.plan, loaded.spec, loaded.diagnostics)


def require_plan(path: Path) -> Usable:
    """The plan at ``path`` for a command that needs a plan without errors."""
    [plan] = usable([load(path)])
    return plan


def plan_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders expanded to their ``*.yaml``/``*.yml``; exit 2 when none."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    if not files:
        fail("no plan files (*.yaml, *.yml) found")
    return files


def load(path: Path) -> Loaded:
    """A plan, with ``[tool.codegen.lint]`` applied to its findings."""
    loaded = load_plan(path)
    return dataclasses.replace(loaded, diagnostics=settings().adjust(loaded.diagnostics))


def load_plans(paths: Sequence[Path]) -> list[tuple[Path, Loaded]]:
    return [(file, load(file)) for file in plan_files(paths)]


# -- other inputs and outputs --------------------------------------------------------------------


def require_files(paths: Iterable[str]) -> None:
    """Exit 2 unless every path (``-`` is stdin) is an existing file."""
    for path in paths:
        if path != "-" and not Path(path).is_file():
            fail(f"cannot read {path}: no such file")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {_reason(exc)}")


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def read_json(path: Path) -> object:
    """A JSON document; exit 2 with ``file:line:column`` when it is not JSON."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = Location(str(path), exc.lineno, exc.colno)
        show([Diagnostic(where, "import/unreadable", Level.ERROR, f"invalid JSON: {exc.msg}")])
        stop(ExitCode.UNUSABLE)


# -- internal errors -----------------------------------------------------------------------------


def crash_file() -> Path:
    """Where a traceback is kept: ``$XDG_STATE_HOME/codegen/crashes/`` (default
    ``~/.local/state``), one file per crash."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(state) / "codegen" / "crashes" / f"{stamp}-{os.getpid()}.txt"


def save_traceback(command: str, exc: BaseException) -> Path | None:
    """Write the traceback to :func:`crash_file` (else a temp file); None if neither works."""
    text = (
        f"codegen {TOOL_VERSION}, Python {sys.version.split()[0]}\n"
        f"command: {command}\nargv: {sys.argv}\n\n" + "".join(traceback.format_exception(exc))
    )
    path = crash_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        pass
    try:
        handle, name = tempfile.mkstemp(prefix="codegen-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        return Path(name)
    except OSError:
        return None


def internal_error(command: str, exc: Exception) -> NoReturn:
    saved = save_traceback(command, exc)
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    where = f"traceback saved to {saved}" if saved else "the traceback could not be saved"
    err.print(
        f"{command}: internal error ({what}); {where}. Please report it.",
        markup=False,
        soft_wrap=True,
    )
    stop(ExitCode.INTERNAL)


class Group(TyperGroup):
    """A command group that turns any unexpected exception of a subcommand into
    :func:`internal_error` (exit 3). Every ``typer.Typer`` of the CLI uses it."""

    # The base class annotates the Context of typer's private vendored click; typer.Context is
    # the public subclass it passes.
    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise  # exits, usage errors (2) and a closed pipe are typer's to handle
        except Exception as exc:
            command = " ".join(p for p in (ctx.command_path, ctx.invoked_subcommand) if p)
            internal_error(command, exc)
