"""`codegen status`: tracking calls found in Python source, by AST, against the plan."""

from __future__ import annotations

import json
from pathlib import Path

from codegen.generators.pysdk.modelplan import build

from .conftest import ROOT, CliFn, glow_shop

GLOW = ROOT / "plans" / "glow_shop.yaml"

APP = """\
from glow_shop import Tracker

analytics = Tracker.for_segment("KEY")


def checkout(cart):
    analytics.identify(user_id="c_1", customer_id="c_1")
    analytics.order_completed(user_id="c_1", order_id="o", revenue=1.0)
    analytics.flush()


class Shop:
    def view(self):
        self.tracker.product_viewed(anonymous_id="a")
        get_tracker().order_complete(user_id="c_1")  # removed from the plan
        "order_completed".upper()  # not a tracker: ignored
        # tracker.checkout_started(...) in a comment is not a call
"""


def source(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "shop.py").write_text(APP)
    (tmp_path / "app" / ".venv").mkdir()
    (tmp_path / "app" / ".venv" / "x.py").write_text("tracker.nope()\n")  # hidden: skipped
    return tmp_path / "app"


def test_status_json_locates_calls_and_reports_gaps(cli: CliFn, tmp_path: Path) -> None:
    app = source(tmp_path)
    result = cli("status", "--plan", GLOW, app, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    shop = str(app / "shop.py")
    assert report["events"]["Order Completed"] == [f"{shop}:8"]
    assert report["events"]["Product Viewed"] == [f"{shop}:14"]
    planned = {m.event for m in build(glow_shop()).methods}
    assert set(report["events"]) == planned
    assert set(report["never_called"]) == planned - {"Order Completed", "Product Viewed"}
    [unknown] = report["unknown_calls"]
    assert unknown["method"] == "order_complete"
    assert unknown["location"] == f"{shop}:15"
    assert unknown["hint"] == "did you mean `order_completed`?"


def test_status_fails_on_never_called_when_asked(cli: CliFn, tmp_path: Path) -> None:
    app = source(tmp_path)
    assert cli("status", "--plan", GLOW, app).exit_code == 0
    failing = cli("status", "--plan", GLOW, app, "--fail-on", "never-called")
    assert failing.exit_code == 1
    assert "Checkout Started: never called" in failing.stdout
    assert f"{app / 'shop.py'}:15:9: warning[status/unknown-call]" in failing.stderr
    assert cli("status", "--plan", GLOW, app, "--fail-on", "unknown-calls").exit_code == 1
    assert cli("status", "--plan", GLOW, app, "--fail-on", "sometimes").exit_code == 2


def test_status_on_a_file_that_is_not_python_is_located(cli: CliFn, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    result = cli("status", "--plan", GLOW, broken)
    assert result.exit_code == 2
    assert f"{broken}:1:" in result.stderr and "status/unreadable" in result.stderr
    assert cli("status", "--plan", GLOW, tmp_path / "missing").exit_code == 2
