"""`codegen validate`: check logged Segment messages against the plan, near parse speed.

``checker`` validates one message (a fast accept path with msgspec, then a precise error pass
with jsonschema-rs for what it rejects), ``inputs`` streams messages out of JSON Lines, batch
documents, gzip and stdin, ``run`` spreads the work over processes and aggregates a summary,
``coverage`` counts which planned events and traits the traffic exercised (for ``validate`` and
``serve`` alike).
"""

from .checker import Checker, Violation
from .run import Summary, validate_sources

__all__ = ["Checker", "Summary", "Violation", "validate_sources"]
