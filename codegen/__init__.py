"""codegen: one tracking plan in YAML → JSON Schemas, a typed Python SDK, Customer.io docs.

Public API::

    loaded = codegen.load_plan(Path("plans/glow_shop.yaml"))   # never raises on bad input
    files = codegen.generate(loaded.plan)                         # {relative path: text}
"""

from .config import Options
from .generators import generate
from .pipeline import Loaded, load_plan, load_plan_text
from .plan.diagnostics import Diagnostic, Level, Location

__all__ = [
    "Diagnostic",
    "Level",
    "Loaded",
    "Location",
    "Options",
    "generate",
    "load_plan",
    "load_plan_text",
]
