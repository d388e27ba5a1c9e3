"""Resolve messages: their trigger, audience and the fields they show, against the resolved
events, traits and segments."""

from __future__ import annotations

from collections.abc import Mapping

from . import ir
from .diagnostics import Path
from .filemodel import MessageSpec
from .resolve import _doc
from .segments import AudienceResolver, field_at
from .suggest import did_you_mean


class MessageResolver:
    """Messages need what segment resolution found: events, traits, types and segment ids."""

    def __init__(self, audiences: AudienceResolver) -> None:
        self.r = audiences.r
        self.events = audiences.events
        self.traits = audiences.traits
        self.types = audiences.types

    def messages(self, specs: Mapping[str, MessageSpec]) -> tuple[ir.Message, ...]:
        out = []
        for msg_id, spec in sorted(specs.items()):
            path: Path = ("messages", msg_id)
            event = self.events.get(spec.trigger) if spec.trigger else None
            if spec.trigger and event is None:
                self.r.error(
                    (*path, "trigger"),
                    "ref/unknown-event",
                    f"`{spec.trigger}` is not a planned event",
                    did_you_mean(spec.trigger, self.events),
                )
            if not spec.trigger and not spec.audience:
                self.r.error(
                    path,
                    "message/no-trigger",
                    "a message needs a `trigger` event or an `audience` segment",
                    "say what starts the campaign",
                )
            if spec.audience is not None and spec.audience not in self.r.spec.segments:
                self.r.error(
                    (*path, "audience"),
                    "ref/unknown-segment",
                    f"`{spec.audience}` is not a segment",
                    did_you_mean(spec.audience, self.r.spec.segments),
                )
            for i, ref in enumerate(spec.fields):
                self._message_field(ref, event, spec.trigger, (*path, "fields", i))
            out.append(
                ir.Message(
                    msg_id,
                    spec.name or msg_id,
                    spec.channel,
                    spec.trigger,
                    spec.audience,
                    spec.subject,
                    tuple(spec.fields),
                    _doc(spec),
                    self.r.document.locate(path),
                )
            )
        return tuple(out)

    def _message_field(
        self, ref: str, event: ir.Event | None, trigger: str | None, path: Path
    ) -> None:
        namespace, _, rest = ref.partition(".")
        parts = tuple(rest.split(".")) if rest else ()
        unreadable = next((p for p in parts if not liquid_addressable(p)), None)
        if unreadable is not None:
            self.r.error(
                path,
                "message/liquid-name",
                f"`{unreadable}` cannot be read in Customer.io Liquid",
                "Liquid has no escapes: a name holding `{{`, `}}`, `{%`, `%}`, a line break, or "
                "both quote characters cannot be written as a key; rename the property or leave "
                "it out of the message",
            )
            return
        if namespace == "event":
            if trigger is None:
                self.r.error(
                    path,
                    "message/namespace",
                    "`event.` fields need a `trigger` event",
                    "segment-triggered messages can only show `customer.` traits",
                )
            elif event is not None and (
                not parts or field_at(event.fields, parts, self.types) is None
            ):
                self.r.error(
                    path,
                    "ref/unknown-property",
                    f"`{rest}` is not a property of `{event.name}`",
                    did_you_mean(rest, [f.name for f in event.fields]),
                )
        elif namespace == "customer":
            if not parts or field_at(tuple(self.traits.values()), parts, self.types) is None:
                self.r.error(
                    path,
                    "ref/unknown-trait",
                    f"`{rest}` is not a planned trait",
                    did_you_mean(rest, self.traits),
                )
        else:
            self.r.error(
                path,
                "message/namespace",
                f"`{ref}` must start with `event.` or `customer.`",
                "trigger event properties are `event.<name>`, traits `customer.<name>`",
            )


_LIQUID_DELIMITERS = ("{{", "}}", "{%", "%}")


def liquid_addressable(name: str) -> bool:
    """Whether a Liquid template can name this key (``event["..."]``): Liquid strings have no
    escapes and its lexer ends an output or tag at the first closing delimiter."""
    return not (
        any(d in name for d in _LIQUID_DELIMITERS)
        or ("'" in name and '"' in name)
        or "\n" in name
        or "\r" in name
    )
