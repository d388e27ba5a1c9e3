"""The plan stage: a YAML file becomes a frozen, resolved :mod:`ir`.

Owns: reading YAML with line numbers (``loader``), the plan *file* model (``filemodel``), name
rules (``names``), resolution of references, types and segments (``resolve``, ``segments``) into
the frozen ``ir``, and diagnostics. Imports nothing else from codegen but ``config``.
"""
