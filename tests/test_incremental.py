"""A changed plan reuses the previous generation's files whose inputs did not change
(:class:`codegen.generators.cache.Pieces`); the output must be what generating from scratch
gives, whatever changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import Options, generate, generators
from codegen.generators import cache as cache_module
from codegen.generators.cache import OutputStore

from .conftest import ROOT, plan_from

PLAN = (ROOT / "plans" / "glow_shop.yaml").read_text(encoding="utf-8")
TARGETS = ("schemas", "liquid", "docs", "typescript")  # the SDK's modules: tests/test_cache.py

# Each edit must change the plan (checked), and together they touch every slice a file reads.
EDITS = {
    "event description": (
        "description: A product was added to the cart.",
        "description: A product was put in the cart.",
    ),
    "event property": (
        "      comment: {type: string, max_length: 2000",
        "      reason_code: {type: string}\n      comment: {type: string, max_length: 2000",
    ),
    "line shift only": ("  owner: data-platform", "\n\n  owner: data-platform"),
    "reusable type": (
        "image_url: {type: string, format: uri, description: Product image for emails.}",
        "image_url: {type: string, format: uri, description: Product picture for emails.}",
    ),
    "plan version": ("version: 1.2.0", "version: 1.3.0"),
    "shared property": (
        "description: ISO 4217 currency code.",
        "description: ISO 4217 code of the currency.",
    ),
    "event renamed": ("  Cart Viewed:", "  Basket Viewed:"),
}


def _edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("edit", list(EDITS))
def test_changed_plan_reuses_files_and_matches_a_fresh_generation(
    tmp_path: Path, edit: str
) -> None:
    options = Options(targets=TARGETS, cache_dir=tmp_path / "cache", workers=1)
    generate(plan_from(PLAN), options)
    old, new = EDITS[edit]
    if edit == "event renamed":  # every mention, or the plan no longer resolves
        text = PLAN.replace(old.strip(" :"), new.strip(" :"))
    else:
        text = _edited(PLAN, old, new)
    changed = plan_from(text)
    fresh = generate(changed, Options(targets=TARGETS))
    assert generate(changed, options) == fresh


def test_a_new_process_reuses_files_from_the_disk_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = Options(targets=TARGETS, cache_dir=tmp_path / "cache", workers=1)
    generate(plan_from(PLAN), options)
    monkeypatch.setattr(generators, "_last", None)  # as in a new process
    loaded = []
    real = OutputStore.get

    def get(self: OutputStore, key: str) -> dict[str, object] | None:
        found = real(self, key)
        loaded.append(found is not None)
        return found

    monkeypatch.setattr(OutputStore, "get", get)
    changed = plan_from(_edited(PLAN, *EDITS["event property"]))
    assert generate(changed, options) == generate(changed, Options(targets=TARGETS))
    assert loaded == [False, True]  # no whole output for this plan; the previous one read


def test_files_of_unchanged_events_are_not_rendered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = Options(targets=TARGETS, cache_dir=tmp_path / "cache", workers=1)
    generate(plan_from(PLAN), options)
    made: set[str] = set()
    real = cache_module.Pieces.put

    def put(self: cache_module.Pieces, key: str, text: str, path: str | None = None) -> None:
        if key not in self.previous:
            made.add(path or key)
        real(self, key, text, path)

    monkeypatch.setattr(cache_module.Pieces, "put", put)
    changed = plan_from(_edited(PLAN, *EDITS["event description"]))
    generate(changed, options)
    assert sorted(p for p in made if "/" in p) == [
        "docs/events/product_added.md",
        "schemas/events/product_added.schema.json",
        "typescript/src/events/product_added.ts",
        "typescript/src/validators/product_added.d.ts",
    ]


def test_whole_outputs_are_bounded_least_recently_used_first(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, keep=2)
    for n, key in enumerate(["a" * 64, "b" * 64, "c" * 64]):
        store.put(key, {"output": {"f": str(n)}})
        entry = tmp_path / "outputs" / f"{key}.json.txt"
        os.utime(entry, (1000 + n, 1000 + n))
    assert store.get("a" * 64) is None  # the oldest went when the third was written
    assert store.get("b" * 64) == {"output": {"f": "1"}}  # a hit makes it the most recent
    store.put("d" * 64, {"output": {"f": "3"}})
    assert store.get("c" * 64) is None
    assert store.get("b" * 64) is not None and store.get("d" * 64) is not None
    assert len(list((tmp_path / "outputs").iterdir())) == 2


@pytest.mark.parametrize("edit", ["event property", "line shift only", "reusable type"])
def test_changed_plan_regenerates_the_sdk_as_from_scratch(tmp_path: Path, edit: str) -> None:
    """The SDK's model modules, their cache keys and the tracker's methods of unchanged
    events are reused (in this process and from the disk cache)."""
    options = Options(targets=("python",), cache_dir=tmp_path / "cache", workers=1)
    generate(plan_from(PLAN), options)
    changed = plan_from(_edited(PLAN, *EDITS[edit]))
    fresh = generate(changed, Options(targets=("python",), workers=1))
    assert generate(changed, options) == fresh


KEYS = """
from pathlib import Path
from codegen import load_plan
from codegen.generators.cache import Pieces
plan = load_plan(Path("plans/glow_shop.yaml")).plan
pieces = Pieces(plan, "code")
print(pieces.output_key(("docs",)), *(pieces.event_key("k", e) for e in plan.events))
"""


def test_keys_are_the_same_in_every_process() -> None:
    """Regression: the plan's commerce amounts (a set) were pickled in hash order, so a new
    process (another PYTHONHASHSEED) found nothing of the previous generation to reuse."""
    runs = {
        subprocess.run(
            [sys.executable, "-c", KEYS],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1
