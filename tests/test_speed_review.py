"""An attack on the generation speed-ups since 25a17f8 (the writer's links, the paused cycle
collector, the CLI's os._exit, read-only checks, compiled templates kept in the cache, early
worker pools). The promise: nothing changes but time. Every difference it found was fixed and is
a plain test here; the other tests are angles that held. Known and not new (the workers'
default Ctrl-C handling, as before these changes): a worker interrupted as it starts prints a
traceback."""

from __future__ import annotations

import errno
import gc
import glob
import json
import linecache
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jinja2.bccache import bc_magic

from codegen.config import Options, collector_paused
from codegen.generators import generate, render
from codegen.generators.cache import per_plan, reusing
from codegen.generators.pysdk import models
from codegen.output.manifest import TreeCache
from codegen.output.writer import write

from .conftest import ROOT, glow_shop

GLOW = ROOT / "plans" / "glow_shop.yaml"
BENCH = ROOT / "bench"


# -- the CLI as a process ----------------------------------------------------------------------


def _codegen(
    tmp_path: Path, *args: str, shell_redirect: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m codegen ARGS`` in ``tmp_path``; ``shell_redirect`` (``>&-``) is applied by
    a shell, to run it with a closed stdout or stderr."""
    environment = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),  # crash reports
        "NO_COLOR": "1",
        **(env or {}),
    }
    command = [sys.executable, "-m", "codegen", *args]
    if shell_redirect:
        command = ["sh", "-c", f'exec "$@" {shell_redirect}', "sh", *command]
    return subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )


def test_closed_stdout_is_not_a_traceback(tmp_path: Path) -> None:
    run = _codegen(tmp_path, "lint", str(GLOW), shell_redirect=">&-")
    assert "Traceback" not in run.stderr
    assert run.returncode == 0
    assert "0 errors" in run.stderr


def test_closed_stderr_keeps_the_exit_code(tmp_path: Path) -> None:
    run = _codegen(tmp_path, "lint", str(GLOW), shell_redirect="2>&-")
    assert run.returncode == 0


def test_usage_error_help_and_plan_errors(tmp_path: Path) -> None:
    usage = _codegen(tmp_path, "generate", "--bogus")
    assert usage.returncode == 2
    assert "No such option" in usage.stderr and "Traceback" not in usage.stderr
    shown = _codegen(tmp_path, "generate", "--help")
    assert shown.returncode == 0 and "Usage" in shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GLOW.read_text(encoding="utf-8").replace("slug:", "slug: [", 1))
    failed = _codegen(tmp_path, "generate", str(bad), "-o", "out", "--no-cache")
    assert failed.returncode in (1, 2), failed.stderr
    assert "bad.yaml:" in failed.stderr and "Traceback" not in failed.stderr
    assert not (tmp_path / "out").exists()


def test_broken_pipe_exit_as_before(tmp_path: Path) -> None:
    """Before the change too: click pacifies the pipe and exits 1, without a traceback."""
    read, write_end = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "codegen", "lint", str(GLOW), "--format", "json"],
            cwd=tmp_path,
            env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr


def _marked(mark: str) -> list[str]:
    left = []
    for environ in glob.glob("/proc/[0-9]*/environ"):
        try:
            if f"CODEGEN_SPEED_REVIEW={mark}".encode() in Path(environ).read_bytes():
                left.append(environ)
        except OSError:
            continue
    return left


def _synthetic(tmp_path: Path, events: int) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from synthetic import plan_yaml
    finally:
        sys.path.remove(str(BENCH))
    text = plan_yaml(events, "syn").replace(
        "commerce/cart-id]", "commerce/cart-id, consistency/property-type]"
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_cold_generate_with_early_pool_leaves_no_process_and_full_json(tmp_path: Path) -> None:
    """62 modules: early_pool starts workers (62 * 0.025 s >= 1.5 s) on a cold cache."""
    _synthetic(tmp_path, 60)
    mark = f"{os.getpid()}-{id(tmp_path)}"
    run = _codegen(
        tmp_path,
        *("generate", "p.yaml", "-o", "out", "--cache-dir", "cache", "--format", "json"),
        env={"CODEGEN_SPEED_REVIEW": mark},
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    folder = report["folders"][0]
    on_disk = [
        p.relative_to(tmp_path / "out").as_posix()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    ]
    assert folder["files"] == len(on_disk) - 2  # the marker and the input record
    assert sorted(folder["changed"]) == sorted(p for p in on_disk if p != ".codegen-inputs.json")
    assert _marked(mark) == []


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_error_after_the_early_pool_started_leaves_no_worker(tmp_path: Path) -> None:
    """The SDK's templates render after early_pool started its workers: an override that
    fails there ends the command (exit 3, as on 25a17f8) with end_workers() ending the pool."""
    _synthetic(tmp_path, 60)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_runtime.py.j2").write_text("{{ nope.x }}\n", encoding="utf-8")
    mark = f"err-{os.getpid()}-{id(tmp_path)}"
    run = _codegen(
        tmp_path,
        *("generate", "p.yaml", "-o", "out", "--no-cache", "--templates", "templates"),
        env={"CODEGEN_SPEED_REVIEW": mark},
    )
    assert run.returncode == 3, run.stderr
    assert "UndefinedError" in run.stderr
    assert not (tmp_path / "out").exists()
    assert _marked(mark) == []


@dataclass(frozen=True)
class _Interrupted:
    returncode: int
    stderr: str
    folder: Path
    left: list[str]


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> _Interrupted:
    """A cold `generate` of 60 events (an early pool of 2 workers) interrupted as a terminal's
    Ctrl-C does (SIGINT to the whole group) as soon as its workers exist."""
    if not Path("/proc/self/environ").exists():
        pytest.skip("reads /proc")
    tmp_path = tmp_path_factory.mktemp("interrupted")
    _synthetic(tmp_path, 60)
    mark = f"int-{os.getpid()}-{id(tmp_path)}"
    process = subprocess.Popen(
        [sys.executable, "-m", "codegen", "generate", "p.yaml", "-o", "out", "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "CODEGEN_SPEED_REVIEW": mark},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(_marked(mark)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the main process and its two workers
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("generation ended before the interrupt")
    deadline = time.monotonic() + 5
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _Interrupted(process.returncode, stderr, tmp_path, _marked(mark))


def test_ctrl_c_during_generate_ends_every_process_and_writes_nothing(
    interrupted: _Interrupted,
) -> None:
    assert interrupted.returncode == 130, interrupted.stderr
    assert not (interrupted.folder / "out").exists()
    assert [p.name for p in interrupted.folder.iterdir() if p.name.startswith(".out")] == []
    assert interrupted.left == []


def test_check_writes_nothing_to_the_cache(tmp_path: Path) -> None:
    made = _codegen(tmp_path, "generate", str(GLOW), "-o", "out", "--no-cache")
    assert made.returncode == 0, made.stderr
    with open(tmp_path / "out" / "README.md", "a", encoding="utf-8") as handle:
        handle.write("edited\n")
    (tmp_path / "cache").mkdir()
    checked = _codegen(
        tmp_path, "check", str(GLOW), "-o", "out", "--cache-dir", "cache", "--format", "json"
    )
    assert checked.returncode == 1
    assert "changed README.md" in checked.stderr
    assert json.loads(checked.stdout) == {
        "stale": True,
        "folders": [{"folder": "out", "changes": [{"kind": "changed", "path": "README.md"}]}],
    }
    assert list((tmp_path / "cache").iterdir()) == []


def test_check_of_a_missing_folder_writes_nothing_to_the_cache(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    checked = _codegen(tmp_path, "check", str(GLOW), "-o", "missing", "--cache-dir", "cache")
    assert checked.returncode == 1, checked.stderr
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


def test_internal_error_exit_3_with_the_saved_traceback(tmp_path: Path) -> None:
    """The real main(), with generation made to fail: the crash report is written before the
    process ends with os._exit, and the one line names it."""
    script = (
        "import sys\n"
        "import codegen.cli.generate as g\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('boom')\n"
        "g.generate_files = boom\n"
        "from codegen.cli.app import main\n"
        f"sys.argv = ['codegen', 'generate', {str(GLOW)!r}, '-o', 'out', '--no-cache']\n"
        "main()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert "internal error (RuntimeError: boom); traceback saved to " in line
    found = re.search(r"traceback saved to (\S+\.txt)", line)
    assert found is not None
    saved = Path(found.group(1))
    assert saved.is_file() and "RuntimeError: boom" in saved.read_text(encoding="utf-8")
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


# -- the writer's links ------------------------------------------------------------------------


def test_unchanged_file_gets_the_mode_of_a_new_file(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\n", "b.txt": "B\n"})
    os.chmod(out / "a.txt", 0o755)
    write(out, {"a.txt": "A\n", "b.txt": "B\n", "c.txt": "C\n"})
    fresh = stat.S_IMODE(os.stat(out / "c.txt").st_mode)
    assert stat.S_IMODE(os.stat(out / "a.txt").st_mode) == fresh


def test_generated_file_shares_no_inode_with_a_file_outside(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\n"})
    outside = tmp_path / "backup-a.txt"
    os.link(out / "a.txt", outside)
    write(out, {"a.txt": "A\n", "b.txt": "B\n"})
    assert os.stat(out / "a.txt").st_ino != os.stat(outside).st_ino


def test_file_replaced_between_read_and_link_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\n", "b.txt": "B\n"})
    real = os.link

    def replaced_first(source: Any, target: Any, **kwargs: Any) -> None:
        if Path(source).name == "a.txt":  # someone else's a.txt lands just now
            other = tmp_path / "other.txt"
            other.write_bytes(b"someone else's\n")
            os.replace(other, source)
        real(source, target, **kwargs)

    monkeypatch.setattr(os, "link", replaced_first)
    write(out, {"a.txt": "A\n", "b.txt": "B2\n"})
    assert (out / "a.txt").read_bytes() == b"A\n"


def test_link_refused_across_file_systems_writes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\n", "b.txt": "B\n"})
    before = os.stat(out / "a.txt").st_ino

    def exdev(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", exdev)
    write(out, {"a.txt": "A\n", "b.txt": "B2\n"})
    assert (out / "a.txt").read_bytes() == b"A\n"
    assert (out / "b.txt").read_bytes() == b"B2\n"
    assert os.stat(out / "a.txt").st_ino != before


def test_symlink_with_the_same_bytes_becomes_a_plain_file(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\n", "b.txt": "B\n"})
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"A\n")
    (out / "a.txt").unlink()
    (out / "a.txt").symlink_to(target)
    write(out, {"a.txt": "A\n", "b.txt": "B2\n"})
    assert not (out / "a.txt").is_symlink()
    assert (out / "a.txt").read_bytes() == b"A\n"
    assert os.stat(out / "a.txt").st_ino != os.stat(target).st_ino
    assert target.read_bytes() == b"A\n"


def test_line_endings_only_change_is_rewritten_when_anything_changes(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    write(out, {"a.txt": "A\nB\n", "b.txt": "B\n"})
    (out / "a.txt").write_bytes(b"A\r\nB\r\n")
    assert write(out, {"a.txt": "A\nB\n", "b.txt": "B\n"}) == []  # as before: no change
    assert (out / "a.txt").read_bytes() == b"A\r\nB\r\n"
    write(out, {"a.txt": "A\nB\n", "b.txt": "B2\n"})
    assert (out / "a.txt").read_bytes() == b"A\nB\n"


def test_folder_and_file_swap_places(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    write(out, {"d/x.txt": "X\n", "f": "F\n"})
    write(out, {"d": "X\n", "f/x.txt": "F\n"})
    assert (out / "d").read_bytes() == b"X\n"
    assert (out / "f" / "x.txt").read_bytes() == b"F\n"


def test_bytecode_caches_kept_or_dropped_as_before(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    output = {"pkg/m.py": "X = 1\n"}
    write(out, output)
    cached = out / "pkg" / "__pycache__" / "m.cpython-311.pyc"
    cached.parent.mkdir()
    cached.write_bytes(b"\0bytecode")
    assert write(out, output) == []
    assert cached.exists()  # nothing changed: kept
    write(out, {**output, "pkg/n.py": "Y = 2\n"})
    assert not cached.parent.exists()  # dropped with the old tree


def test_error_half_way_leaves_the_old_tree_and_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "gen"
    old = {f"f{i}.txt": f"{i}\n" for i in range(6)}
    write(out, old)
    inodes = {p.name: (p.stat().st_ino, p.read_bytes()) for p in out.iterdir()}
    calls = []
    real = os.fsync

    def failing(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", failing)
    new = {**old, "f0.txt": "changed\n", "f9.txt": "new\n", "f8.txt": "new\n"}
    with pytest.raises(OSError):
        write(out, new)
    assert {p.name: (p.stat().st_ino, p.read_bytes()) for p in out.iterdir()} == inodes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen"]


def test_words_answers_are_not_shared_between_callers() -> None:
    from codegen.plan.names import words

    first = words("OrderCompleted2 v")
    first.append("mutated")
    assert words("OrderCompleted2 v") == ["order", "completed2", "v"]


# -- the cycle collector -----------------------------------------------------------------------


def test_collector_state_restored_nested_after_errors_and_when_off() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        with pytest.raises(ValueError), collector_paused():
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner block leaves the outer one's state
            raise ValueError
        assert gc.isenabled()
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller who turned it off keeps it off
        from codegen.pipeline import load_plan_text

        assert load_plan_text("plan: [").plan is None
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


# -- model plans per plan ----------------------------------------------------------------------


class _Plan:
    """Stands for a frozen ir plan: compared by identity, weak-referenceable."""


def test_per_plan_never_answers_with_another_plans_result() -> None:
    built = per_plan(lambda plan: ("model plan of", id(plan)))
    first, second = _Plan(), _Plan()
    built(first)  # memoised: the next call for `first` takes the shortcut
    code = built.__code__
    answer_line = next(
        n
        for n in range(code.co_firstlineno, code.co_firstlineno + 20)
        if linecache.getline(code.co_filename, n).strip() == "return entry[1]"
    )
    checked, resume = threading.Event(), threading.Event()
    answers: list[object] = []

    def trace(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is not code:
            return None

        def line(frame: Any, event: str, arg: Any) -> Any:
            if event == "line" and frame.f_lineno == answer_line:
                checked.set()
                resume.wait(5)
            return line

        return line

    def ask() -> None:
        sys.settrace(trace)
        try:
            answers.append(built(first))
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=ask)
    thread.start()
    assert checked.wait(5)
    built(second)  # another plan, in another thread, at that moment
    resume.set()
    thread.join(5)
    assert answers == [("model plan of", id(first))]


# -- compiled templates in the cache -----------------------------------------------------------


@pytest.fixture
def fresh_environments() -> Any:
    render.environment.cache_clear()
    yield
    render.environment.cache_clear()


def test_damaged_compiled_template_is_a_miss(tmp_path: Path, fresh_environments: None) -> None:
    folder, cache = tmp_path / "templates", tmp_path / "compiled"
    folder.mkdir()
    (folder / "hello.j2").write_text("Hello {{ who }}\n", encoding="utf-8")
    with render.compiled_templates_in(cache):
        assert render.render("hello.j2", folder, who="a") == "Hello a\n"
    entries = list(cache.iterdir())
    assert entries
    for entry in entries:
        entry.write_bytes(bc_magic + b"\xffdamaged")
    render.environment.cache_clear()
    with render.compiled_templates_in(cache):
        assert render.render("hello.j2", folder, who="a") == "Hello a\n"


def test_compiled_templates_follow_codegen_code(
    tmp_path: Path, fresh_environments: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled code depends on the environment's settings, which Jinja's keys do not cover:
    each version of codegen's code (code_key) has its own folder of compiled templates."""
    import codegen.generators as generators

    plan = glow_shop()
    generate(plan, Options(targets=("docs",), cache_dir=tmp_path))
    first = {p.name for p in (tmp_path / "templates").iterdir()}
    assert len(first) == 1
    monkeypatch.setattr(generators, "code_key", lambda templates: "f" * 64)
    render.environment.cache_clear()  # a new process
    generate(plan, Options(targets=("docs",), cache_dir=tmp_path))
    assert {p.name for p in (tmp_path / "templates").iterdir()} == first | {"f" * 16}


def test_changed_override_and_shipped_name_not_taken_from_compiled(
    tmp_path: Path, fresh_environments: None
) -> None:
    cache = tmp_path / "compiled"
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "pyproject.toml.j2").write_text("one {{ x }}\n", encoding="utf-8")
    with render.compiled_templates_in(cache):
        assert render.render("python/pyproject.toml.j2", folder, x=1) == "one 1\n"
    (folder / "pyproject.toml.j2").write_text("two {{ x }}\n", encoding="utf-8")
    render.environment.cache_clear()
    with render.compiled_templates_in(cache):
        assert render.render("python/pyproject.toml.j2", folder, x=1) == "two 1\n"
    # a cache folder that is a file: only time is lost
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    render.environment.cache_clear()
    with render.compiled_templates_in(blocked):
        assert render.render("python/pyproject.toml.j2", folder, x=2) == "two 2\n"


