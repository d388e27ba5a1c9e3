"""The disk cache of formatted Python: hits, misses, damaged entries, no room, many writers."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from codegen import Options, generate
from codegen.generators.cache import DiskCache, default_cache_dir, encode_entry

from .conftest import glow_shop

KEY = "ab" + "0" * 62
TEXT = 'class Order:\r\n    """Caf\u00e9 \u2615"""\n' * 50


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_miss_then_hit_byte_exact(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    assert cache.get(KEY) is None
    cache.put(KEY, TEXT)
    assert cache.get(KEY) == TEXT  # CRLF and non-ASCII come back unchanged
    assert DiskCache(tmp_path).get(KEY) == TEXT  # from disk, not from memory
    assert DiskCache(tmp_path).get("cd" + KEY[2:]) is None


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:10], id="truncated-in-header"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b.replace(b"Order", b"Ordex"), id="bit-flip"),
        pytest.param(lambda b: b"\xff\xfe\x00garbage" * 100, id="garbage-not-utf8"),
        pytest.param(lambda b: b.split(b"\n", 1)[1], id="old-entry-without-digest"),
    ],
)
def test_damaged_entry_is_a_miss_not_output(tmp_path: Path, damage: object) -> None:
    cache = DiskCache(tmp_path)
    cache.put(KEY, TEXT)
    [entry] = entries(tmp_path)
    assert callable(damage)
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.get(KEY) is None
    cache.put(KEY, TEXT)  # regenerated: the entry is replaced
    assert cache.get(KEY) == TEXT


def test_entry_path_taken_by_a_folder_is_a_miss(tmp_path: Path) -> None:
    """Regression: reading raised IsADirectoryError instead of missing."""
    cache = DiskCache(tmp_path)
    (tmp_path / KEY[:2] / f"{KEY}.py.txt").mkdir(parents=True)
    assert cache.get(KEY) is None
    cache.put(KEY, TEXT)  # cannot replace a folder: silently not cached
    assert cache.get(KEY) is None
    assert not list(tmp_path.rglob(".tmp-*"))


@pytest.fixture(scope="module")
def uncached_sdk() -> dict[str, str]:
    return generate(glow_shop(), Options(targets=("python",), workers=1))


def test_unwritable_cache_folder_only_costs_time(
    tmp_path: Path, uncached_sdk: dict[str, str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache = DiskCache(blocker / "cache")  # every mkdir and write fails, even as root
    cache.put(KEY, TEXT)
    assert cache.get(KEY) is None
    options = Options(targets=("python",), cache_dir=blocker / "cache", workers=1)
    assert generate(glow_shop(), options) == uncached_sdk


def test_a_full_disk_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A write that fails half-way (here: the file size limit) leaves neither an entry nor a
    `.tmp-` file behind."""
    script = f"""
import resource, signal
from pathlib import Path
from codegen.generators.cache import DiskCache
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
cache = DiskCache(Path({str(tmp_path)!r}))
cache.put({KEY!r}, "x" * 100_000)
print(cache.get({KEY!r}) is None)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
    assert entries(tmp_path) == []


def test_damaged_cache_regenerates_the_same_sdk(
    tmp_path: Path, uncached_sdk: dict[str, str]
) -> None:
    """Regression: a torn entry was returned as generated Python (a SyntaxError in black)."""
    plan = glow_shop()
    options = Options(targets=("python",), cache_dir=tmp_path / "cache", workers=1)
    assert generate(plan, options) == uncached_sdk
    stored = entries(tmp_path / "cache")
    assert stored, "nothing was cached"
    for entry in stored:
        entry.write_bytes(entry.read_bytes()[:-40])  # every entry torn
    assert generate(plan, options) == uncached_sdk
    modules = [p for p in stored if p.name.endswith(".py.txt")]  # not the whole outputs
    assert modules and all(DiskCache(tmp_path / "cache").get(p.name.split(".")[0]) for p in modules)
    assert generate(plan, options) == uncached_sdk  # the whole output, stored again


# -- several processes at once ------------------------------------------------------------------

SHARED_KEY = "ff" + "1" * 62
ROUNDS = 25


def _value(writer: int, size: int = 100_000) -> str:
    line = f"writer {writer} line\n"
    return line * (size // len(line))


def _writer(folder: str, writer: int) -> list[str]:
    """Put the shared key (each writer its own value) and a key of its own, reading back after
    every write; returns what was read that was not one complete value."""
    cache = DiskCache(Path(folder))
    complete = {_value(w) for w in range(4)}
    own_key = f"{writer:02d}" + "2" * 62
    bad = []
    for _ in range(ROUNDS):
        cache.put(SHARED_KEY, _value(writer))
        cache.put(own_key, _value(writer))
        shared = cache.get(SHARED_KEY)
        if shared not in complete:
            bad.append(f"shared key: {len(shared or '')} chars")
        if cache.get(own_key) != _value(writer):
            bad.append(f"own key of writer {writer}")
    return bad


@pytest.mark.slow
def test_concurrent_writers_never_expose_a_partial_entry(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=spawn) as pool:
        results = list(pool.map(_writer, [str(tmp_path)] * 4, range(4)))
    assert results == [[], [], [], []]
    cache = DiskCache(tmp_path)
    assert cache.get(SHARED_KEY) in {_value(w) for w in range(4)}
    for writer in range(4):
        assert cache.get(f"{writer:02d}" + "2" * 62) == _value(writer)
    assert not list(tmp_path.rglob(".tmp-*"))
    assert len(entries(tmp_path)) == 5


# -- where the cache lives ----------------------------------------------------------------------


def test_default_folder_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CODEGEN_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "codegen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "codegen"


def test_the_suite_and_its_subprocesses_never_use_the_user_cache(
    hermetic_caches: Path,
) -> None:
    """tests/conftest.py points the cache at a session temp folder; subprocesses inherit it."""
    assert default_cache_dir().is_relative_to(hermetic_caches)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, os; from codegen.generators.cache import default_cache_dir; "
            "print(json.dumps([str(default_cache_dir()), os.environ['XDG_CACHE_HOME']]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    folders = [Path(p) for p in json.loads(child.stdout)]
    assert all(p.is_relative_to(hermetic_caches) for p in folders), folders
    real = Path.home() / ".cache"
    assert not any(p.is_relative_to(real) for p in folders)


def test_encoded_entry_is_plain_text_after_one_header_line() -> None:
    data = encode_entry("x = 1\n")
    header, body = data.split(b"\n", 1)
    assert header.startswith(b"codegen-cache-1 ") and len(header) == 16 + 64
    assert body == b"x = 1\n"


def test_unchanged_generation_is_read_back_whole_and_any_input_change_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-output entry (issue 14: an unchanged plan in well under a second) is keyed by
    everything output depends on: a changed plan, target list or override template misses."""
    import codegen.generators as generators

    plan = glow_shop()
    options = Options(cache_dir=tmp_path / "cache", targets=("schemas", "docs"), workers=1)
    first = generate(plan, options)
    real = generators._generate
    calls: list[int] = []

    def counting(*args: object) -> dict[str, str]:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(generators, "_generate", counting)
    assert generate(plan, options) == first and calls == []
    changed = dataclasses.replace(plan, version="9.9.9")
    assert generate(changed, options) != first and calls == [1]
    assert generate(plan, dataclasses.replace(options, targets=("schemas",))) != first
    override = tmp_path / "templates"
    override.mkdir()
    options = dataclasses.replace(options, templates=override)
    generate(plan, options)
    (override / "unused.j2").write_text("x", encoding="utf-8")  # any file of the folder counts
    generate(plan, options)
    assert len(calls) == 4
