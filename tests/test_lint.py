"""Every lint rule is triggered by a plan under tests/cases/lint, and can be configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.checks.lint import RULES
from codegen.pipeline import load_plan, load_plan_text
from codegen.plan.diagnostics import Level

from .conftest import CASES, PLANS, CliFn

LINT = CASES / "lint"


def case_for(code: str) -> Path:
    return LINT / (code.replace("/", "__") + ".yaml")


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_triggered_by_its_case(code: str) -> None:
    loaded = load_plan(case_for(code))
    assert loaded.spec is not None
    found = {d.code for d in loaded.diagnostics}
    assert code in found, [d.render() for d in loaded.diagnostics]
    assert found == {code}, "each case plan should trigger only its own rule"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_can_be_disabled_in_the_plan(code: str) -> None:
    text = case_for(code).read_text(encoding="utf-8")
    if "\nlint:" in text:
        text = text.replace("disable: [", f"disable: [{code}, ")
    else:
        text += f"lint: {{disable: [{code}]}}\n"
    loaded = load_plan_text(text)
    assert code not in {d.code for d in loaded.diagnostics}


def test_level_can_be_changed_in_the_plan() -> None:
    text = case_for("docs/event-description").read_text(encoding="utf-8")
    text += "lint: {levels: {docs/event-description: error}}\n"
    [d] = load_plan_text(text).diagnostics
    assert d.level is Level.ERROR


def test_unknown_rule_in_config_is_reported() -> None:
    text = case_for("docs/event-description").read_text(encoding="utf-8")
    text += "lint: {disable: [docs/event-descripton]}\n"
    codes = [d.code for d in load_plan_text(text).diagnostics]
    assert "lint/unknown-rule" in codes


def test_every_case_file_belongs_to_a_rule() -> None:
    assert sorted(p.name for p in LINT.glob("*.yaml")) == sorted(case_for(c).name for c in RULES)


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_example_plans_are_clean(plan: Path) -> None:
    loaded = load_plan(plan)
    assert loaded.ok
    assert [d.render() for d in loaded.diagnostics] == []


def test_exit_codes(cli: CliFn) -> None:
    assert cli("lint", "plans/glow_shop.yaml").exit_code == 0
    warning_only = case_for("docs/event-description")
    assert cli("lint", warning_only).exit_code == 0
    assert cli("lint", "--strict", warning_only).exit_code == 1
    assert cli("lint", case_for("naming/unique")).exit_code == 1
    assert cli("lint", CASES / "bad" / "yaml_syntax.yaml").exit_code == 2


def test_json_format(cli: CliFn) -> None:
    import json

    result = cli("lint", "--format", "json", case_for("naming/unique"))
    found = json.loads(result.stdout)
    assert {d["code"] for d in found} == {"naming/unique"}
    first = found[0]
    assert first["file"].endswith("naming__unique.yaml")
    assert first["line"] > 0 and first["related"][0]["line"] > 0


def test_github_format(cli: CliFn) -> None:
    result = cli("lint", "--format", "github", case_for("naming/unique"))
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith("::error file=") for line in lines)
    assert ",line=" in lines[0] and ",title=naming/unique::" in lines[0]


def test_rules_listing(cli: CliFn) -> None:
    result = cli("lint", "--rules")
    assert result.exit_code == 0
    for code in RULES:
        assert code in result.stdout


def test_near_duplicates_are_compared_across_the_plan() -> None:
    """Regression: `Skincare`, `skin-care`, `skin_care` in three enums linted clean (values were
    only compared inside one enum); segment literals are compared too."""
    found = [
        d
        for d in load_plan(case_for("enum/near-duplicate")).diagnostics
        if d.code == "enum/near-duplicate"
    ]
    text = "\n".join(d.message for d in found)
    assert "`Skincare` (`category` of event `Product Viewed`) and `skin-care`" in text
    assert "`skin_care` (`favourite_category` of traits) and `skin-care`" in text
    assert "`SKIN CARE` (trait `interest` in segment `skin_fans`)" in text
    assert all(d.related for d in found)  # points at the other spelling


def test_commerce_payload_rules_read_the_resolved_roles() -> None:
    """Regression: a cart event without price/quantity and line items without them linted clean.
    The role comes from `event.commerce` (declared `role: cart`, inferred checkout)."""
    found = [d for d in load_plan(case_for("commerce/line-items")).diagnostics]
    assert [(d.location.line, d.code) for d in found] == [
        (9, "commerce/line-items"),
        (19, "commerce/line-items"),
    ]
    assert "without required `price`, `quantity`" in found[1].message


def test_money_typed_as_string_is_an_error() -> None:
    found = load_plan(case_for("types/money-as-string")).diagnostics
    assert {d.message.split("`")[1] for d in found} == {"refund_amount", "shipping_price"}
    assert all(d.level is Level.ERROR for d in found)