# -- worker pools ------------------------------------------------------------------------------


def test_generate_over_its_own_folder_stores_the_same_whole_output(
    tmp_path: Path, fresh_environments: None
) -> None:
    """Reusing the folder's manifests (TreeCache, so regenerating() is true and no early pool
    starts) gives the bytes a plain generation gives, and the cache keeps the whole output."""
    plan = glow_shop()
    plain = generate(plan, Options(workers=1))
    out = tmp_path / "out"
    write(out, plain)
    cache = tmp_path / "cache"
    render.environment.cache_clear()  # templates compiled again, into the cache folder
    with reusing(TreeCache(out)):
        assert len(TreeCache(out)) > 0
        again = generate(plan, Options(workers=1, cache_dir=cache))
    assert again == plain
    assert len(list((cache / "outputs").glob("*.json.txt"))) == 1
    assert list((cache / "templates").iterdir())  # compiled templates kept when writable


def test_workers_give_the_same_output_and_every_pool_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = glow_shop()
    one = generate(plan, Options(targets=("python",), workers=1))
    monkeypatch.setattr(models, "_PARALLEL_FROM", 0.0)  # a pool for any amount of work
    two = generate(plan, Options(targets=("python",), workers=2))
    assert two == one
    assert len(models._POOLS) == 0
