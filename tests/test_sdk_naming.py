"""Generated Python survives hostile and colliding names: mypy --strict, ruff, and real calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codegen.pipeline import load_plan, load_plan_text

from .conftest import CASES, ROOT
from .sdk_support import import_sdk, write_sdk

PLANS = {
    "glow_shop": ROOT / "plans" / "glow_shop.yaml",
    "naming_torture": CASES / "naming.yaml",
    "hostile": CASES / "hostile.yaml",
}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for package, path in PLANS.items():
        loaded = load_plan(path)
        assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
        out[package] = write_sdk(loaded.plan, tmp_path_factory.mktemp(package))
    return out


@pytest.mark.parametrize("package", sorted(PLANS))
def test_mypy_strict_and_ruff_clean(packages: dict[str, Path], package: str) -> None:
    folder = packages[package]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=folder, capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", package],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout


@pytest.fixture(scope="module")
def torture(packages: dict[str, Path]) -> ModuleType:
    return import_sdk(packages["naming_torture"], "naming_torture")


class _Sink:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def track(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def identify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_collisions_get_distinct_names_and_keep_wire_names(torture: ModuleType) -> None:
    sink = _Sink()
    tracker = torture.Tracker(sink, mode="strict")
    tracker.event_collided(user_id="u")
    tracker.event_collided_snake(user_id="u")
    tracker.properties_collided(user_id="u", property_collided="A", property_collided_snake="b")
    tracker.event_42_terrible_event_name_3(user_id="u", field_0000_terrible_property_name_3="x")
    assert [c["event"] for c in sink.calls] == [
        "Event Collided",
        "event_collided",
        "Properties Collided",
        "42_--terrible==\"event'++name~!3",
    ]
    assert sink.calls[2]["properties"] == {"Property Collided": "A", "property_collided": "b"}
    assert sink.calls[3]["properties"] == {"0000---terrible-property-name~!3": "x"}


def test_same_property_name_in_two_events_gets_two_classes(torture: ModuleType) -> None:
    one = torture.PropertyObjectNameCollision1Properties
    two = torture.PropertyObjectNameCollision2Properties
    assert one.model_fields["universe"].annotation is not two.model_fields["universe"].annotation
    sink = _Sink()
    tracker = torture.Tracker(sink, mode="strict")
    module = sys.modules["naming_torture.events.property_object_name_collision_1"]
    universe = module.PropertyObjectNameCollision1Universe(
        name="Milky", galaxies=[module.PropertyObjectNameCollision1UniverseGalaxiesItem(name="a")]
    )
    tracker.property_object_name_collision_1(user_id="u", universe=universe)
    assert sink.calls[0]["properties"] == {
        "universe": {"name": "Milky", "galaxies": [{"name": "a"}]}
    }


def test_keywords_builtins_and_symbols(torture: ModuleType) -> None:
    from datetime import UTC, date, datetime

    sink = _Sink()
    tracker = torture.Tracker(sink, mode="strict")
    tracker.keywords_everywhere(
        user_id="u",
        class_="c",
        from_=1,
        import_=True,
        type="t",
        id="i",
        list_=["x"],
        json_={"k": 1},
        schema_="s",
        model_config_="m",
        user_id_="own",
        options_="o",
        self_="me",
        date=date(2026, 1, 2),
        datetime=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        camel_case_name="cc",
        spaces_and_dashes=None,
        quotes_braces="q",
        universe=None,
        anything={"free": ["form"]},
        nested_lists=[[1, 2], []],
        enum_nullable='b"c',
    )
    props = sink.calls[0]["properties"]
    assert props["class"] == "c" and props["from"] == 1 and props["import"] is True
    assert props["list"] == ["x"] and props["json"] == {"k": 1}
    assert props["user_id"] == "own" and sink.calls[0]["user_id"] == "u"
    assert props["camelCaseName"] == "cc" and props["spaces and-dashes"] is None
    assert props['quotes "\'" {{ braces }}'] == "q"
    assert props["date"] == "2026-01-02" and props["datetime"] == "2026-01-02T03:04:00Z"
    assert props["enum_nullable"] == 'b"c'


def test_collision_without_code_name_is_an_error_at_both_places() -> None:
    text = (CASES / "naming.yaml").read_text(encoding="utf-8")
    text = text.replace("    code_name: event_collided_snake\n", "")
    loaded = load_plan_text(text, "naming.yaml")
    [clash] = [d for d in loaded.diagnostics if d.code == "naming/code-collision"]
    assert "`Event Collided` and `event_collided`" in clash.message
    assert clash.location.line > 0 and clash.related[0].line > 0
    assert clash.location.line != clash.related[0].line
    assert "code_name" in (clash.hint or "")


def test_property_collision_without_code_name_is_an_error() -> None:
    text = (CASES / "naming.yaml").read_text(encoding="utf-8")
    text = text.replace(", code_name: property_collided_snake", "")
    loaded = load_plan_text(text, "naming.yaml")
    [clash] = [d for d in loaded.diagnostics if d.code == "naming/code-collision"]
    assert "`Property Collided` and `property_collided`" in clash.message


def test_hostile_sdk_imports_and_sends(packages: dict[str, Path]) -> None:
    hostile = import_sdk(packages["hostile"], "hostile")
    sink = _Sink()
    tracker = hostile.Tracker(sink, mode="strict")
    tracker.quote_event(anonymous_id="a", field="x", weird_enum="{{ x }}")
    assert sink.calls[0]["event"] == 'Quote " Event'
    assert sink.calls[0]["properties"] == {'"""': "x", "weird_enum": "{{ x }}"}
    assert hostile.Tracker.quote_event.__doc__ and '"""' in hostile.Tracker.quote_event.__doc__
