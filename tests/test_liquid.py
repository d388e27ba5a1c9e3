"""Liquid samples render in strict mode with python-liquid and only read what the plan has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from liquid.exceptions import LiquidError

from codegen import generate
from codegen.checks.liquid import check_template, render
from codegen.generators.samples import Sampler
from codegen.pipeline import load_plan, load_plan_text
from codegen.plan import ir
from codegen.plan.diagnostics import Level

from .conftest import CASES, CliFn, check_snapshot, glow_shop

PLAN = glow_shop()
FILES = generate(PLAN)
SAMPLER = Sampler(PLAN)
MESSAGES = {m.id: m for m in PLAN.messages}


BUNDLE = jsonschema.Draft202012Validator(
    json.loads(FILES["schemas/plan.schema.json"]),
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)


def payload(message: ir.Message, full: bool) -> dict[str, Any]:
    """Template data from messages that the generated JSON Schemas accept."""
    identify = SAMPLER.identify(full)
    assert not list(BUNDLE.iter_errors(identify))
    data: dict[str, Any] = {"customer": identify["traits"]}
    event = PLAN.event(message.trigger) if message.trigger else None
    if event is not None:
        track = SAMPLER.track(event, full)
        assert not list(BUNDLE.iter_errors(track))
        data["event"] = track["properties"]
    return data


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
def test_generated_template_renders_strictly(message_id: str, full: bool) -> None:
    source = FILES[f"liquid/{message_id}.liquid"]
    text = render(source, payload(MESSAGES[message_id], full))
    assert text.strip()
    assert "undefined" not in text.lower() and "{{" not in text and "{%" not in text


def test_strict_mode_really_fails_on_missing_data() -> None:
    """The render tests above would pass vacuously if missing values did not fail."""
    source = FILES["liquid/order_confirmation_email.liquid"]
    data = payload(MESSAGES["order_confirmation_email"], full=False)
    del data["event"]["order_id"]
    with pytest.raises(LiquidError):
        render(source, data)


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_generated_template_passes_static_analysis(message_id: str) -> None:
    message = MESSAGES[message_id]
    event = PLAN.event(message.trigger) if message.trigger else None
    source = FILES[f"liquid/{message_id}.liquid"]
    assert check_template(PLAN, source, message_id, event) == []


def test_generated_templates_use_the_customerio_idioms() -> None:
    cart = FILES["liquid/cart_recovery_email.liquid"]
    assert "{% for product in event.products %}" in cart
    assert "{{ product.price | currency: money_locale }}" in cart
    assert '{{ customer.first_name | default: "there" }}' in cart
    assert '{{ event.coupon | default: "" }}' in cart  # optional
    assert "{{ event.checkout_id }}" in cart  # required: used bare
    assert "{% unsubscribe_url %}" in cart
    order = FILES["liquid/order_confirmation_email.liquid"]
    assert '{{ event.completed_at | date: "%B %-d, %Y" }}' in order
    win_back = FILES["liquid/win_back_email.liquid"]
    assert "event." not in win_back  # segment-triggered: person attributes only
    assert "{% if customer.last_order_at %}" in win_back


def _check(name: str, trigger: str | None) -> list[str]:
    path = CASES / "liquid" / name
    event = PLAN.event(trigger) if trigger else None
    return [d.render() for d in check_template(PLAN, path.read_text(), name, event)]


def test_hand_written_broken_template() -> None:
    found = "\n".join(_check("cart_recovery_broken.liquid", "Checkout Started"))
    assert "cart_recovery_broken.liquid:1:7: error[liquid/unknown-field]" in found
    assert "did you mean `first_name`?" in found
    assert "5:6: error[liquid/unknown-field] `product.nam`" in found
    assert "5:25: warning[liquid/optional-without-default] `product.category`" in found
    assert "7:11: error[liquid/namespace] `event.Checkout_Started.value`" in found
    assert "8:13: warning[liquid/optional-without-default] `event.coupon`" in found
    assert "`email` is a trait: use `customer.email`" in found


def test_hand_written_good_template_is_clean() -> None:
    assert _check("cart_recovery_good.liquid", "Checkout Started") == []


def test_event_fields_in_a_segment_triggered_message() -> None:
    found = _check("cart_recovery_good.liquid", None)
    assert any("liquid/namespace" in d and "has no trigger" in d for d in found)


def test_check_template_cli(cli: CliFn) -> None:
    broken = Path("tests/cases/liquid/cart_recovery_broken.liquid")
    result = cli(
        "check-template", broken, "--plan", "plans/glow_shop.yaml", "--trigger", "Checkout Started"
    )
    check_snapshot(
        CASES / "liquid" / "cart_recovery_broken.expected",
        f"exit {result.exit_code}\n{result.stderr}",
    )
    assert result.exit_code == 1
    good = CASES / "liquid" / "cart_recovery_good.liquid"
    ok = cli(
        "check-template", good, "--plan", "plans/glow_shop.yaml", "--message", "cart_recovery_email"
    )
    assert ok.exit_code == 0, ok.stderr
    syntax = cli(
        "check-template",
        CASES / "liquid" / "syntax_error.liquid",
        "--plan",
        "plans/glow_shop.yaml",
        "--trigger",
        "Checkout Started",
    )
    assert syntax.exit_code == 1 and "liquid/syntax" in syntax.stderr
    unknown = cli(
        "check-template", good, "--plan", "plans/glow_shop.yaml", "--trigger", "Checkout Startd"
    )
    assert unknown.exit_code == 2 and "did you mean `Checkout Started`?" in unknown.stderr


def test_hostile_plan_text_cannot_inject_liquid(tmp_path: Path) -> None:
    loaded = load_plan(CASES / "hostile.yaml")
    assert loaded.plan is not None
    files = generate(loaded.plan)
    for path, text in files.items():
        if path.endswith(".liquid"):
            assert "<script>" not in text
            check_template(loaded.plan, text, path, None)  # parses: nothing broke out


# -- the Customer.io dialect corpus ---------------------------------------------------------------

_TRIGGER = re.compile(r"\{% comment %\}trigger: ([^{]+?)\{% endcomment %\}")


def _corpus(folder: str) -> list[Path]:
    return sorted((CASES / "liquid" / folder).glob("*.liquid"))


def _check_case(path: Path) -> list[str]:
    """Check a corpus template against its declared trigger (first line: ``trigger: X``)."""
    source = path.read_text(encoding="utf-8")
    found = _TRIGGER.match(source)
    assert found, f"{path.name}: first line must be {{% comment %}}trigger: ...{{% endcomment %}}"
    name = found.group(1).strip()
    event = None if name == "none" else PLAN.event(name)
    assert name == "none" or event is not None, name
    rel = path.relative_to(CASES).as_posix()
    return [d.render() for d in check_template(PLAN, source, rel, event)]


@pytest.mark.parametrize("path", _corpus("valid"), ids=lambda p: p.stem)
def test_valid_customerio_liquid_has_no_findings(path: Path) -> None:
    """Every construct Customer.io documents (and the corpus exercises) checks clean."""
    assert _check_case(path) == []


@pytest.mark.parametrize("path", _corpus("broken"), ids=lambda p: p.stem)
def test_broken_customerio_liquid_has_exact_findings(path: Path) -> None:
    check_snapshot(path.with_suffix(".expected"), "\n".join(_check_case(path)) + "\n")


def test_corpus_covers_every_construct() -> None:
    """The valid corpus really uses each local-variable tag, field filter and Customer.io name."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in _corpus("valid"))
    for construct in (
        "{% assign", "{% capture", "{% increment", "{% decrement", "{% for", "{% tablerow",
        "{% cycle", "{% case", "{% unless", "{% liquid", "{% raw", "forloop.", "tablerowloop.",
        '| map: "', '| where: "', '| sort: "', '| sort_natural: "', '| sum: "',
        "snippets.", "campaign.", "message.", "layout.", "trigger.", "journey.",
        "{% cio_link", "{% unsubscribe_url", "{% view_in_browser_url", "| currency",
    ):  # fmt: skip
        assert construct in text, construct


