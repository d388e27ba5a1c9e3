"""The generated tree's manifest: `check` with an empty cache trusts what it vouches for, and
still catches a hand edit, a changed template and a changed tool version. Also the speed-ups
behind it: formatting large modules in pieces and datamodel-code-generator in batches must not
change a byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import black
import pytest

from codegen import Options, generate
from codegen.cli import generate as generate_command
from codegen.generators import cache as cache_module
from codegen.generators.cache import MANIFEST, MemoryCache, read_manifest, text_digest
from codegen.generators.pysdk import formatting, models
from codegen.generators.pysdk.formatting import format_piece, format_python, split
from codegen.output.manifest import INPUTS, TreeCache, inputs_digest

from .conftest import ROOT, CliFn, glow_shop, plan_from

GENERATED = ROOT / "generated" / "glow_shop"
PACKAGE = Path("python") / "glow_shop"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the committed output: what a fresh CI runner checks out."""
    out = tmp_path / "out"
    shutil.copytree(GENERATED, out)
    return out


def no_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any datamodel-code-generator run or black call from here on fails the test."""

    def refuse(*_: object, **__: object) -> list[str]:
        raise AssertionError("regenerated a file the manifest vouches for")

    monkeypatch.setattr(models, "_generate_models", refuse)
    monkeypatch.setattr(models, "_format", refuse)
    monkeypatch.setattr(models, "_format_piece", refuse)


def check(cli: CliFn, tree: Path, tmp_path: Path, *extra: str) -> tuple[int, str]:
    """`codegen check` with an empty cache, as on a fresh CI runner."""
    empty = tmp_path / f"empty-cache-{len(list(tmp_path.iterdir()))}"
    assert not empty.exists()
    result = cli("check", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", empty, *extra)
    return result.exit_code, result.stderr


def test_check_of_an_untouched_folder_does_not_even_load_the_plan(
    cli: CliFn, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("loaded the plan although its inputs are unchanged")

    # The committed record is stale whenever codegen's own source changed since `make generate`
    # (then `check` takes the full path): generate refreshes it first.
    cli("generate", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", tmp_path / "c")
    monkeypatch.setattr(generate_command, "load_plans", refuse)
    code, stderr = check(cli, tree, tmp_path)
    assert code == 0, stderr
    assert "up to date (inputs unchanged)" in stderr


def test_check_with_an_empty_cache_regenerates_nothing(
    cli: CliFn, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the folder's input record (or with a stale one: codegen changed), the plan is
    loaded and everything cheap regenerated, but the manifest vouches for the Python."""
    (tree / INPUTS).unlink()
    no_generation(monkeypatch)
    code, stderr = check(cli, tree, tmp_path)
    assert code == 0, stderr
    assert "up to date" in stderr and "inputs unchanged" not in stderr
    # and check wrote nothing: no whole output, no compiled template
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("empty-cache")]


