"""Collector throughput: `codegen serve` under load next to `codegen validate` on the same messages.

Generates the synthetic plan and message stream of bench/validate.py (about 10% invalid), starts
`codegen serve` in its own process on 127.0.0.1, and has several client processes post batches
of 100 messages (keep-alive connections, Basic auth) for a bounded time. Reports messages/s
accepted and validated by the server, request latency p50/p99, the server's peak memory (VmHWM),
and, in the same run, `codegen validate` on the same messages from a file (1 core and every
core). Usage: python bench/serve.py [seconds] [clients] [events]
"""

from __future__ import annotations

import base64
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import plan_yaml  # bench/ is on sys.path when run as a script
from validate import messages  # the stream bench/validate.py measures

from codegen import load_plan_text
from codegen.validate import validate_sources

BATCH = 100
MESSAGES = 20_000  # distinct messages, sent round-robin
KEY = "bench"
AUTH = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()


def client(port: int, bodies: list[bytes], seconds: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Post batches until ``seconds`` pass; put (messages sent, latencies in s) on ``queue``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()  # TCP_NODELAY, as requests (urllib3) sets it: no delayed-ACK stalls
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Authorization": AUTH, "Content-Type": "application/json"}
    latencies: list[float] = []
    sent = 0
    deadline = time.monotonic() + seconds
    i = os.getpid()
    while time.monotonic() < deadline:
        body = bodies[i % len(bodies)]
        i += 1
        start = time.perf_counter()
        conn.request("POST", "/v1/batch", body, headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"server answered {response.status}")
        sent += BATCH
    conn.close()
    queue.put((sent, latencies))


def get(port: int, path: str) -> dict[str, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    data: dict[str, object] = json.loads(conn.getresponse().read())
    conn.close()
    return data


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main(seconds: float, clients: int, events: int) -> None:
    text = plan_yaml(events, "bench_serve")
    loaded = load_plan_text(text)
    assert loaded.plan is not None, [d.render() for d in loaded.diagnostics]
    lines = messages(loaded.plan, MESSAGES)
    bodies = [
        b'{"batch": [' + b",".join(lines[i : i + BATCH]) + b"]}"
        for i in range(0, len(lines), BATCH)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "plan.yaml"
        plan_file.write_text(text, encoding="utf-8")
        log = Path(tmp) / "messages.jsonl"
        log.write_bytes(b"\n".join(lines) + b"\n")

        file_rates = {}
        for label, workers in (("validate, 1 core", 1), ("validate", os.cpu_count() or 1)):
            start = time.perf_counter()
            summary = validate_sources(loaded.plan, [str(log)], lambda v: None, workers=workers)
            file_rates[label] = MESSAGES / (time.perf_counter() - start)
            assert summary.messages == MESSAGES

        server = subprocess.Popen(
            [sys.executable, __file__, "--server", str(plan_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            workers = [
                multiprocessing.Process(target=client, args=(port, bodies, seconds, queue))
                for _ in range(clients)
            ]
            start = time.perf_counter()
            for worker in workers:
                worker.start()
            results = [queue.get(timeout=seconds + 120) for _ in workers]
            elapsed = time.perf_counter() - start
            for worker in workers:
                worker.join(timeout=60)
            summary_served = get(port, "/api/summary")
            peak = peak_kb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)

    sent = sum(n for n, _ in results)
    latencies = [x for _, values in results for x in values]
    validated = summary_served["messages"]
    assert validated == sent, (validated, sent)
    served_rate = sent / elapsed
    print(
        f"{events} events, batches of {BATCH}, {clients} client processes for {seconds:g} s, "
        f"{os.cpu_count()} cores; {summary_served['invalid']:,} of {sent:,} invalid"
    )
    print(f"{'':<22}{'messages/s':>12}")
    print(f"{'serve (HTTP)':<22}{served_rate:>12,.0f}")
    for label, value in file_rates.items():
        print(f"{label + ' (file)':<22}{value:>12,.0f}   serve = {served_rate / value:.2f}x")
    print(
        f"request latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; server peak memory "
        f"{peak / 1024:.0f} MB (--keep 1000)"
    )


def run_server(plan_file: str) -> None:
    """What `codegen serve --write-key bench --keep 1000 --port 0` runs, in this process (the
    synthetic plan has lint findings the command refuses; the checker does not mind them)."""
    from codegen.serve import Collector, Limits, create_app, listen, serve_forever

    loaded = load_plan_text(Path(plan_file).read_text(encoding="utf-8"))
    assert loaded.plan is not None
    collector = Collector(loaded.plan, Limits(keep=1000))
    sock = listen("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    serve_forever(create_app(collector, KEY), sock, "warning")


if __name__ == "__main__" and sys.argv[1:2] == ["--server"]:
    run_server(sys.argv[2])
elif __name__ == "__main__":
    main(
        float(sys.argv[1]) if len(sys.argv) > 1 else 10.0,
        int(sys.argv[2]) if len(sys.argv) > 2 else 3,
        int(sys.argv[3]) if len(sys.argv) > 3 else 200,
    )
