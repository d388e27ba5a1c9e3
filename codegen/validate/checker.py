"""One message at a time: the fast accept path, then a precise pass that names every problem."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema_rs
import orjson

from ..generators.jsonschema import event_document, identify_document
from ..plan import ir
from ..plan.names import loose_key
from ..plan.suggest import closest
from .coverage import Observer, trait_keys
from .fast import FastPath

SKIPPED_TYPES = frozenset({"page", "screen", "group", "alias"})


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem in one message. ``kind`` is a JSON Schema keyword (``type``, ``required``,
    ``enum``...) or ``malformed``, ``unplanned_event``, ``identity``; ``pointer`` is the JSON
    Pointer of the offending value inside the message (for ``required``: of the object lacking
    the property)."""

    file: str
    line: int
    message_id: str | None
    event: str | None
    kind: str
    pointer: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        # Text from a log can be anything: clip it (an error message may quote a huge value)
        # and make it encodable (a lone surrogate would break writing the report).
        text = f"{self.message_id or ''}{self.event or ''}{self.message}{self.hint or ''}"
        if len(text) > CLIP or not text.isascii():  # rare: one cheap test for the usual case
            for name in _TEXT:
                value = getattr(self, name)
                if value is not None:
                    object.__setattr__(self, name, _clean(value))

    def shifted(self, lines: int) -> Violation:
        """The same violation ``lines`` further down its file (ranges number from 1). Copied,
        not rebuilt: its text is clipped already, and clipping it again would lose the
        original length it states."""
        moved = copy.copy(self)
        object.__setattr__(moved, "line", self.line + lines)
        return moved

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "message_id": self.message_id,
            "event": self.event,
            "kind": self.kind,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one message was: ``valid``, ``invalid``, ``skipped`` (page, screen...) or
    ``malformed`` (not a JSON object). ``traits``: for an identify message, the traits it
    sends (see ``coverage.trait_keys``); None for every other message."""

    status: str
    event: str | None
    violations: tuple[Violation, ...] = ()
    traits: tuple[str, ...] | None = None


class Checker:
    """Validates Segment messages against one plan. Build once; ``check_line`` is the hot path."""

    def __init__(self, plan: ir.Plan) -> None:
        self.plan = plan
        self.fast = FastPath(plan)
        self.observer = Observer(plan)  # coverage: what the checked messages exercise
        self.events = {e.name: e for e in plan.events}
        self._schemas: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, Any] = {}
        self._user_id = plan.identity.user_id_pattern

    # -- entry points --------------------------------------------------------------------------

    def check_line(self, line: bytes, file: str, number: int) -> list[Outcome]:
        """Every message on one input line (a line may hold a ``{"batch": [...]}``)."""
        try:
            accepted = self.fast.accepts(line)
        except Exception:  # hostile input the decoder chokes on: the precise pass reports it
            accepted = None
        if accepted == "identify":  # its traits are read for coverage (identify is rare)
            return [Outcome("valid", accepted, (), trait_keys(orjson.loads(line)))]
        if accepted is not None:
            return [Outcome("valid", accepted)]
        return self.check_precisely(line, file, number)

    def check_precisely(self, line: bytes, file: str, number: int) -> list[Outcome]:
        """The slow pass: parse, dispatch, and name every problem. Never raises: whatever one
        line holds, it ends as outcomes, so one bad line cannot stop a run."""
        try:
            return self._check_precisely(line, file, number)
        except Exception as exc:
            return [
                malformed(
                    file,
                    number,
                    f"could not be checked ({type(exc).__name__}: {exc})",
                    "please report this line to the codegen maintainers",
                )
            ]

    def _check_precisely(self, line: bytes, file: str, number: int) -> list[Outcome]:
        if not line.strip():
            return []
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return [
                malformed(
                    file,
                    number,
                    f"not JSON: {exc}",
                    "each line must be one JSON message (JSON Lines)",
                )
            ]
        if isinstance(document, dict) and isinstance(document.get("batch"), list):
            return [self.check_message(m, file, number) for m in document["batch"]]
        if isinstance(document, list):
            return [self.check_message(m, file, number) for m in document]
        return [self.check_message(document, file, number)]

    def check_message(self, message: Any, file: str, number: int) -> Outcome:
        if not isinstance(message, dict):
            return malformed(file, number, "a message must be a JSON object", None)
        kind = message.get("type")
        message_id = message.get("messageId") if isinstance(message.get("messageId"), str) else None
        if isinstance(kind, str) and kind in SKIPPED_TYPES:
            return Outcome("skipped", str(kind))
        if kind == "identify":
            return self._validate("identify", message, file, number, message_id)
        event = message.get("event")
        if kind not in (None, "track") or not isinstance(event, str):
            return Outcome(
                "invalid",
                None,
                (
                    Violation(
                        file,
                        number,
                        message_id,
                        None,
                        "malformed",
                        "",
                        f"not a track or identify message (type {kind!r}, event {event!r})",
                        "Segment messages carry `type` and, for track, `event`",
                    ),
                ),
            )
        if event not in self.events:
            return Outcome(
                "invalid",
                event,
                (
                    Violation(
                        file,
                        number,
                        message_id,
                        event,
                        "unplanned_event",
                        "/event",
                        f"`{event}` is not a planned event",
                        self._closest_event(event),
                    ),
                ),
            )
        return self._validate(event, message, file, number, message_id)

    # -- the precise pass ----------------------------------------------------------------------

    def _validate(
        self, name: str, message: dict[str, Any], file: str, number: int, message_id: str | None
    ) -> Outcome:
        schema, validator = self._validator(name)
        found: list[Violation] = []
        identity: list[str] = []
        anonymous_id: list[str] = []
        for error in validator.iter_errors(message):
            keyword = _keyword(error.schema_path)
            pointer = _pointer(error.instance_path)
            if pointer == "/anonymousId":
                anonymous_id.append(f"anonymousId: {error.message}")
                continue
            if _is_identity(pointer, keyword, error):
                identity.append(self._identity_message(message, keyword, error))
                continue
            found.append(
                Violation(
                    file,
                    number,
                    message_id,
                    name,
                    keyword,
                    pointer,
                    error.message,
                    _hint(schema, keyword, error),
                )
            )
        user_id = message.get("userId")
        if isinstance(user_id, str) and "@" in user_id:
            identity = ["userId is an email address"]
        if identity:
            found.insert(
                0,
                Violation(
                    file,
                    number,
                    message_id,
                    name,
                    "identity",
                    "/userId",
                    identity[0],
                    self._identity_hint(name),
                ),
            )
        if anonymous_id:
            found.insert(
                bool(identity),
                Violation(
                    file,
                    number,
                    message_id,
                    name,
                    "identity",
                    "/anonymousId",
                    anonymous_id[0],
                    "anonymousId is the device or cookie id, a string (or null)",
                ),
            )
        status = "invalid" if found else "valid"
        if name == "identify":
            return Outcome(status, "identify", tuple(found), trait_keys(message))
        return Outcome(status, name, tuple(found))

    def _validator(self, name: str) -> tuple[dict[str, Any], Any]:
        if name not in self._validators:
            schema = (
                identify_document(self.plan)
                if name == "identify"
                else event_document(self.plan, self.events[name])
            )
            self._schemas[name] = schema
            self._validators[name] = jsonschema_rs.validator_for(schema, validate_formats=True)
        return self._schemas[name], self._validators[name]

    def _identity_message(self, message: dict[str, Any], keyword: str, error: Any) -> str:
        user_id, anonymous_id = message.get("userId"), message.get("anonymousId")
        if not user_id and not (isinstance(anonymous_id, str) and anonymous_id):
            return "neither userId nor anonymousId"
        if not user_id:
            return "anonymous, but the plan requires a known person (userId) for this message"
        if keyword == "pattern" and self._user_id:
            return f"userId {user_id!r} does not match {self._user_id}"
        return f"userId: {error.message}"

    def _identity_hint(self, name: str) -> str:
        primary = self.plan.identity.primary_id or "the stable customer id"
        if name != "identify" and self.events[name].anonymous_allowed:
            return f"send userId ({primary}) or at least anonymousId"
        return f"send userId = {primary} (not the email); send email as a trait"

    def _closest_event(self, event: str) -> str | None:
        return _closest(event, tuple(self.events))


# What other tools call the Segment e-commerce spec events (GA4, Shopify, common habits), so
# that `purchase` can suggest `Order Completed` although the words differ.
SYNONYMS = {
    "purchase": "Order Completed",
    "purchased": "Order Completed",
    "order": "Order Completed",
    "orderplaced": "Order Completed",
    "checkoutcompleted": "Order Completed",
    "transaction": "Order Completed",
    "buy": "Order Completed",
    "addtocart": "Product Added",
    "addedtocart": "Product Added",
    "cartadd": "Product Added",
    "removefromcart": "Product Removed",
    "viewitem": "Product Viewed",
    "productview": "Product Viewed",
    "viewcart": "Cart Viewed",
    "begincheckout": "Checkout Started",
    "initiatecheckout": "Checkout Started",
    "refund": "Order Refunded",
    "signup": "Signed Up",
    "login": "Signed In",
    "search": "Products Searched",
    "viewitemlist": "Product List Viewed",
    "selectitem": "Product Clicked",
    "addtowishlist": "Product Added to Wishlist",
    "addpaymentinfo": "Payment Info Entered",
}


@lru_cache(maxsize=4096)
def _closest(event: str, names: tuple[str, ...]) -> str | None:
    key = loose_key(event)
    for name in names:
        if loose_key(name) == key:
            return f"did you mean `{name}`?"
    synonym = SYNONYMS.get(key)
    if synonym in names:
        return f"did you mean `{synonym}`? (the Segment spec name for `{event}`)"
    close = closest(event, names, cutoff=0.5) or next(
        (n for n in names if key in loose_key(n) or loose_key(n) in key), None
    )
    return f"did you mean `{close}`?" if close else None


def _keyword(schema_path: list[Any]) -> str:
    for part in reversed(schema_path):
        if isinstance(part, str):
            return part
    return "schema"


def _pointer(path: list[Any]) -> str:
    pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return pointer if len(pointer) <= CLIP and pointer.isascii() else _clean(pointer)


def _is_identity(pointer: str, keyword: str, error: Any) -> bool:
    if pointer == "/userId":
        return True
    if pointer == "" and keyword == "anyOf":
        return True
    return keyword == "required" and getattr(error.kind, "property", None) == "userId"


def _hint(schema: dict[str, Any], keyword: str, error: Any) -> str | None:
    if keyword == "enum":
        options = [str(o) for o in getattr(error.kind, "options", []) if o is not None]
        value = error.instance
        if isinstance(value, str):
            near = next((o for o in options if loose_key(o) == loose_key(value)), None)
            near = near or closest(value, options)
            if near:
                return f"did you mean `{near}`?"
        return "allowed: " + ", ".join(options[:10])
    if keyword == "type" and isinstance(error.instance, str):
        return "a number or boolean was sent as a string; send the JSON value itself"
    if keyword == "additionalProperties":
        allowed = list(_subschema(schema, error.schema_path[:-1]).get("properties", {}))
        unexpected = [str(u) for u in getattr(error.kind, "unexpected", [])]
        for name in unexpected:
            close = closest(name, allowed)
            if close:
                return f"did you mean `{close}`? (unplanned properties are rejected)"
        return "add it to the plan, or stop sending it"
    if keyword == "format" and "date-time" in error.message:
        return "send an RFC 3339 timestamp with a time zone, e.g. 2026-01-15T09:30:00Z"
    if keyword == "pattern":
        return None
    return None


def _subschema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    current: Any = schema
    for part in path:
        if part == "$ref":
            current = _resolve(schema, current["$ref"])
        elif isinstance(current, dict | list):
            current = current[part]
    return current if isinstance(current, dict) else {}


def _resolve(schema: dict[str, Any], ref: str) -> Any:
    current: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        current = current[part.replace("~1", "/").replace("~0", "~")]
    return current


def malformed(file: str, number: int, message: str, hint: str | None) -> Outcome:
    """One line (or document message) that is not a message that can be checked."""
    violation = Violation(file, number, None, None, "malformed", "", message, hint)
    return Outcome("malformed", None, (violation,))


CLIP = 1000  # characters of log text kept in a violation


_TEXT = ("message_id", "event", "message", "hint")  # pointers are clipped where they are made


def _clean(text: str) -> str:
    """At most ``CLIP`` characters, lone surrogates replaced."""
    if len(text) > CLIP:
        text = f"{text[:CLIP]}… ({len(text):,} characters)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
