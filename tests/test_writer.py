"""Writing is all-or-nothing: failures and Ctrl-C leave the previous output untouched."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from codegen.generators.paths import UnsafeOutputError, safe_relative
from codegen.output import writer
from codegen.output.writer import MARKER, changes, write


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_write_then_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {"a.txt": "one\n", "sub/b.txt": "two\n"}
    assert {c.kind for c in write(out, files)} == {"added"}
    assert changes(out, files) == []
    assert tree(out) == {**files, MARKER: writer.MARKER_TEXT}


def test_stale_files_are_removed_and_diff_is_shown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out, {"a.txt": "one\n", "old.txt": "x\n"})
    found = {c.path: c for c in changes(out, {"a.txt": "uno\n"})}
    assert found["old.txt"].kind == "removed"
    assert "-one\n+uno\n" in found["a.txt"].diff()
    write(out, {"a.txt": "uno\n"})
    assert not (out / "old.txt").exists()


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_half_way_leaves_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    out = tmp_path / "out"
    before = {f"f{i}.txt": f"old {i}\n" for i in range(5)}
    write(out, before)
    snapshot = tree(out)
    real_open = builtins.open
    calls = {"n": 0}

    def failing_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            calls["n"] += 1
            if calls["n"] == 3:
                raise exc
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", failing_open)
    with pytest.raises(type(exc)):
        write(out, {f"f{i}.txt": f"new {i}\n" for i in range(5)})
    monkeypatch.undo()
    assert tree(out) == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_refuses_folder_it_does_not_own(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(UnsafeOutputError):
        write(out, {"a.txt": "x"})
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "a\\b", ""])
def test_paths_cannot_escape(bad: str) -> None:
    with pytest.raises(UnsafeOutputError):
        safe_relative(bad)


def test_changes_ignores_the_input_record(tmp_path: Path) -> None:
    """`generate` writes `.codegen-inputs.json` next to the output after writing it; it records
    what the folder was made from and is not output, so `check` must not call it stale."""
    from codegen.output.manifest import INPUTS

    out = tmp_path / "out"
    write(out, {"a.txt": "x\n"})
    (out / INPUTS).write_text("{}\n")
    assert changes(out, {"a.txt": "x\n"}) == []
    assert [c.path for c in changes(out, {"a.txt": "y\n"})] == ["a.txt"]