def test_generate_over_its_own_folder_keeps_the_output_for_the_next_run(
    cli: CliFn, tree: Path, tmp_path: Path
) -> None:
    """`codegen generate` reuses the folder's modules and still stores its whole output, so
    the next run after a one-event change remakes only that event's pieces."""
    cache = tmp_path / "cache"
    (tree / INPUTS).unlink()  # or the inputs are unchanged and nothing is generated
    result = cli("generate", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", cache)
    assert result.exit_code == 0, result.stderr
    assert len(list((cache / "outputs").iterdir())) == 1


def test_check_catches_a_hand_edit_without_the_cache(
    cli: CliFn, tree: Path, tmp_path: Path
) -> None:
    edited = tree / PACKAGE / "events" / "cart_viewed.py"
    edited.write_text(edited.read_text() + "EDITED = True\n")
    code, stderr = check(cli, tree, tmp_path)
    assert code == 1
    assert f"changed {(PACKAGE / 'events' / 'cart_viewed.py').as_posix()}" in stderr
    assert MANIFEST not in stderr  # the manifest still describes the generated text


def test_check_catches_a_changed_template_without_the_cache(
    cli: CliFn, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"  # overrides shipped templates by file name
    templates.mkdir()
    shipped = (ROOT / "templates" / "python" / "tracker.py.j2").read_text()
    (templates / "tracker.py.j2").write_text(shipped + "\n\nEXTRA = 1\n")
    code, stderr = check(cli, tree, tmp_path, "--templates", templates)
    assert code == 1
    assert f"changed {(PACKAGE / 'tracker.py').as_posix()}" in stderr
    assert f"changed {(PACKAGE / MANIFEST).as_posix()}" in stderr
    assert "events/cart_viewed.py" not in stderr  # the model modules were reused


def test_check_catches_a_changed_tool_version_without_the_cache(
    cli: CliFn, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = models.tool_versions()
    monkeypatch.setattr(models, "tool_versions", lambda: ("0.0.1", *real[1:]))
    versions = cache_module.installed_versions()
    monkeypatch.setattr(
        cache_module,  # where the input record reads them
        "installed_versions",
        lambda: {**versions, "datamodel-code-generator": "0.0.1"},
    )
    code, stderr = check(cli, tree, tmp_path)
    assert code == 1
    assert f"changed {(PACKAGE / MANIFEST).as_posix()}" in stderr


def test_forged_manifest_fools_check_but_not_check_no_cache(
    cli: CliFn, tree: Path, tmp_path: Path
) -> None:
    """The documented limit: an edit *and* a matching manifest edit pass `check`;
    `--no-cache` regenerates everything and catches it."""
    rel = "events/cart_viewed.py"
    edited = tree / PACKAGE / rel
    text = edited.read_text() + "EDITED = True\n"
    edited.write_text(text)
    manifest = tree / PACKAGE / MANIFEST
    forged = manifest.read_text().replace(
        read_manifest(manifest.read_text())[rel][1], text_digest(text)
    )
    manifest.write_text(forged)
    assert check(cli, tree, tmp_path)[0] == 0
    code, stderr = check(cli, tree, tmp_path, "--no-cache")
    assert code == 1
    assert f"changed {(PACKAGE / rel).as_posix()}" in stderr


def test_inputs_digest_covers_plan_templates_and_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = (ROOT / "plans" / "glow_shop.yaml").read_bytes()
    base = inputs_digest(plan, Options())
    assert inputs_digest(plan, Options()) == base
    assert inputs_digest(plan + b"\n", Options()) != base
    assert inputs_digest(plan, Options(targets=("python",))) != base
    templates = tmp_path / "templates"
    templates.mkdir()
    empty = inputs_digest(plan, Options(templates=templates))
    (templates / "tracker.py.j2").write_text("x")
    assert inputs_digest(plan, Options(templates=templates)) != empty
    monkeypatch.setattr(cache_module, "installed_versions", lambda: {"black": "0"})
    assert inputs_digest(plan, Options()) != base


def test_generate_records_inputs_and_a_hand_edit_voids_them(
    cli: CliFn, tree: Path, tmp_path: Path
) -> None:
    (tree / INPUTS).unlink()
    result = cli("generate", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0 and (tree / INPUTS).is_file()
    again = cli("generate", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", tmp_path / "c")
    assert "inputs unchanged" in again.stderr
    (tree / "README.md").write_text("edited\n")
    code, stderr = check(cli, tree, tmp_path)
    assert code == 1 and "changed README.md" in stderr


def test_tree_cache_refuses_what_it_cannot_vouch_for(tree: Path) -> None:
    manifest = tree / PACKAGE / MANIFEST
    entries = read_manifest(manifest.read_text())
    key, _ = entries["tracker.py"]
    assert TreeCache(tree).get(key + "0" * 32) == (tree / PACKAGE / "tracker.py").read_text()
    (tree / PACKAGE / "tracker.py").unlink()
    assert TreeCache(tree).get(key) is None  # missing file
    escaping = {"comment": "", "version": 1, "tools": {}, "files": {"../../x.py": [key, "0"]}}
    manifest.write_text(json.dumps(escaping))
    assert TreeCache(tree).index == {}  # a path out of the tree is never read
    manifest.write_text("{not json")
    assert TreeCache(tree).index == {}
    assert TreeCache(tree / "missing").get(key) is None


def test_generate_reuses_the_tree_and_writes_the_same_bytes(
    cli: CliFn, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in tree.rglob("*") if p.is_file() and p.name != INPUTS}

    before = files()
    (tree / INPUTS).unlink()
    no_generation(monkeypatch)
    result = cli("generate", "plans/glow_shop.yaml", "-o", tree, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 0, result.stderr
    assert files() == before


def test_committed_modules_are_a_fixed_point_of_black_and_isort() -> None:
    """format_python no longer runs black twice per module (it doubled the cold time); this is
    the stability check instead, on every committed module."""
    for path in sorted(GENERATED.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert format_python(text, "glow_shop") == text, path


# A class whose methods exercise every rule of where a piece may start.
# Methods a blank line apart (a cut needs one), but for `first`.
TRICKY = '''
"""Doc."""
import os, sys
class Tracker( object ):
    """Doc."""
    x = { 'a':1 }
    def first(self): return 1

    def second(self,
        a, b,):
        if a:
            return b

    def after_if(self): pass

    # a comment before a method
    def after_comment(self):
        x = [1,2,
        3]

    @property
    def decorated(self): return 2

    def after_decorated(self):
        def inner(): pass
        return inner

    def after_nested(self):
        """A docstring
           with indentation."""
        from os import path
        return path

    async def asynchronous(self): await x

    def after_async(self):
        return 'q'

    class Inner: pass

    def after_class(self): y = 1

    def plain(self): z = 2

    def last(self): return {'k':'v',}
def top(): pass
class Other:

    def m(self): pass

    def n(self): pass
'''


@pytest.mark.parametrize("source", [TRICKY, TRICKY.replace("    ", "  ")], ids=["4", "2"])
def test_formatting_in_pieces_equals_formatting_the_whole(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formatting, "SPLIT_FROM_LINES", 0)
    monkeypatch.setattr(formatting, "PIECE_EVERY", 1)  # cut wherever it is allowed
    pieces = split(source)
    assert "".join(pieces) == source
    assert len(pieces) >= 5
    joined = "".join(format_piece(p, i == 0, "pkg") for i, p in enumerate(pieces))
    assert joined == format_python(source, "pkg")


def test_no_piece_starts_where_black_would_see_other_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formatting, "SPLIT_FROM_LINES", 0)
    monkeypatch.setattr(formatting, "PIECE_EVERY", 1)
    starts = {p.lstrip().split("(")[0] for p in split(TRICKY)[1:]}
    assert starts == {
        "def second",
        "def after_nested",
        "async def asynchronous",
        "def after_async",
        "def plain",
        "def last",
        "def n",
    }


def test_large_tracker_in_pieces_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_from(_synthetic(40))
    whole = generate(plan, Options(targets=("python",), workers=1))
    monkeypatch.setattr(formatting, "SPLIT_FROM_LINES", 200)
    monkeypatch.setattr(formatting, "PIECE_EVERY", 3)
    assert len(split(_tracker_source(plan))) > 3
    assert generate(plan, Options(targets=("python",), workers=1)) == whole


def test_batched_models_equal_one_run_per_module(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = glow_shop()
    batched = generate(plan, Options(targets=("python",), workers=1))
    monkeypatch.setattr(models, "_BATCH", 1)
    assert generate(plan, Options(targets=("python",), workers=1)) == batched


def test_black_is_called_once_per_module(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = black.format_str

    def counting(source: str, *, mode: black.Mode) -> str:
        calls.append(1)
        return real(source, mode=mode)

    monkeypatch.setattr(black, "format_str", counting)
    built = models.render_modules({}, {"a.py": "x=1\n"}, {}, "pkg", MemoryCache())
    assert built["a.py"] == "x = 1\n" and len(calls) == 1
    assert read_manifest(built[MANIFEST])["a.py"][1] == text_digest("x = 1\n")


def _tracker_source(plan: object) -> str:
    from codegen.generators.pysdk import modelplan, sdk
    from codegen.generators.render import render

    assert isinstance(plan, type(glow_shop()))
    context = sdk.template_context(plan, modelplan.build(plan))
    return render("python/tracker.py.j2", None, **context)


def _synthetic(events: int) -> str:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from synthetic import plan_yaml
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return plan_yaml(events, "synthetic_pieces")
