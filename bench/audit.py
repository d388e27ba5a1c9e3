"""Journey audit at scale: synthetic logs with planted problems, DuckDB in-process.

Writes JSON Lines logs of 1M and 5M messages (about 200,000 people: anonymous browsing on a
phone, identify on login, carts, checkouts, purchases, true abandonment) with a known number of
planted problems of every kind, runs `codegen audit` on each in a fresh process, and reports
messages per second, peak memory (max RSS of that process during the audit), the ratio to a
floor measured in the same process (DuckDB only loading the same file into a table, which any
SQL audit must do), and whether every planted problem was found. Each log is audited twice:
unlimited, and with DuckDB's memory_limit (default 1GB).

Each size also has a *dirty* profile (issue 13): the same log with 30% of checkouts (and their
purchases) sending one shared cart_id ("undefined"), 0.1% extra unreadable lines (truncated JSON
and bad bytes) and the last tenth of the people in a second file in UTF-16 (with a BOM). It must
find every planted problem exactly, one `shared_identifier` finding, and the exact unreadable
count; the report gives its time and peak memory against the clean log's.
Usage: python bench/audit.py [messages ...] [--memory-limit=1GB]  (default: 1000000 5000000)

``--engine=spark``: each clean log audited by DuckDB and by PySpark on ``local[2]`` in one fresh
process each (Spark's start-up reported apart), with the ratio, the peak memory of the Python
process and of Spark's JVM (its child processes, sampled every half second from /proc), and
whether every planted problem was found. Sizes are arguments:
``python bench/audit.py --engine=spark 1000000`` runs 1M only.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 200_000
PLANTED = {
    "phantom_abandoner": 300,
    "unstitched_anonymous": 400,
    "duplicate_profile": 150,
    "email_as_user_id": 120,
    "late_event": 250,
    "missing_email": 200,
}


def _ts(minute: int) -> str:
    day, rest = divmod(minute, 24 * 60)
    return f"2026-03-{1 + day % 28:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"


SHARED_CART = "undefined"
UNREADABLE_RATE = 0.001
SHARED_RATE = 0.3


def write_log(path: Path, total: int, seed: int = 1, dirty: bool = False) -> tuple[list[Path], int]:
    """The log's files, and how many unreadable lines were planted (dirty only)."""
    rng = random.Random(seed)
    noise = random.Random(seed + 1)  # dirt has its own stream: the clean log is the same
    # about 3.7 messages per person besides browsing: browse to reach the requested total
    browse_rate = max(0.0, total / PEOPLE - 3.7)
    serial = 0
    unreadable = 0
    second = path.with_name(path.stem + "-utf16.jsonl")
    with path.open("w") as first, second.open("w", encoding="utf-16") as wide:
        out = first

        def emit(message: dict[str, object]) -> None:
            nonlocal serial, unreadable
            serial += 1
            message["messageId"] = f"m{serial}"
            out.write(json.dumps(message, separators=(",", ":")) + "\n")
            if dirty and noise.random() < UNREADABLE_RATE:
                unreadable += 1
                # truncated JSON (both files), or a bad byte (the UTF-8 file)
                if out is first and unreadable % 2:
                    first.flush()
                    first.buffer.write(b'{"type":"identify","userId":"c_\xff"}\n')
                else:
                    out.write('{"type":"track","event":"Order Com\n')

        def track(
            event: str,
            minute: int,
            props: dict[str, object],
            user: str | None = None,
            anon: str | None = None,
            received: int | None = None,
        ) -> None:
            message: dict[str, object] = {
                "type": "track",
                "event": event,
                "timestamp": _ts(minute),
                "properties": props,
            }
            if user:
                message["userId"] = user
            if anon:
                message["anonymousId"] = anon
            if received is not None:
                message["receivedAt"] = _ts(received)
            emit(message)

        product = {
            "product_id": "p1",
            "sku": "GLW-1",
            "name": "Serum",
            "price": 20.0,
            "quantity": 1,
        }
        plants = {k: set(rng.sample(range(PEOPLE), v)) for k, v in PLANTED.items()}
        for person in range(PEOPLE):
            if dirty and person == PEOPLE * 9 // 10:
                out = wide
            user = f"c_{person:08d}"
            anon = f"a{person}"
            start = rng.randrange(27 * 24 * 60)
            email = f"p{person}@example.com"
            if person in plants["email_as_user_id"]:
                user = email
            if person in plants["duplicate_profile"]:
                email = f"shared{person}@example.com"
            browse = int(browse_rate) + (rng.random() < browse_rate % 1)
            for i in range(browse):
                track(
                    "Product Viewed",
                    start + i,
                    {
                        "product_id": "p1",
                        "sku": "GLW-1",
                        "name": "Serum",
                        "category": "Skincare",
                        "price": 20.0,
                        "currency": "USD",
                        "platform": "ios",
                    },
                    anon=anon,
                )
            minute = start + browse
            traits: dict[str, object] = {"customer_id": user}
            if person not in plants["missing_email"]:
                traits["email"] = email
            emit(
                {
                    "type": "identify",
                    "userId": user,
                    "anonymousId": anon,
                    "traits": traits,
                    "timestamp": _ts(minute),
                }
            )
            if person in plants["duplicate_profile"]:
                emit(
                    {
                        "type": "identify",
                        "userId": f"c_dup{person:05d}",
                        "traits": {"email": email},
                        "timestamp": _ts(minute),
                    }
                )
            cart, checkout = f"K{person}", f"C{person}"
            shared = dirty and noise.random() < SHARED_RATE
            paid_cart = SHARED_CART if shared else cart  # the checkout and purchase send it
            if person in plants["unstitched_anonymous"]:
                track(
                    "Product Added",
                    minute + 1,
                    {"cart_id": f"U{person}", **product, "currency": "USD", "platform": "web"},
                    anon=f"ghost{person}",
                )
            track(
                "Product Added",
                minute + 2,
                {"cart_id": cart, **product, "currency": "USD", "platform": "web"},
                user=user,
            )
            phantom = person in plants["phantom_abandoner"]
            track(
                "Checkout Started",
                minute + 3,
                {
                    "checkout_id": checkout,
                    "cart_id": paid_cart,
                    "value": 20.0,
                    "currency": "USD",
                    "products": [product],
                    "platform": "web",
                },
                user=None if phantom else user,
                anon=f"tablet{person}" if phantom else None,
            )
            if rng.random() < 0.7 or phantom or person in plants["late_event"]:
                late = person in plants["late_event"]
                track(
                    "Order Completed",
                    minute + 5,
                    {
                        "order_id": f"O{person}",
                        "checkout_id": checkout,
                        "cart_id": paid_cart,
                        "revenue": 20.0,
                        "currency": "USD",
                        "products": [product],
                        "completed_at": _ts(minute + 5),
                        "platform": "web",
                    },
                    user=user,
                    received=minute + (200 if late else 6),
                )
    if not dirty:
        second.unlink()
        return [path], 0
    return [path, second], unreadable


