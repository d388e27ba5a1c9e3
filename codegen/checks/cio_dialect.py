"""Customer.io's Liquid dialect, declared once: the objects, tags and filters a message may use.

Each entry names the Customer.io page it comes from. ``confirmed=False`` marks names that are in
common use but that no page reachable while writing this table documents; the checker accepts
them and the docs say so. :mod:`codegen.checks.liquid` reads these tables; nothing else
re-declares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

TAG_LIST = "https://docs.customer.io/journeys/liquid-tag-list"
SNIPPETS = "https://docs.customer.io/snippets"
OBJECTS_IN_LIQUID = "https://docs.customer.io/journeys/objects-in-liquid"
SHOPIFY_FILTERS = "https://shopify.github.io/liquid/filters/"
SHOPIFY_TAGS = "https://shopify.github.io/liquid/tags/"


@dataclass(frozen=True)
class Entry:
    """One name of the dialect and where Customer.io documents it."""

    summary: str
    source: str
    confirmed: bool = True
    # for objects: the keys below the name, or None when any key may follow (free-form data)
    keys: frozenset[str] | None = None


# Top-level names besides `customer` and `event` (which the plan types; see liquid.py).
OBJECTS: Mapping[str, Entry] = {
    # "customer attributes ... {{customer.<attribute_name>}}"; "event properties": TAG_LIST
    "customer": Entry("person attributes (the plan's traits)", TAG_LIST),
    "event": Entry("properties of the event that triggered the campaign", TAG_LIST),
    # "{{trigger.<object_type>.<attribute_name>}}" for object/relationship-triggered campaigns
    "trigger": Entry("object or relationship that triggered the campaign", OBJECTS_IN_LIQUID),
    # "Reference a snippet using {{snippets.<name_of_your_snippet>}}"
    "snippets": Entry("workspace snippets, by name", SNIPPETS),
    # campaign.id / .name / .type / .subscription_topic_ids are listed under "Customer.io Keys"
    "campaign": Entry(
        "the campaign or newsletter",
        TAG_LIST,
        keys=frozenset({"id", "name", "type", "subscription_topic_ids"}),
    ),
    # message.id / .name / .type / .subject: "Customer.io Keys" of the tag list
    "message": Entry(
        "the message action", TAG_LIST, keys=frozenset({"id", "name", "type", "subject"})
    ),
    # layout.id / layout.name, and {{content}} in layouts: "Customer.io Tag" rows
    "layout": Entry("the email layout", TAG_LIST, keys=frozenset({"id", "name"})),
    "content": Entry("the message body, inside a layout", TAG_LIST, keys=frozenset()),
    # "{{event_timestamp}} The UNIX timestamp for when a particular event was" performed
    "event_timestamp": Entry("Unix timestamp of the trigger event", TAG_LIST, keys=frozenset()),
    "delivery_id": Entry("id of this delivery", TAG_LIST, keys=frozenset()),
    # Not found on a reachable Customer.io page: accepted, flagged as unconfirmed in the docs.
    "journey": Entry("the person's journey through the campaign", TAG_LIST, confirmed=False),
    "event_name": Entry("name of the trigger event", TAG_LIST, False, frozenset()),
    "event_id": Entry("id of the trigger event", TAG_LIST, False, frozenset()),
    "workspace": Entry("the workspace", TAG_LIST, confirmed=False),
}

# Customer.io tags that are not standard Liquid. All are inline (no end tag).
TAGS: Mapping[str, Entry] = {
    # "{% unsubscribe_url %} This tag renders a unique unsubscribe link"
    "unsubscribe_url": Entry("unsubscribe link for this person", TAG_LIST),
    # "{% view_in_browser_url %} ... generates a web version of your email"
    "view_in_browser_url": Entry("web version of the email", TAG_LIST),
    # "{% cio_link url:https://example.com track:true url_params:true %}"
    "cio_link": Entry("tracked link (track:, url_params: optional)", TAG_LIST),
}

# Customer.io filters that are not standard Liquid.
FILTERS: Mapping[str, Entry] = {
    # "Some tags, like the currency and format_number, take an optional localization parameter
    #  ... {{ 10 | currency: "en-us" }}, which would output $10.00" (Number and Currency Filters)
    "currency": Entry("money with the locale's symbol and separators", TAG_LIST),
    "format_number": Entry("number with the locale's separators", TAG_LIST),
    # Listed under "Timestamps and Dates" in the tag list; argument forms not checked.
    "add_day": Entry("timestamp plus N days", TAG_LIST, confirmed=False),
    "subtract_day": Entry("timestamp minus N days", TAG_LIST, confirmed=False),
    "timezone": Entry("timestamp in a time zone", TAG_LIST, confirmed=False),
}

# Standard Liquid filters (Shopify's reference, which Customer.io's "Array Filters", "Math
# Filters" and string filters follow).
STANDARD_FILTERS = frozenset(
    {
        "abs",
        "append",
        "at_least",
        "at_most",
        "capitalize",
        "ceil",
        "compact",
        "concat",
        "date",
        "default",
        "divided_by",
        "downcase",
        "escape",
        "escape_once",
        "first",
        "floor",
        "join",
        "last",
        "lstrip",
        "map",
        "minus",
        "modulo",
        "newline_to_br",
        "plus",
        "prepend",
        "remove",
        "remove_first",
        "replace",
        "replace_first",
        "reverse",
        "round",
        "rstrip",
        "size",
        "slice",
        "sort",
        "sort_natural",
        "split",
        "strip",
        "strip_html",
        "strip_newlines",
        "sum",
        "times",
        "truncate",
        "truncatewords",
        "uniq",
        "upcase",
        "url_decode",
        "url_encode",
        "where",
    }
)  # fmt: skip  (source: SHOPIFY_FILTERS)

# Filters whose first argument names a field of the list's items (SHOPIFY_FILTERS: "map",
# "where", "sort", "sort_natural", "uniq", "sum", "compact" all take a property name).
FIELD_ARGUMENT_FILTERS = frozenset(
    {"map", "where", "sort", "sort_natural", "uniq", "sum", "compact"}
)
# Filters that return a list of the same items.
SAME_LIST_FILTERS = frozenset(
    {"where", "sort", "sort_natural", "uniq", "compact", "reverse", "slice", "concat"}
)
# Filters that return one item of the list.
ITEM_FILTERS = frozenset({"first", "last"})

# Variables Liquid itself defines inside a block (SHOPIFY_TAGS: for, tablerow).
LOOP_OBJECTS: Mapping[str, str] = {"for": "forloop", "tablerow": "tablerowloop"}
