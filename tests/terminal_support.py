"""Run a CLI command with its stderr on a real pseudo-terminal (or a pipe), stdout a pipe: how
progress indicators and colour are tested."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import ROOT

COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")


def run_codegen(args: list[str], terminal: bool, **env: str) -> tuple[bytes, bytes]:
    """`python -m codegen ARGS` from the project root; returns (stdout, stderr)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    }
    command = [sys.executable, "-m", "codegen", *args]
    environment = {**clean, "TERM": "xterm-256color", "COLUMNS": "100", **env}
    if not terminal:
        done = subprocess.run(command, capture_output=True, env=environment, cwd=ROOT, check=False)
        return done.stdout, done.stderr
    master, follower = os.openpty()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=follower, env=environment, cwd=ROOT
    )
    os.close(follower)
    shown = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown.append(chunk)
    stdout = process.stdout.read() if process.stdout else b""
    process.wait()
    os.close(master)
    return stdout, b"".join(shown)
