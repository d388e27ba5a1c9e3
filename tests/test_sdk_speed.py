"""The formatting shortcuts behind generation speed (issue 14) change no byte of black's output:
tracker methods kept as rendered when black would leave them alone, runs of lines handed to
black as their first line only. Each is held to black itself, on the example plan, a synthetic
plan and fuzzed plans."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import Any

import black
import isort
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import Options, generate
from codegen.generators.pysdk import formatting
from codegen.generators.pysdk.formatting import (
    _annotation_stable,
    format_python,
    stable_methods,
    stable_tail,
    tail_fits,
)
from codegen.pipeline import load_plan_text

from .conftest import glow_shop, plan_from
from .plan_fuzz import plans
from .test_manifest import _synthetic, _tracker_source


def black_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut off: black and isort see every line, as before issue 14."""
    monkeypatch.setattr(formatting, "stable_methods", lambda piece: False)
    monkeypatch.setattr(formatting, "stable_tail", lambda source: (source, ""))
    monkeypatch.setattr(
        formatting,
        "_black_eliding",
        lambda source: black.format_str(source, mode=formatting._BLACK),
    )
    monkeypatch.setattr(
        formatting,
        "_isorted",
        lambda source, first_party: isort.code(source, config=formatting._isort(first_party)),
    )
    from codegen.generators.pysdk import models

    monkeypatch.setattr(models, "stable_methods", lambda piece: False)
    monkeypatch.setattr(models, "stable_tail", lambda source: (source, ""))


def test_synthetic_tracker_is_kept_as_rendered_and_equals_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = plan_from(_synthetic(40))
    source = _tracker_source(plan)
    head, tail = stable_tail(source)
    assert tail.count("\n    def ") >= 39 and tail_fits(head)  # every event method kept
    fast = generate(plan, Options(targets=("python",), workers=1))
    black_only(monkeypatch)
    assert generate(plan, Options(targets=("python",), workers=1)) == fast


def test_example_plan_equals_black(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = glow_shop()
    fast = generate(plan, Options(targets=("python",), workers=1))
    black_only(monkeypatch)
    assert generate(plan, Options(targets=("python",), workers=1)) == fast


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plans())
def test_fuzzed_sdk_modules_are_black_and_isort_fixed_points(plan: dict[str, Any]) -> None:
    """Hostile names, descriptions and enums: whatever the shortcuts kept is what black and
    isort write (the tracker's methods go through the narrow grammar or through black)."""
    text = yaml.safe_dump(plan, allow_unicode=True, sort_keys=False, width=1000)
    loaded = load_plan_text(text, "fuzz.yaml")
    if loaded.plan is None:
        return
    files = generate(loaded.plan, Options(targets=("python",), cache_dir=None, workers=1))
    config = formatting._isort(loaded.plan.slug)
    for path, text in files.items():
        if path.endswith(".py"):
            assert black.format_str(text, mode=formatting._BLACK) == text, path
            assert isort.code(text, config=config) == text, path


METHOD = '''    def order_completed(
        self,
        *,
        user_id: str,
        anonymous_id: str | None = None,
        tier: Literal["a", "b"] | MISSING = MISSING,
        unplanned: Mapping[str, Any] | None = None,
        options: TrackOptions | None = None,
    ) -> None:
        """Track Order Completed.

        Requires ``user_id``.

        Args:
            tier: (no description in the plan) Optional.
        """
        from .events.order_completed import OrderCompletedProperties

        self._track(
            "Order Completed",
            OrderCompletedProperties,
            self._with_extra(
                {
                    "tier": tier,
                },
                unplanned,
            ),
            False,
            user_id,
            anonymous_id,
            options,
        )
'''


def _black_piece(piece: str) -> str:
    return formatting.format_python(f"class _:\n    def _(self):\n        pass\n\n{piece}")


def test_the_method_grammar_accepts_black_output() -> None:
    assert _black_piece(METHOD).endswith("\n" + METHOD)
    assert stable_methods(METHOD) and stable_methods(METHOD + "\n" + METHOD + "\n")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('Literal["a", "b"]', "Literal['a', 'b']"),  # black re-quotes
        ('Literal["a", "b"]', 'Literal["a", "b",]'),  # magic trailing comma: exploded
        ('Literal["a", "b"]', 'Literal["a", "b"' + ', "c"' * 20 + "]"),  # over 100 columns
        ("(no description in the plan)", "ends in a backslash \\\\"),
        ("Optional.", "Optional.   "),  # trailing spaces black strips
        ('                    "tier": tier,\n', ""),  # {} with a trailing comma
        ("        *,\n", ""),
        ("            False,", "            maybe,"),
        ('Literal["a", "b"]', 'Literal["a","b"]'),
    ],
)
def test_the_method_grammar_refuses_what_black_would_change(old: str, new: str) -> None:
    changed = METHOD.replace(old, new)
    assert changed != METHOD
    assert not stable_methods(changed)


