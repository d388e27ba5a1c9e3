"""A real PostgreSQL server for the tests, and Segment logs laid out as Segment's warehouse.

The server: ``initdb`` on a temporary folder, started on 127.0.0.1 with a free port, as a non-root
user (PostgreSQL refuses to run as root: as root the folder is given to the ``postgres`` system
user and every server command runs through ``runuser``), stopped afterwards.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codegen.plan import ir
from codegen.plan.names import snake


def server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """A running server; yields its connection string."""
    folder = Path(tempfile.mkdtemp(prefix="codegen-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, cwd=folder)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
        try:
            yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- Segment's warehouse layout ------------------------------------------------------------------

Tables = dict[str, dict[str, Any]]  # table -> {"columns": {name: sql type}, "rows": [dict]}


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Nested objects flattened with `_`, arrays as JSON text, names in snake_case."""
    for key, inner in value.items():
        name = snake(f"{prefix}_{key}" if prefix else key)
        if isinstance(inner, dict):
            _flatten(name, inner, out)
        elif isinstance(inner, list):
            out[name] = json.dumps(inner)
        else:
            out[name] = inner


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "DOUBLE PRECISION"
    return "TEXT"


_TIME = "TIMESTAMP WITH TIME ZONE"
_BASE = {
    "id": "TEXT",
    "user_id": "TEXT",
    "anonymous_id": "TEXT",
    "timestamp": _TIME,
    "received_at": _TIME,
}


def warehouse_tables(messages: Sequence[dict[str, Any]], plan: ir.Plan) -> Tables:
    """The tables Segment's warehouse sync makes of these messages, with every column the plan
    declares for ``identifies`` and its events (a synced warehouse has them once values came)."""
    tables: Tables = {
        "identifies": {"columns": dict(_BASE), "rows": []},
        "aliases": {"columns": {**_BASE, "previous_id": "TEXT"}, "rows": []},
        "tracks": {"columns": {**_BASE, "event": "TEXT", "event_text": "TEXT"}, "rows": []},
    }
    for trait in plan.traits:
        tables["identifies"]["columns"].setdefault(snake(trait.name), "TEXT")
    for event in plan.events:
        columns = tables.setdefault(
            snake(event.name),
            {"columns": {**_BASE, "event": "TEXT", "event_text": "TEXT"}, "rows": []},
        )["columns"]
        for f in event.fields:
            kind = f.type.kind
            number = kind in (ir.Kind.INTEGER, ir.Kind.NUMBER)
            columns.setdefault(snake(f.name), "DOUBLE PRECISION" if number else "TEXT")
    for m in messages:
        row = {
            "id": m.get("messageId"),
            "user_id": m.get("userId"),
            "timestamp": m.get("timestamp"),
            "received_at": m.get("receivedAt"),
        }
        kind = m.get("type", "track" if "event" in m else None)
        if kind == "identify":
            _flatten("", m.get("traits") or {}, row)
            targets = ["identifies"]
        elif kind == "alias":
            row["previous_id"] = m.get("previousId")
            targets = ["aliases"]
        elif kind == "track":
            _flatten("", m.get("properties") or {}, row)
            row["event"], row["event_text"] = snake(m["event"]), m["event"]
            targets = ["tracks", snake(m["event"])]
        else:
            continue
        if kind != "alias":
            row["anonymous_id"] = m.get("anonymousId")
        for target in targets:
            table = tables.setdefault(target, {"columns": dict(_BASE), "rows": []})
            kept = row if target != "tracks" else {k: row.get(k) for k in table["columns"]}
            for name, value in kept.items():
                table["columns"].setdefault(name, _type(value))
            table["rows"].append(kept)
    return tables


def load(connection: Any, tables: Tables, schema: str, placeholder: str) -> None:
    """CREATE SCHEMA and tables, INSERT the rows (``placeholder``: ``%s`` or ``?``)."""
    connection.execute(f'CREATE SCHEMA "{schema}"')
    for name, table in tables.items():
        columns = table["columns"]
        ddl = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        connection.execute(f'CREATE TABLE "{schema}"."{name}" ({ddl})')
        if table["rows"]:
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join([placeholder] * len(columns))
            statement = f'INSERT INTO "{schema}"."{name}" ({names}) VALUES ({marks})'
            for row in table["rows"]:
                connection.execute(statement, [row.get(c) for c in columns])