def test_include_and_render_are_warnings_not_crashes() -> None:
    """Regression: `{% include %}`/`{% render %}` crashed the checker (it loaded partials)."""
    found = check_template(PLAN, '{% include "x" %}{% render "y" %}', "t.liquid", None)
    assert [(d.code, d.level) for d in found] == [("liquid/not-checked", Level.WARNING)] * 2


def test_cio_link_renders_its_url() -> None:
    """Regression: `{% cio_link %}` was a syntax error; it renders the tracked URL."""
    source = '<a href="{% cio_link url:https://glow.example/x track:false %}">x</a>'
    assert render(source, {}) == '<a href="https://glow.example/x">x</a>'


def test_map_typo_of_a_line_item_field_is_caught() -> None:
    """Regression: `map: "nam"` was not checked against the line items' fields."""
    event = PLAN.event("Order Completed")
    found = check_template(PLAN, '{{ event.products | map: "nam" }}', "t.liquid", event)
    assert [d.code for d in found] == ["liquid/unknown-field"]
    assert found[0].hint == "did you mean `name`?"


def test_dialect_table_cites_a_source_for_every_name() -> None:
    from codegen.checks import cio_dialect

    for table in (cio_dialect.OBJECTS, cio_dialect.TAGS, cio_dialect.FILTERS):
        for name, entry in table.items():
            assert entry.source.startswith("https://"), name


