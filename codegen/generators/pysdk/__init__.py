"""The typed Python SDK target: everything Python-specific lives here.

Owns: the model plan of every generated class, field, annotation and import (``modelplan``),
the registry of names the SDK already uses (``reserved``), the name check (``codenames``),
pydantic models through datamodel-code-generator (``models``), black formatting
(``formatting``) and the package layout (``sdk``). May import ``plan``, ``config`` and
sibling generator helpers.
"""