@pytest.mark.parametrize(
    ("text", "stable"),
    [
        ('Annotated[list[X], Field(examples=["a", "b"], min_length=1)]', True),
        ("Literal[-1, 2.5] | None", True),
        ("list[X,]", False),
        ("x[]", False),
        ("Field(a=1, )", False),
        ("f(a=)", False),
        ("x y", False),
        ("(a)", False),
        ("1e5", False),
        ("x[a]]", False),
        ("Field(pattern='x')", False),
    ],
)
def test_annotation_grammar(text: str, stable: bool) -> None:
    assert _annotation_stable(text) is stable
    if stable:  # and black agrees
        line = f"x: {text}\n"
        assert black.format_str(line, mode=formatting._BLACK) == line


def test_a_run_whose_first_line_repeats_falls_back_to_black() -> None:
    """Two runs starting with the same line: the first is elided, the second is formatted as
    it is (it cannot be told apart after black); the result is black's either way."""
    source = (
        "class A:\n    x: int\n    y: Literal['a']\n    z: str\n\n\n"
        "class B:\n    x: int\n    y: Literal['a']\n    w: float\n"
    )
    assert format_python(source) == black.format_str(source, mode=formatting._BLACK)


# -- the model-module shortcuts, against plain isort + black on random module text -------------
# Lines like datamodel-code-generator's (before isort and black), and lines the shortcuts must
# refuse or hand to black: long ones, quotes black changes, backslashes, comments, tabs, text
# that ends a string early, trailing spaces.
_FIELDS = [
    "    order_id: str",
    "    total: Annotated[float, Field(ge=0.0)]",
    "    tier: Literal['free', 'plus'] | MISSING = MISSING",
    '    note: Literal["it\'s"] | None = None',
    "    code: Annotated[str, Field(pattern='^\\\\d{3}$')]",
    "    items: Annotated[list[LineItem], Field(min_length=1)]",
    "    shipping: Annotated[Object0001AddedShipping | MISSING, "
    "Field(title='Object0001AddedShipping')] = MISSING",
    "    very_long_name: Annotated[str | MISSING, Field(examples=['" + "x" * 70 + "'])] = MISSING",
    "    spaced: int  # a comment",
    "    tabbed: Annotated[int, Field(examples=[1,2,3],)]",
    "    model_config = ConfigDict(\n        extra='forbid',\n    )",
    "    model_config = ConfigDict(\n        extra='forbid',\n"
    "        arbitrary_types_allowed=True,\n    )",
    "    odd : int",
]
_DOC_LINES = [
    "Plain words.",
    "Ends with spaces.   ",
    "A backslash \\\\ here.",
    'Quote " inside',
    "\tTabbed",
    "",
    '""" ends early',
    "      deeper indent",
    "Ünïcödé ✓ 漢字",
    "x" * 120,
]
_IMPORTS = [
    "from __future__ import annotations",
    "from pydantic import ConfigDict, Field, MISSING",
    "from typing import Annotated, Literal",
    "from pkg._runtime import DateTime, Email, Integer, PlanModel",
    "from pkg.types import LineItem",
    "from pkg.types import " + ", ".join(f"Type{i}" for i in range(14)),
    "import json",
]


def _docstring(lines: list[str], indent: str = "    ") -> list[str]:
    return [indent + '"""', *(indent + line if line else "" for line in lines), indent + '"""']


@st.composite
def model_sources(draw: st.DrawFn) -> str:
    """Mostly modules as datamodel-code-generator writes them (so the shortcuts apply), with
    hostile lines, blank lines and docstrings mixed in."""

    def some(common: list[str], rare: list[str]) -> str:
        return draw(
            st.sampled_from(rare) if draw(st.integers(0, 4)) == 0 else st.sampled_from(common)
        )

    out = [some(["# Generated by codegen. Do not edit."], ["#no space", "# trailing  ", "#"])]
    out += [""] * some([1], [0, 2])  # type: ignore[list-item]
    out += draw(st.lists(st.sampled_from(_IMPORTS[:5]), min_size=1, max_size=4, unique=True))
    if draw(st.integers(0, 4)) == 0:
        out.append(draw(st.sampled_from(_IMPORTS[5:])))
    for index in range(draw(st.integers(1, 3))):
        out += [""] * some([2], [0, 1, 3])  # type: ignore[list-item]
        out.append(f"class Model{index}(PlanModel):")
        if draw(st.booleans()):
            lines = draw(
                st.lists(
                    st.builds(some, st.just(_DOC_LINES[:1] + _DOC_LINES[8:9]), st.just(_DOC_LINES)),
                    min_size=1,
                    max_size=3,
                )
            )
            out += _docstring(lines)
            out += [""] * some([0], [1, 2])  # type: ignore[list-item]
        for _ in range(draw(st.integers(1, 6))):
            out += some(_FIELDS[:2] + _FIELDS[5:6] + _FIELDS[10:12], _FIELDS).split("\n")
            if draw(st.booleans()):
                lines = draw(st.lists(st.sampled_from(_DOC_LINES), min_size=1, max_size=3))
                out += _docstring(lines)
    if draw(st.integers(0, 4)) == 0:
        out += ["", "", "def helper() -> None:", "    import os"]
    return "\n".join(out) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_sources())
