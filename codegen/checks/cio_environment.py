"""A python-liquid environment that renders like Customer.io: its tags, filters and strictness.

The names come from :mod:`codegen.checks.cio_dialect`; this module only gives them behaviour
good enough to render the samples in tests (URLs are placeholders, ``currency`` formats with a
small symbol table).
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from liquid import Environment, FalsyStrictUndefined, Node, Tag
from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG

from ..plan import commerce
from .cio_dialect import TAGS

PLACEHOLDER_URLS = {
    "unsubscribe_url": "https://example.invalid/unsubscribe",
    "view_in_browser_url": "https://example.invalid/view",
}
# Locale → (symbol, symbol after the amount, thousands separator, decimal separator).
# Customer.io documents `currency: "en-us"`; other locales here are this stand-in's choice.
_LOCALES = {
    "en-us": ("$", False, ",", "."),
    "en-gb": ("£", False, ",", "."),
    "de-de": ("€", True, ".", ","),
    "fr-fr": ("€", True, "\u202f", ","),
    "nl-nl": ("€", False, ".", ","),
    "ja-jp": ("¥", False, ",", "."),
}
# ISO 4217 code → locale, so that a payload's `currency` can be passed as the argument
# (the stand-in's leniency; generated templates pass a locale).
CURRENCY_LOCALES = commerce.CURRENCY_LOCALES
_CIO_LINK_URL = re.compile(r"\burl:\s*(\S+)")


class CustomerIoUndefined(FalsyStrictUndefined):
    """Missing values fail the render, except in ``{% if %}`` tests and through ``default``."""

    force_liquid_default = True


class _TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, token: Any, text: str) -> None:
        super().__init__(token)
        self.text = text

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        return buffer.write(self.text)

    def children(self, static_context: Any, *, include_partials: bool = True) -> list[Node]:
        return []


def _inline_tag(tag_name: str) -> type[Tag]:
    """An inline tag whose arguments (if any) are kept as text: ``{% cio_link url:... %}``."""

    class InlineTag(Tag):
        name = tag_name
        block = False

        def parse(self, stream: Any) -> Node:
            token = stream.current
            if stream.peek.kind == TOKEN_EXPRESSION:
                stream.eat(TOKEN_TAG)  # leave the arguments as the current token
                found = _CIO_LINK_URL.search(stream.current.value)
                return _TextNode(token, found.group(1) if found else "")
            return _TextNode(token, PLACEHOLDER_URLS.get(tag_name, ""))

    return InlineTag


def currency(value: object, locale: object = "en-us") -> str:
    """Stand-in for Customer.io's ``currency`` filter (``{{ 10 | currency: "en-us" }}``).

    ``locale`` may also be an ISO 4217 code (``EUR``), read from the payload.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"currency expects a number, got {value!r}")
    key = str(locale)
    key = CURRENCY_LOCALES.get(key.upper(), key.lower())
    if key not in _LOCALES:
        raise ValueError(f"currency: unknown locale {locale!r}")
    symbol, after, thousands, decimal = _LOCALES[key]
    digits = f"{value:,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return f"{digits}\u00a0{symbol}" if after else f"{symbol}{digits}"


def customerio_environment() -> Environment:
    env = Environment(undefined=CustomerIoUndefined)
    env.add_filter("currency", currency)
    for name in TAGS:
        env.add_tag(_inline_tag(name))
    return env