# -- issue 16: money in the order's currency, dates as Customer.io stores them -----------------

SHOP = """
plan: {name: S, slug: s, version: 1.0.0%(plan)s}
lint: {disable: [commerce/line-items, usage/unused-trait, identity/anonymous-purchase]}
identity: {primary_id: customer_id}
events:
  Order Completed:
    description: paid
    properties:
      order_id: {type: string, required: true}
      revenue: {type: number, required: true}
%(currency)s
traits:
  customer_id: {type: string, required: true}
  lifetime_value: {type: number}
  created_at: {type: datetime%(stored)s}
messages:
  receipt:
    channel: %(channel)s
    trigger: Order Completed
    fields: [event.revenue, customer.lifetime_value, customer.created_at]
"""


def _shop(
    plan: str = "",
    currency: str = "      currency: {type: string, required: true}",
    stored: str = "",
    channel: str = "email",
) -> tuple[ir.Plan, str]:
    text = SHOP % {"plan": plan, "currency": currency, "stored": stored, "channel": channel}
    loaded = load_plan_text(text)
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    return loaded.plan, generate(loaded.plan)["liquid/receipt.liquid"]


CASE_ON_CURRENCY = """{% case event.currency %}
{% when 'EUR' %}{% assign money_locale = 'de-de' %}
{% when 'GBP' %}{% assign money_locale = 'en-gb' %}
{% when 'JPY' %}{% assign money_locale = 'ja-jp' %}
{% when 'USD' %}{% assign money_locale = 'en-us' %}
{% else %}{% assign money_locale = 'en-us' %}
{% endcase %}
"""


def test_event_amounts_take_the_locale_of_the_payload_currency() -> None:
    """Regression: `| currency` printed `$` on EUR orders."""
    plan, source = _shop()
    assert source.split("{% endcomment %}\n", 1)[1] == (
        CASE_ON_CURRENCY + "<p>Revenue: {{ event.revenue | currency: money_locale }}</p>\n"
        "<p>Lifetime value: {{ customer.lifetime_value | default: 0 | currency }}</p>\n"
        '{% if customer.created_at %}<p>Created at: {{ customer.created_at | date: "%B %-d, '
        '%Y" }}</p>{% endif %}\n'
        '<p><a href="{% unsubscribe_url %}">Unsubscribe</a></p>\n'
    )
    data = {"event": {"order_id": "o1", "revenue": 1234.5, "currency": "EUR"}, "customer": {}}
    assert "<p>Revenue: 1.234,50\u00a0€</p>" in render(source, data)
    data["event"]["currency"] = "USD"
    assert "<p>Revenue: $1,234.50</p>" in render(source, data)
    assert check_template(plan, source, "receipt", plan.event("Order Completed")) == []


def test_plan_currency_sets_the_fallback_and_the_locale_of_other_amounts() -> None:
    _, source = _shop(plan=", currency: EUR")
    assert "{% else %}{% assign money_locale = 'de-de' %}" in source
    assert "{{ customer.lifetime_value | default: 0 | currency: 'de-de' }}" in source
    _, source = _shop(plan=", currency: CHF, locale: de-ch", currency="")
    assert "{% case" not in source  # the event carries no currency: the plan's
    assert "{{ event.revenue | currency: 'de-ch' }}" in source


def test_an_enum_of_currencies_limits_the_case() -> None:
    _, source = _shop(currency="      currency: {type: string, enum: [EUR], required: true}")
    assert "{% when 'EUR' %}{% assign money_locale = 'de-de' %}\n{% else %}" in source
    assert "'USD'" not in source


def test_text_messages_pick_the_locale_without_a_blank_line() -> None:
    _, source = _shop(channel="sms")
    _, body = source.split("{% endcomment %}", 1)
    assert body.startswith("{% case event.currency %}{% when 'EUR' %}")
    assert body.split("\n", 1)[0].endswith("{% endcase %}")
    assert body.split("\n", 1)[1].startswith(
        "Revenue: {{ event.revenue | currency: money_locale }}"
    )


