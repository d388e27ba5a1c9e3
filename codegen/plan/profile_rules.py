"""How Customer.io builds people and segment membership: the one statement of each rule.

The generated docs print these sentences (``templates/docs/segment.md.j2`` reads them through
the docs generator) and ``codegen simulate`` computes them (``codegen.journeys.sql`` marks each
clause that implements a rule with ``-- rule <id>``). A test checks both sides use every rule, so
changing what simulate does means changing the sentence the team reads, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RuleId = Literal["new-profiles", "null-clears-trait", "alias-merges", "anonymous-merge"]


@dataclass(frozen=True)
class Rule:
    id: RuleId
    text: str  # Markdown; `{event}`, `{trait}`, `{window}` are filled by the docs

    def render(self, **values: str) -> str:
        return self.text.format(**values)


NEW_PROFILES = Rule(
    "new-profiles",
    '**"has not performed {event} within the past {window}"** only matches people who already '
    "existed in Customer.io {window} ago: brand-new profiles are not in the segment until then "
    "(a profile exists from its first message, including those of merged anonymous profiles).",
)
NULL_CLEARS_TRAIT = Rule(
    "null-clears-trait",
    "**{trait} sent as `null`** in an `identify` removes the attribute from the person (the "
    "condition then sees no value); a trait left out of an `identify` keeps its last value.",
)
ALIAS_MERGES = Rule(
    "alias-merges",
    "**An `alias` from one userId to another** merges the first person into the second: their "
    "events and attributes count for the second from the moment of the alias (one step: an "
    "alias of an alias is not followed).",
)
ANONYMOUS_MERGE = Rule(
    "anonymous-merge",
    "**{event} may be sent anonymously:** it counts for this segment only after Customer.io "
    "merges the anonymous profile into the person (an `identify` carrying both ids).",
)

RULES: tuple[Rule, ...] = (NEW_PROFILES, NULL_CLEARS_TRAIT, ALIAS_MERGES, ANONYMOUS_MERGE)