def measure(paths: list[Path], memory_limit: str | None = None) -> dict[str, object]:
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from codegen import load_plan\n"
        "from codegen.journeys.engine import Engine\n"
        "loaded = load_plan(Path('plans/glow_shop.yaml'))\n"
        "start = time.perf_counter()\n"
        "limit = sys.argv[2] or None\n"
        "files = sys.argv[1].split(__import__('os').pathsep)\n"
        "audit = Engine(loaded.plan, loaded.spec.lint, files, memory_limit=limit).audit()\n"
        "seconds = time.perf_counter() - start\n"
        "counts = {}\n"
        "for f in audit.findings: counts[f.kind] = counts.get(f.kind, 0) + 1\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "import duckdb\n"
        "start = time.perf_counter()\n"
        "floor_db = duckdb.connect()\n"
        "floor_db.execute('SET enable_progress_bar = false')\n"
        "floor_db.execute(\n"
        "  'CREATE TABLE t AS SELECT * FROM read_json_auto(?, ignore_errors=true)', [files[0]])\n"
        "floor = time.perf_counter() - start\n"
        "print(json.dumps({'seconds': seconds, 'messages': audit.totals['messages'],\n"
        "  'unreadable': audit.totals['unreadable'],\n"
        "  'rss_mb': rss, 'floor': floor, 'counts': counts}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, os.pathsep.join(map(str, paths)), memory_limit or ""],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def expected(dirty: bool) -> dict[str, int]:
    out = dict(PLANTED)
    out["unstitched_anonymous"] += PLANTED["phantom_abandoner"]  # their carts are anonymous too
    if dirty:
        out["shared_identifier"] = 1
    return out


def main(sizes: list[int], memory_limit: str | None) -> None:
    print(
        f"{'messages':>10} {'profile':>7} {'MB':>7} {'limit':>6} {'seconds':>8} {'msgs/s':>10} "
        f"{'vs floor':>8} {'peak RSS MB':>12}  planted problems found"
    )
    for size in sizes:
        seconds: dict[tuple[bool, str | None], tuple[float, float]] = {}
        for dirty in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                paths, unreadable = write_log(Path(tmp) / "log.jsonl", size, dirty=dirty)
                mb = sum(p.stat().st_size for p in paths) / 1e6
                for limit in (None, memory_limit) if memory_limit else (None,):
                    result = measure(paths, limit)
                    _row(result, mb, limit, dirty, unreadable)
                    seconds[dirty, limit] = (
                        float(result["seconds"]),  # type: ignore[arg-type]
                        float(result["rss_mb"]),  # type: ignore[arg-type]
                    )
        for limit in (None, memory_limit) if memory_limit else (None,):
            (clean, clean_rss), (dirty_s, dirty_rss) = seconds[False, limit], seconds[True, limit]
            print(
                f"{size:>10,} dirty/clean, limit {limit or '-'}: time {dirty_s / clean:.2f}x, "
                f"peak RSS {clean_rss:,.0f} -> {dirty_rss:,.0f} MB"
            )
    print(f"(cores: {os.cpu_count()}; DuckDB in-process; people: {PEOPLE:,})")


