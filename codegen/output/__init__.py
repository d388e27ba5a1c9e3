"""The write stage: compare generated files with a folder, or replace it atomically.

May import ``generators`` (for path safety) and ``config``.
"""