def test_model_module_shortcuts_equal_isort_then_black(source: str) -> None:
    """Runs of fields with their description strings elided, long fields formatted after a
    stub, the class docstring's blank line put in first, the import block sorted once per
    distinct head: the result is isort then black, byte for byte."""
    config = formatting._isort("pkg")
    try:
        expected = black.format_str(isort.code(source, config=config), mode=formatting._BLACK)
    except black.parsing.InvalidInput:
        return  # text that does not parse (a string ended early): both refuse it
    assert format_python(source, "pkg") == expected
    assert formatting._isorted(source, "pkg") == isort.code(source, config=config)


@pytest.mark.parametrize(
    "rest",
    [
        "class A:\n    x: int\n",
        "class A:\n    import os\n",  # an import after the head: all of it through isort
        "@decorator\nclass A:\n    x: int\n",
        "def f() -> None:\n    pass\n",
        "async def f() -> None:\n    pass\n",
        "X = 1\n",
        "class A:\n    '''sorted by isort'''\n",
    ],
)
def test_isort_head_shortcut_equals_isort(rest: str) -> None:
    config = formatting._isort("pkg")
    source = "# header\n\nfrom typing import Any\nimport os\n\n\n" + rest
    assert formatting._isorted(source, "pkg") == isort.code(source, config=config)
    source = "import os\n" + rest  # no blank lines: isort decides them from the declaration
    assert formatting._isorted(source, "pkg") == isort.code(source, config=config)


# -- the rest of issue 14's speed-ups change nothing but time ------------------------------------


def test_workers_started_early_give_the_same_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first generation of a large plan starts (and warms up) its workers before the work is
    known; the output equals one process's."""
    from codegen.generators.pysdk import models, sdk

    plan = plan_from(_synthetic(70))
    pools: list[object] = []

    def recording(workers: int, modules: int) -> object:
        pools.append(pool := models.early_pool(workers, modules))
        return pool

    monkeypatch.setattr(sdk, "early_pool", recording)
    alone = generate(plan, Options(targets=("python",), workers=1))
    assert pools == [None]
    assert generate(plan, Options(targets=("python",), workers=2)) == alone
    assert pools[-1] is not None


