"""The formatting shortcuts behind generation speed (issue 14) change no byte of black's output:
tracker methods kept as rendered when black would leave them alone, runs of lines handed to
black as their first line only. Each is held to black itself, on the example plan, a synthetic
plan and fuzzed plans."""

from __future__ import annotations

from typing import Any

import black
import isort
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

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
    """Every shortcut off: black sees every line, as before issue 14."""
    monkeypatch.setattr(formatting, "stable_methods", lambda piece: False)
    monkeypatch.setattr(formatting, "stable_tail", lambda source: (source, ""))
    monkeypatch.setattr(
        formatting,
        "_black_eliding",
        lambda source: black.format_str(source, mode=formatting._BLACK),
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
