"""The command line: presentation only (arguments, printing, exit codes).

``policy`` is the one place that loads inputs, prints diagnostics, picks exit codes and reports
internal errors; ``app`` wires the commands (one module per family: ``generate``, ``lint``,
``validate``, ``interop``, ``diff``, ``journeys``, ``schema``, ``init``, ``status``; ``root``
holds ``--version``). ``config`` reads ``[tool.codegen]`` from pyproject.toml and ``formats`` is
the one ``--format`` vocabulary. May import every stage; nothing
imports it.
"""

from .app import app, main

__all__ = ["app", "main"]
