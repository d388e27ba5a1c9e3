"""Per-call cost of a generated tracker method against a raw `analytics.track` call.

Same process, same real Segment client with sending disabled (`send=False`: the client builds
and checks the message, then drops it). Reports microseconds per call and the ratio to raw.
Usage: python bench/sdk_overhead.py [calls]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated" / "glow_shop" / "python"))

from glow_shop import Tracker  # noqa: E402
from glow_shop.events.order_completed import OrderCompletedProperties  # noqa: E402
from segment.analytics import Client  # type: ignore[import-untyped]  # noqa: E402

from codegen import load_plan  # noqa: E402
from codegen.generators.samples import Sampler  # noqa: E402


def per_call(fn: Callable[[], Any], calls: int) -> float:
    for _ in range(min(calls, 500)):  # warm up caches and lazy imports
        fn()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main(calls: int) -> None:
    loaded = load_plan(ROOT / "plans" / "glow_shop.yaml")
    assert loaded.plan is not None
    event = loaded.plan.event("Order Completed")
    assert event is not None
    wire = Sampler(loaded.plan).track(event)["properties"]
    parsed = OrderCompletedProperties.model_validate_json(json.dumps(wire))
    kwargs = {name: getattr(parsed, name) for name in parsed.model_fields_set}
    client = Client("bench-key", send=False)
    user = "c_bench01"

    raw = per_call(lambda: client.track(user, "Order Completed", wire), calls)
    print(f"{'call':<28}{'µs/call':>10}{'ratio':>8}")
    print(f"{'raw analytics.track':<28}{raw:>10.1f}{1.0:>8.2f}")
    for mode in ("strict", "report", "off"):
        tracker = Tracker(client, mode=mode)
        cost = per_call(lambda t=tracker: t.order_completed(user_id=user, **kwargs), calls)
        print(f"{'tracker.order_completed ' + mode:<28}{cost:>10.1f}{cost / raw:>8.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