def _row(
    result: dict[str, object], mb: float, limit: str | None, dirty: bool, unreadable: int
) -> None:
    counts = result["counts"]
    assert isinstance(counts, dict)
    want = expected(dirty)
    found = all(counts.get(k, 0) == v for k, v in want.items()) and set(counts) <= set(want)
    found = found and result["unreadable"] == unreadable
    detail = ", ".join(f"{k} {counts.get(k, 0)}/{v}" for k, v in want.items())
    detail += f", unreadable {result['unreadable']}/{unreadable}"
    messages = int(result["messages"])  # type: ignore[call-overload]
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    rss = float(result["rss_mb"])  # type: ignore[arg-type]
    ratio = seconds / float(result["floor"])  # type: ignore[arg-type]
    print(
        f"{messages:>10,} {'dirty' if dirty else 'clean':>7} {mb:>7.0f} {limit or '-':>6} "
        f"{seconds:>8.1f} {messages / seconds:>10,.0f} {ratio:>7.2f}x {rss:>12,.0f}  "
        f"{'all' if found else 'MISSING'}: {detail}",
        flush=True,
    )


SPARK_CODE = """
import json, os, resource, sys, threading, time
from pathlib import Path
from codegen import load_plan
from codegen.journeys.spark import SparkEngine, session

def tree_rss(pid):
    # resident MB of the processes under pid (Spark's JVM and its Python workers)
    total = 0
    for child in Path(f'/proc/{pid}/task/{pid}/children').read_text().split():
        try:
            for line in Path(f'/proc/{child}/status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1]) / 1024
            total += tree_rss(int(child))
        except OSError:
            pass
    return total

peak = [0.0]
done = threading.Event()
def sample():
    while not done.wait(0.5):
        peak[0] = max(peak[0], tree_rss(os.getpid()))
threading.Thread(target=sample, daemon=True).start()
loaded = load_plan(Path('plans/glow_shop.yaml'))
start = time.perf_counter()
spark = session('local[2]', partitions=4)
started = time.perf_counter() - start
start = time.perf_counter()
audit = SparkEngine(loaded.plan, sys.argv[1].split(os.pathsep), spark=spark).audit()
seconds = time.perf_counter() - start
done.set()
counts = {}
for f in audit.findings: counts[f.kind] = counts.get(f.kind, 0) + 1
spark.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({'seconds': seconds, 'start': started, 'rss_mb': rss, 'jvm_mb': peak[0],
  'messages': audit.totals['messages'], 'counts': counts}))
"""


def spark_main(sizes: list[int]) -> None:
    print(
        f"{'messages':>10} {'engine':>7} {'seconds':>8} {'start s':>8} {'ratio':>6} "
        f"{'peak MB':>16}  planted problems found"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            paths, _ = write_log(Path(tmp) / "log.jsonl", size)
            duck = measure(paths)
            result = subprocess.run(
                [sys.executable, "-c", SPARK_CODE, os.pathsep.join(map(str, paths))],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            spark = json.loads(result.stdout.splitlines()[-1])
        want = expected(False)
        for name, r in (("duckdb", duck), ("spark", spark)):
            counts = r["counts"]
            assert isinstance(counts, dict)
            found = all(counts.get(k, 0) == v for k, v in want.items())
            ratio = float(r["seconds"]) / float(duck["seconds"])  # type: ignore[arg-type]
            memory = f"{float(r['rss_mb']):,.0f}"  # type: ignore[arg-type]
            if "jvm_mb" in r:
                memory += f" + JVM {float(r['jvm_mb']):,.0f}"  # type: ignore[arg-type]
            print(
                f"{int(r['messages']):>10,} {name:>7} {float(r['seconds']):>8.1f} "  # type: ignore[call-overload, arg-type]
                f"{float(r.get('start', 0)):>8.1f} {ratio:>5.1f}x {memory:>16}  "  # type: ignore[arg-type]
                f"{'all, exactly' if found else 'MISSING'}",
                flush=True,
            )
    print(f"(cores: {os.cpu_count()}; Spark local[2]; people: {PEOPLE:,})")


if __name__ == "__main__":
    if "--engine=spark" in sys.argv[1:]:
        spark_main([int(a) for a in sys.argv[1:] if a.isdigit()] or [1_000_000, 5_000_000])
        sys.exit(0)
    args = [a for a in sys.argv[1:] if not a.startswith("--memory-limit=")]
    limit = next(
        (a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--memory-limit=")), "1GB"
    )
    main([int(a) for a in args] or [1_000_000, 5_000_000], limit)
