"""pytest plugin (the ``pytest11`` entry point): a ``tracking_plan_collector`` fixture for apps'
own test suites.

The collector (``codegen serve``) runs on a free 127.0.0.1 port for the test session; each test
gets it emptied, points its Segment or Customer.io client's host at ``collector.url``, and ends
with ``collector.assert_no_violations()``. The plan comes from ``--tracking-plan PATH``, the
``tracking_plan`` ini setting, or an overridden ``tracking_plan_path`` fixture.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    from ..serve import Running

SHOWN = 20  # violations listed in a failed assertion
Json = dict[str, object]  # one JSON object of the collector's API


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("tracking_plan", "Tracking plan YAML for the tracking_plan_collector fixture.")
    parser.getgroup("codegen").addoption(
        "--tracking-plan",
        dest="tracking_plan",
        default=None,
        help="Tracking plan YAML for the tracking_plan_collector fixture.",
    )


class TrackingPlanCollector:
    """A running collector: send to ``url``; read what it found; assert there is nothing."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str) -> Json:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return cast(Json, json.loads(response.read()))

    def violations(self) -> list[Json]:
        """Violations of the kept messages, as ``codegen validate --format json`` has them."""
        return cast(list[Json], self._call("GET", "/api/violations")["violations"])

    def summary(self) -> Json:
        """Counts (all messages since the last reset) and coverage."""
        return self._call("GET", "/api/summary")

    def messages(self) -> list[Json]:
        """The kept messages, oldest first, each with its outcome."""
        return cast(list[Json], self._call("GET", "/api/messages")["messages"])

    def reset(self) -> None:
        self._call("DELETE", "/api/violations")

    def assert_no_violations(self) -> None:
        """Fail the test, listing the violations, when any message broke the plan."""
        summary = self.summary()
        count = cast(int, summary["violations"])
        if not count:
            return
        shown = "\n".join(_line(v) for v in self.violations()[:SHOWN])
        more = count - min(count, SHOWN)
        raise AssertionError(
            f"{count} tracking plan violation(s) in {summary['invalid']} of "
            f"{summary['messages']} message(s):\n{shown}"
            + (f"\n... and {more} more" if more else "")
        )


def _line(v: Json) -> str:
    where = f"{v['event'] or 'message'} {v['pointer']}".strip()
    hint = f" (hint: {v['hint']})" if v.get("hint") else ""
    return f"  #{v['line']} {v['kind']} {where}: {v['message']}{hint}"


@pytest.fixture(scope="session")
def tracking_plan_path(pytestconfig: pytest.Config) -> Path:
    """The plan the collector checks against (override this fixture to choose it in code)."""
    given = pytestconfig.getoption("tracking_plan") or pytestconfig.getini("tracking_plan")
    if not given:
        raise pytest.UsageError(
            "tracking_plan_collector needs a plan: pass --tracking-plan PATH or set "
            "`tracking_plan = PATH` in the pytest configuration"
        )
    path = Path(str(given))
    return path if path.is_absolute() else pytestconfig.rootpath / path


@pytest.fixture(scope="session")
def _tracking_plan_server(tracking_plan_path: Path) -> Iterator[Running]:
    from ..pipeline import load_plan
    from ..plan.diagnostics import has_errors
    from ..serve import Collector, create_app, start

    loaded = load_plan(tracking_plan_path)
    if loaded.plan is None or has_errors(loaded.diagnostics):
        problems = "\n".join(
            f"  {d.location.file}:{d.location.line}: {d.message}" for d in loaded.diagnostics
        )
        raise pytest.UsageError(f"tracking plan {tracking_plan_path} has errors:\n{problems}")
    collector = Collector(loaded.plan)
    running = start(create_app(collector), collector)
    yield running
    running.stop()


@pytest.fixture
def tracking_plan_collector(_tracking_plan_server: Running) -> TrackingPlanCollector:
    """The session's collector, emptied for this test."""
    collector = TrackingPlanCollector(_tracking_plan_server.url)
    collector.reset()
    return collector
