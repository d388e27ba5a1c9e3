"""One change found by ``codegen diff``: how bad it is, where, what, and (for audiences) which
kind of change it is and why that matters to a live campaign."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY = {"breaking": 3, "compatible": 2, "doc": 1}


@dataclass(frozen=True)
class Change:
    kind: str  # breaking | compatible | doc
    path: str  # events.Order Completed.properties.revenue
    message: str
    category: str = ""  # audience changes: window-shortened, condition-added, ... (stable ids)
    reason: str = ""  # why it is breaking (or not) for a live campaign

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "path": self.path, "message": self.message}
        if self.category:
            out["category"] = self.category
        if self.reason:
            out["reason"] = self.reason
        return out
