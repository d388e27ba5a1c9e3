"""Checks on a resolved plan and on hand-written files against it.

Owns: lint rules (``lint``) and the Customer.io Liquid checker (``liquid``). Returns diagnostics,
never prints. May import ``plan`` and ``config``.
"""