def test_a_regeneration_starts_no_workers_early(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from codegen.generators.pysdk import sdk

    text = _synthetic(70)
    options = Options(targets=("python",), workers=2, cache_dir=tmp_path)
    generate(plan_from(text), options)
    monkeypatch.setattr(sdk, "early_pool", lambda *_: pytest.fail("workers started early"))
    changed = text.replace("Synthetic event number 0.\n", "Synthetic event number zero.\n")
    assert changed != text
    generate(plan_from(changed), options)


def test_compiled_templates_are_kept_with_the_cache(tmp_path: Path) -> None:
    """A new process reads compiled templates back; damaged or unwritable, they only cost
    time."""
    from codegen.generators import render

    plan = glow_shop()
    expected = generate(plan, Options(targets=("docs", "python"), workers=1))

    def fresh(cache: Path) -> dict[str, str]:
        render.environment.cache_clear()  # as in a new process: no template compiled yet
        return generate(plan, Options(targets=("docs", "python"), workers=1, cache_dir=cache))

    try:
        assert fresh(tmp_path / "cache") == expected
        compiled = [p for p in (tmp_path / "cache" / "templates").rglob("*") if p.is_file()]
        assert compiled
        for path in compiled:
            path.write_bytes(b"garbage")
        shutil.rmtree(tmp_path / "cache" / "outputs")  # or the whole output is read back
        assert fresh(tmp_path / "cache") == expected
        # compiled again (but for templates of pieces reused from the last generation)
        assert sum(path.read_bytes() == b"garbage" for path in compiled) <= 2
        other = tmp_path / "other"
        other.mkdir()
        (other / "templates").write_text("not a folder")
        assert fresh(other) == expected
    finally:
        render.environment.cache_clear()


@pytest.mark.parametrize("enabled", [True, False])
def test_generation_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        generate(glow_shop(), Options(targets=("schemas",)))
        assert gc.isenabled() is enabled
        load_plan_text("plan: {name: x, version: 1.0.0}\nevents: {}\n")  # bad plans too
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_a_model_plan_is_built_once_per_plan() -> None:
    """The name check at load and the generators read one model plan (Python and TypeScript)."""
    from codegen.generators.pysdk import modelplan
    from codegen.generators.typescript import modelplan as ts_modelplan

    plan = glow_shop()
    assert modelplan.build(plan) is modelplan.build(plan)
    assert ts_modelplan.build(plan) is ts_modelplan.build(plan)
    other = plan_from(_synthetic(3))
    assert modelplan.build(other) is not modelplan.build(plan)
    assert modelplan.build(other).methods != modelplan.build(plan).methods


def test_workers_collect_cycles_though_forked_while_generation_pauses_the_collector() -> None:
    from codegen.generators.pysdk import models

    gc.disable()
    try:
        pool = models.early_pool(2, 1000)
        assert pool is not None
        try:
            assert pool.submit(gc.isenabled).result() is True
        finally:
            pool.shutdown()
    finally:
        gc.enable()


@pytest.mark.parametrize(("command", "collects"), [("generate", False), ("validate", True)])
def test_short_commands_run_without_the_cycle_collector(command: str, collects: bool) -> None:
    """In its own process, `generate` (and the other plan commands that exit when done) keep
    the collector off to the end; long-running ones such as `validate` keep it on."""
    import subprocess
    import sys

    script = (
        "import atexit, gc, os, sys\n"
        "said = []\n"
        "def say():\n"
        "    if not said:\n"
        "        said.append(1)\n"
        "        print('collects', gc.isenabled(), flush=True)\n"
        "atexit.register(say)  # a long command ends the usual way\n"
        "real_exit = os._exit  # a short one ends without teardown\n"
        "os._exit = lambda code: (say(), real_exit(code))\n"
        f"sys.argv = ['codegen', {command!r}, '--help']\n"
        "from codegen.cli.app import main\n"
        "main()\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith(f"collects {collects}")


def test_short_commands_end_with_their_output_and_status(tmp_path: Path) -> None:
    """Ending the process without teardown loses nothing: stdout complete, stderr's
    diagnostics, the documented exit codes."""
    import json
    import subprocess
    import sys

    from .conftest import ROOT

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "codegen", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)

    plan = ROOT / "plans" / "glow_shop.yaml"
    out = tmp_path / "out"
    done = run("generate", str(plan), "-o", str(out), "--no-cache", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["folders"][0]["files"] > 50
    checked = run("check", str(plan), "-o", str(out), "--no-cache", "--format", "json")
    assert checked.returncode == 0 and json.loads(checked.stdout)["stale"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan: {name: Bad, version: 1.0.0}\nevents:\n  Order Done: {properties: 3}\n")
    failed = run("generate", str(bad), "-o", str(tmp_path / "bad-out"), "--no-cache")
    assert failed.returncode == 1 and "bad.yaml:3:16: error" in failed.stderr
    assert not (tmp_path / "bad-out").exists()
    assert run("lint", "--nonsense").returncode == 2  # usage error, as click exits


def test_early_workers_with_nothing_to_do_are_ended_not_left_behind() -> None:
    """Every module came from the cache: the early workers are ended before generation
    returns (a CLI process ends without teardown, which would not tell them to: they would
    wait for work forever)."""
    from codegen.generators.cache import MemoryCache
    from codegen.generators.pysdk import models

    pool = models.early_pool(2, 1000)
    assert pool is not None
    workers = list(pool._processes.values())
    assert workers
    models._Build("pkg", {}, MemoryCache()).start(2, pool)()
    assert not any(worker.is_alive() for worker in workers)


def test_workers_left_by_an_error_are_ended_before_a_cli_process_ends() -> None:
    """`main()` ends plan commands without the interpreter's teardown; a pool an error left
    open is shut down first (end_workers), or its workers would wait for work forever."""
    from codegen.generators.pysdk import models

    pool = models.early_pool(2, 1000)
    assert pool is not None
    workers = list(pool._processes.values())
    models.end_workers()
    assert not any(worker.is_alive() for worker in workers)
    models.end_workers()  # nothing left: no-op
