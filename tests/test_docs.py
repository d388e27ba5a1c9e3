"""Markdown docs for the wiki: links resolve inside docs/, tables hold, content is right."""

from __future__ import annotations

import json
import posixpath
import re

import jsonschema
import pytest

from codegen import generate
from codegen.pipeline import Loaded, load_plan

from .conftest import CASES, glow_shop

PLAN = glow_shop()
FILES = generate(PLAN)
DOCS = {path: text for path, text in FILES.items() if path.startswith("docs/")}
HOSTILE = load_plan(CASES / "hostile.yaml")
LINK = re.compile(r"\]\(([^)\s]+)\)")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def anchors(text: str) -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', text))


@pytest.mark.parametrize("files", [DOCS], ids=["glow_shop"])
def test_every_link_resolves_inside_docs(files: dict[str, str]) -> None:
    checked = 0
    for path, text in files.items():
        for target in LINK.findall(text):
            assert not target.startswith(("http:", "https:", "/")), (path, target)
            file_part, _, fragment = target.partition("#")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), file_part))
            assert resolved.startswith("docs/"), (path, target)  # copyable as a folder
            assert resolved in files, (path, target)
            if fragment:
                assert fragment in anchors(files[resolved]), (path, target)
            checked += 1
    assert checked > 50


def _table_rows(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


@pytest.mark.parametrize("which", ["glow_shop", "hostile"])
def test_tables_keep_their_shape(which: str) -> None:
    plan = PLAN if which == "glow_shop" else HOSTILE.plan
    assert plan is not None
    for path, text in generate(plan).items():
        if not path.endswith(".md"):
            continue
        for table in _table_rows(text):
            widths = {len(UNESCAPED_PIPE.findall(row)) for row in table}
            assert len(widths) == 1, (path, table)


def test_hostile_text_is_escaped() -> None:
    assert HOSTILE.plan is not None
    for path, text in generate(HOSTILE.plan).items():
        if path.endswith(".md"):
            assert "<script>" not in text and "<img" not in text, path
            assert "\n# not a heading" not in text, path


def test_segment_page_reads_like_customerio() -> None:
    qa = DOCS["docs/segments/qa_checkout_abandoned_1h.md"]
    assert (
        "Event: person **has performed** `Checkout Started` **at least 1** time "
        "**within the past 1 hour**"
    ) in qa
    assert "Event: person **has not performed** `Order Completed` **within the past 1 hour**" in qa
    assert "Match **ALL** of the following:" in qa
    assert (
        "People who performed **Checkout Started** in the past 1 hour and did not perform "
        "**Order Completed** in the past 1 hour." in qa
    )
    assert "only matches people who already existed in Customer.io 1 hour ago" in qa
    assert "**Late events:**" in qa and "## QA checklist" in qa
    health = DOCS["docs/segments/data_health_checkout_missing_email.md"]
    assert "Attribute `email` does not exist" in health
    vip = DOCS["docs/segments/vip_customers.md"]
    assert "Match **ANY** of the following:" in vip
    assert "Attribute `loyalty_tier` is equal to one of `gold`, `platinum`" in vip
    assert "| trait | [loyalty_tier](../traits.md#trait-loyalty_tier) | string | `bronze`" in vip
    cart = DOCS["docs/segments/cart_abandoners.md"]
    assert "[Cart recovery, first reminder](../messages.md#message-cart_recovery_email)" in cart


def test_event_page_has_table_sample_and_usage() -> None:
    page = DOCS["docs/events/order_completed.md"]
    assert "| `payment_method` | string | no | `card`, `paypal`, `apple_pay`, `gift_card` |" in page
    assert "| `currency` | string | yes |   | matches `^[A-Z]{3}$` | `USD` |" in page
    assert "no: requires `userId`" in page
    sample = page.split("```json\n", 1)[1].split("```", 1)[0]
    schema = json.loads(FILES["schemas/events/order_completed.schema.json"])
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert not list(validator.iter_errors(json.loads(sample)))
    viewed = DOCS["docs/events/product_viewed.md"]
    assert "allowed: may arrive with only `anonymousId`" in viewed


def test_index_pages_list_everything() -> None:
    events = DOCS["docs/events/index.md"]
    for e in PLAN.events:
        assert f"]({e.code_name}.md)" in events
    segments = DOCS["docs/segments/index.md"]
    for s in PLAN.segments:
        assert f"]({s.id}.md)" in segments
    messages = DOCS["docs/messages.md"]
    for m in PLAN.messages:
        assert f'<a id="message-{m.id}"></a>' in messages
        assert FILES[f"liquid/{m.id}.liquid"].strip() in messages
    dictionary = DOCS["docs/dictionary.md"]
    assert '<a id="type-product"></a>Product' in dictionary
    assert FILES["mkdocs.yml"].startswith("# Generated by codegen")


def test_date_trait_conditions_are_written_as_timestamp_conditions() -> None:
    """Regression: the win-back page said "`created_at` is less than `2026-01-01T00:00:00Z`";
    Customer.io compares date attributes as Unix timestamps ("is a timestamp before")."""
    from codegen import generate
    from codegen.generators.docs import unix_seconds

    from .conftest import glow_shop

    page = generate(glow_shop())["docs/segments/win_back_lapsed.md"]
    assert "is less than `2026-01-01T00:00:00Z`" not in page
    assert (
        "Attribute `created_at` is a timestamp **before** `2026-01-01T00:00:00Z` "
        "(Unix `1767225600`)" in page
    )
    assert "`created_at` is compared as a timestamp" in page
    assert unix_seconds("2026-01-01") == 1767225600
    assert unix_seconds("2026-01-01T01:00:00+01:00") == 1767225600
    assert unix_seconds("last tuesday") is None


# -- issue 16: how a date trait is stored decides what the segment docs and lint say -----------

STORED = """
plan: {name: S, slug: s, version: 1.0.0}
lint: {disable: [usage/unused-trait]}
identity: {primary_id: customer_id}
events:
  Order Completed:
    description: paid
    properties:
      order_id: {type: string, required: true}
      currency: {type: string, enum: [EUR, CHF], required: true}
traits:
  customer_id: {type: string, required: true}
  created_at: {type: datetime%s}
segments:
  old_accounts:
    conditions:
      trait: created_at
      less_than: "2026-01-01T00:00:00Z"
"""


def _stored(storage: str) -> tuple[Loaded, dict[str, str]]:
    from codegen.pipeline import load_plan_text

    loaded = load_plan_text(STORED % storage)
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    return loaded, generate(loaded.plan)


def test_unix_storage_is_documented_on_traits_and_segments() -> None:
    loaded, files = _stored("")
    traits = files["docs/traits.md"]
    assert "| stored in Customer.io as Unix seconds (`1768469400`) |" in traits
    page = files["docs/segments/old_accounts.md"]
    assert (
        "- **`created_at` is compared as a timestamp** and the plan stores it as Unix seconds "
        "(`stored_as: unix`)."
    ) in page
    assert not [d for d in loaded.diagnostics if d.code == "segments/iso-timestamp"]


def test_iso_storage_says_timestamp_conditions_never_match_and_lint_errs() -> None:
    loaded, files = _stored(", stored_as: iso")
    traits = files["docs/traits.md"]
    assert (
        "| stored in Customer.io as ISO 8601 text: timestamp conditions never match it "
        "(`2026-01-15T09:30:00.000Z`) |"
    ) in traits
    page = files["docs/segments/old_accounts.md"]
    assert (
        "- **`created_at` is stored as ISO 8601 text** (`stored_as: iso`), and Customer.io's "
        "timestamp conditions match only attributes stored as Unix seconds"
    ) in page
    assert "matches nobody" in page
    [finding] = [d.render() for d in loaded.diagnostics if d.code == "segments/iso-timestamp"]
    assert finding.startswith(
        "<plan>:15:3: error[segments/iso-timestamp] segments.old_accounts: segment "
        "`old_accounts` compares `created_at` with `less_than`, but the plan stores it as ISO "
        "8601 text: Customer.io's timestamp conditions never match it"
    ), finding


def test_a_currency_without_a_locale_is_a_lint_warning() -> None:
    loaded, _ = _stored("")
    [finding] = [d.render() for d in loaded.diagnostics if d.code == "commerce/currency-locale"]
    assert finding.startswith(
        "<plan>:10:7: warning[commerce/currency-locale] events.Order Completed.properties."
        "currency: `CHF` of `currency` on event `Order Completed` has no Customer.io locale: its "
        "amounts are formatted with `en-us`"
    ), finding
