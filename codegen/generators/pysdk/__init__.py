"""The typed Python SDK target: everything Python-specific lives here.

Owns: generated class and field names (``codenames``), pydantic models through
datamodel-code-generator (``models``), black formatting (``formatting``) and the package layout
(``sdk``). May import ``plan``, ``config`` and sibling generator helpers.
"""