@pytest.mark.parametrize(
    ("stored", "note", "value"),
    [
        ("", "Unix seconds", 1768469400),
        (
            ", stored_as: iso",
            'ISO 8601 text (date parses it; use | date: "%s" before comparing it with a '
            "timestamp)",
            "2026-01-15T09:30:00.000Z",
        ),
    ],
)
def test_dates_show_how_customerio_stores_them(stored: str, note: str, value: object) -> None:
    plan, source = _shop(stored=stored)
    assert f"  Dates as Customer.io stores them:\n    customer.created_at: {note}\n" in source
    customer = Sampler(plan).customer()
    assert customer["created_at"] == value
    data = {"event": {"order_id": "o1", "revenue": 1, "currency": "USD"}, "customer": customer}
    assert "<p>Created at: January 15, 2026</p>" in render(source, data)


def test_plan_default_storage_and_trait_override() -> None:
    plan, _ = _shop(plan=", dates_stored_as: iso", stored=", stored_as: unix")
    trait = plan.trait("created_at")
    assert trait is not None and trait.stored_as == "unix"
    plan, _ = _shop(plan=", dates_stored_as: iso")
    trait = plan.trait("created_at")
    assert trait is not None and trait.stored_as == "iso"
    assert plan.trait("lifetime_value") is not None
    assert plan.trait("lifetime_value").stored_as is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("lifetime_value: {type: number}", "lifetime_value: {type: number, stored_as: unix}"),
            "plan.yaml:14:34: error[type/stored-as] traits.lifetime_value.stored_as: `stored_as` "
            "applies to date and datetime traits, not to a trait of type `number`",
        ),
        (
            (
                "revenue: {type: number, required: true}",
                "revenue: {type: datetime, stored_as: iso}",
            ),
            "plan.yaml:10:33: error[type/stored-as] events.Order Completed.properties.revenue."
            "stored_as: `stored_as` applies to date and datetime traits, not to a property of an "
            "event, type or library of type `datetime`",
        ),
        (
            ("created_at: {type: datetime}", "created_at: {type: datetime, stored_as: seconds}"),
            "plan.yaml:15:32: error[plan/invalid] traits.created_at.stored_as: `seconds` is not "
            "allowed; expected 'unix' or 'iso'",
        ),
        (
            ("version: 1.0.0}", "version: 1.0.0, currency: eur}"),
            "plan.yaml:2:42: error[plan/invalid] plan.currency: `eur` does not match the required "
            "pattern ^[A-Z]{3}$",
        ),
        (
            ("version: 1.0.0}", "version: 1.0.0, currency: CHF}"),
            "plan.yaml:2:42: error[plan/currency-locale] plan.currency: no Customer.io locale is "
            "known for `CHF`",
        ),
        (
            ("version: 1.0.0}", "version: 1.0.0, locale: de_DE}"),
            "plan.yaml:2:42: error[plan/invalid] plan.locale: `de_DE` does not match the required "
            "pattern ^[a-z]{2,3}(-[a-z0-9]{2,4})?$",
        ),
    ],
)
def test_bad_storage_and_currency_values_are_located(
    cli: CliFn, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = (SHOP % {"plan": "", "currency": "", "stored": "", "channel": "email"}).replace(*change)
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    result = cli("lint", path)
    # a plan with wrong values is a finding (exit 1, codegen/cli/policy.py), never a traceback
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"{tmp_path}/{expected}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_regression_plan_currency_with_its_locale_is_a_known_currency() -> None:
    """`plan: {currency: CHF, locale: de-ch}` declares CHF's locale: a CHF order is formatted
    with it by name, and lint no longer warns that CHF has no locale (was: a
    commerce/currency-locale warning for the plan's own currency)."""
    enum = "      currency: {type: string, enum: [USD, CHF], required: true}"
    plan, source = _shop(plan=", currency: CHF, locale: de-ch", currency=enum)
    assert "{% when 'CHF' %}{% assign money_locale = 'de-ch' %}" in source
    assert plan.commerce.locale_of("CHF") == "de-ch"
    fills = {"plan": ", currency: CHF, locale: de-ch", "currency": enum, "stored": ""}
    loaded = load_plan_text(SHOP % {**fills, "channel": "email"})
    assert loaded.plan is not None
    assert not [d for d in loaded.diagnostics if d.code == "commerce/currency-locale"]
