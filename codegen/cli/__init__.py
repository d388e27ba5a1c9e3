"""The command line: presentation only (arguments, printing, exit codes).

May import every stage; nothing imports it.
"""

from .app import app, main

__all__ = ["app", "main"]
