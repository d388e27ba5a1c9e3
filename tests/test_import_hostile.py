"""Hostile input for the importers: every malformed Segment plan or JSON Schema file becomes
diagnostics that name the file and a JSON Pointer, never an exception; a plan is written only when
it loads cleanly, and never when nothing could be read."""

from __future__ import annotations

import copy
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.interop.build import Imported
from codegen.interop.files import write_plan
from codegen.interop.jsonschemas import import_schemas
from codegen.interop.segment import import_segment, import_segment_file
from codegen.pipeline import load_plan_text
from codegen.plan.diagnostics import Level

from .conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"
if not CORPUS.is_dir():  # pragma: no cover - the copies may move; the originals stay
    CORPUS = ROOT.parent / "shared" / "corpus"
SEGMENT_FILES = sorted((CORPUS / "segment-typewriter").glob("*.json"))
IGLU = CORPUS / "snowplow-iglu-central" / "schemas"
# Problems an importer reports about a whole file rather than a place in it.
FILE_LEVEL = {
    "import/unreadable",
    "import/lint-downgraded",
    "import/nothing",
    "import/anonymous-allowed",
}


def check(result: Imported, file: str) -> None:
    """What every import must give, whatever the input."""
    for d in result.diagnostics:
        assert d.code.startswith("import/"), d.render()  # caught by the importer, not the loader
        assert d.location.file.startswith(file), d.render()
        if d.code not in FILE_LEVEL and d.location.line == 0:
            [pointer] = d.location.path
            assert str(pointer).startswith("/"), d.render()
    if result.text is None:
        assert any(d.level is Level.ERROR for d in result.diagnostics)
    else:
        loaded = load_plan_text(result.text, "imported.yaml")
        assert loaded.ok, [d.render() for d in loaded.diagnostics]


def problems(result: Imported) -> list[str]:
    return [d.code for d in result.diagnostics if d.level is not Level.INFO]


# -- Segment: table of malformed shapes ---------------------------------------------------------


def config(*events: Any, **extra: Any) -> dict[str, Any]:
    return {"display_name": "Shop", "rules": {"events": list(events), **extra}}


def event(properties: Any = None, **extra: Any) -> dict[str, Any]:
    inner = {"type": "object", "properties": properties or {"sku": {"type": "string"}}}
    return {
        "name": "Added to Cart",
        "version": 1,
        "rules": {"type": "object", "properties": {"properties": inner}},
        **extra,
    }


def prop(schema: Any) -> dict[str, Any]:
    """A Config API plan whose one event has one property ``p`` with ``schema``."""
    return config(event({"p": schema}))


def prop_of(name: str, schema: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {name: schema}}


def nested(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


SELF_REF = {"$ref": "#/definitions/a"}
LIST = {"n": {"type": "object", "properties": {"next": {"$ref": "#/definitions/n"}}}}
SEGMENT_CASES: list[tuple[str, Any, str]] = [
    ("top-level list", [], "import/shape"),
    ("top-level string", "abc", "import/shape"),
    ("top-level null", None, "import/shape"),
    ("no rules", {"display_name": "x"}, "import/shape"),
    ("rules an int", {"rules": 5}, "import/shape"),
    ("events not a list", {"rules": {"events": {"a": 1}}}, "import/malformed"),
    ("events of ints", config(5, "x", None), "import/malformed"),
    ("event without name", config({"version": 1, "rules": {}}), "import/malformed"),
    ("event name an object", config({**event(), "name": {"a": 1}}), "import/malformed"),
    ("version abc", config({**event(), "version": "abc"}), "import/malformed"),
    ("version a list", config({**event(), "version": [1]}), "import/malformed"),
    ("version huge", config({**event(), "version": 10**30}), "import/malformed"),
    ("version negative", config({**event(), "version": -3}), "import/malformed"),
    ("rules an int", config({**event(), "rules": 7}), "import/malformed"),
    ("rules a list", config({**event(), "rules": [1, 2]}), "import/malformed"),
    ("message properties a list", config({**event(), "rules": {"properties": []}}), "import/"),
    ("event properties a list", config(event([1, 2])), "import/malformed"),
    ("property type an int", prop({"type": 5}), "import/malformed"),
    ("property type a list of ints", prop({"type": [1, 2]}), "import/malformed"),
    ("property a string", prop("string"), "import/malformed"),
    ("property a number", prop(3), "import/malformed"),
    ("required a string", config(event(None, rules={"required": "p"})), "import/"),
    ("nested required an int", prop({"type": "object", "required": 5}), "import/malformed"),
    ("enum an int", prop({"type": "string", "enum": 5}), "import/malformed"),
    ("enum empty", prop({"type": "string", "enum": []}), "import/malformed"),
    ("enum of objects", prop({"type": "string", "enum": [{"a": 1}, [2]]}), "import/malformed"),
    ("enum of wrong kind", prop({"type": "integer", "enum": ["a"]}), "import/repaired"),
    ("enum duplicates", prop({"type": "string", "enum": ["a", "a"]}), "import/repaired"),
    ("format a list", prop({"type": "string", "format": ["email"]}), "import/malformed"),
    ("pattern invalid", prop({"type": "string", "pattern": "(["}), "import/malformed"),
    ("pattern an int", prop({"type": "string", "pattern": 5}), "import/malformed"),
    ("minLength a string", prop({"type": "string", "minLength": "5"}), "import/malformed"),
    ("minLength negative", prop({"type": "string", "maxLength": -1}), "import/malformed"),
    ("minimum above maximum", prop({"type": "number", "minimum": 9, "maximum": 1}), "repaired"),
    ("minimum huge", prop({"type": "number", "minimum": 10**400}), "import/malformed"),
    ("minimum infinite", prop({"type": "number", "maximum": float("inf")}), "import/malformed"),
    ("minimum NaN", prop({"type": "number", "minimum": float("nan")}), "import/malformed"),
    ("example NaN", prop({"type": "number", "examples": [float("nan")]}), "import/repaired"),
    ("items an int", prop({"type": "array", "items": 5}), "import/malformed"),
    ("anyOf an object", prop({"anyOf": {"type": "string"}}), "import/malformed"),
    ("anyOf empty", prop({"anyOf": []}), "import/malformed"),
    ("anyOf of ints", prop({"anyOf": [1, 2]}), "import/"),
    ("allOf an int", prop({"allOf": 5}), "import/malformed"),
    ("oneOf of strings", prop({"oneOf": ["a", "b"]}), "import/"),
    ("union listed twice", prop({"type": ["string", "string"]}), ""),
    ("additionalProperties a string", prop({"type": "object", "additionalProperties": "no"}), "/"),
    ("$ref an int", prop({"$ref": 5}), "import/malformed"),
    ("$ref to itself", {**prop(SELF_REF), "definitions": {"a": SELF_REF}}, "import/"),
    ("$ref cycle of objects", {**prop({"$ref": "#/definitions/n"}), "definitions": LIST}, "/"),
    ("x-code-name not snake", prop({"type": "string", "x-code-name": "Not Snake"}), "malformed"),
    ("x-code-name an int", config({**event(), "rules": {"x-code-name": 5}}), "import/"),
    ("x-tags a string", prop({"type": "string", "x-tags": "a"}), "import/malformed"),
    ("x-owner an object", prop({"type": "string", "x-owner": {}}), "import/malformed"),
    ("description a list", prop({"type": "string", "description": ["a"]}), "import/malformed"),
    ("nested 40 deep", prop(nested(40)), "import/unsupported"),
    ("nested 400 deep", prop(nested(400)), "import/unsupported"),
    ("identify traits an int", config(event(), identify_traits=5), "import/malformed"),
    ("identify traits a list", config(event(), identify_traits=prop_of("traits", [])), "malformed"),
    ("public rules of ints", {"rules": [1, None]}, "import/"),
    ("public rule type an int", {"rules": [{"type": 5, "key": "A"}]}, "import/"),
    ("public TRACK without key", {"rules": [{"type": "TRACK", "jsonSchema": {}}]}, "import/"),
    ("public jsonSchema an int", {"rules": [{"type": "TRACK", "key": "A", "jsonSchema": 1}]}, ""),
    ("public version abc", {"rules": [{"type": "TRACK", "key": "A", "version": "x"}]}, "import/"),
    ("no events", config(), "import/nothing"),
    ("names of every kind", {**config(event()), "display_name": 5, "slug": [], "name": {}}, ""),
]


def _rooted(case: Any) -> Any:
    """``definitions`` live in each rule's own schema (that is where `$ref`s resolve)."""
    if isinstance(case, dict) and "definitions" in case:
        case = copy.deepcopy(case)
        definitions = case.pop("definitions")
        for entry in case["rules"]["events"]:
            entry["rules"]["definitions"] = definitions
    return case


@pytest.mark.parametrize(
    ("document", "expected"),
    [pytest.param(_rooted(doc), code, id=name) for name, doc, code in SEGMENT_CASES],
)
def test_malformed_segment_plan_is_diagnosed(document: Any, expected: str) -> None:
    result = import_segment(document, "plan.json")
    check(result, "plan.json")
    assert any(expected in code for code in problems(result)), problems(result)


def test_the_table_is_large_enough() -> None:
    assert len(SEGMENT_CASES) + len(FILE_CASES) >= 40


# -- files: unreadable, empty, not UTF-8, not JSON, too deep ------------------------------------

FILE_CASES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "import/unreadable"),
    ("whitespace", b"  \n\t", "import/unreadable"),
    ("not utf-8", b'{"title": "\xff\xfe"}', "import/unreadable"),
    ("latin-1", '{"title": "café"}'.encode("latin-1"), "import/unreadable"),
    ("truncated", b'{"type": "object", "properties": {', "import/unreadable"),
    ("deep arrays", b"[" * 100_000 + b"]" * 100_000, "import/unreadable"),
    ("huge integer", b'{"type": "integer", "maximum": ' + b"9" * 5000 + b"}", "import/unreadable"),
    ("a list", b"[1, 2, 3]", "import/shape"),
    ("null", b"null", "import/shape"),
    ("a schema of type int", b'{"type": 5, "properties": {"a": {"type": 7}}}', "import/"),
    ("properties a list", b'{"type": "object", "properties": ["a", "b"]}', "import/malformed"),
    ("title an object", b'{"title": {"a": 1}, "properties": {"a": {}}}', ""),
    ("self a list", b'{"self": [1], "properties": {"a": {"type": "string"}}}', ""),
    ("self name an int", b'{"self": {"name": 5}, "properties": {"a": {}}}', ""),
    ("recursive $ref", b'{"properties": {"a": {"$ref": "#/x"}}, "x": {"$ref": "#/x"}}', "import/"),
    ("bom", b'\xef\xbb\xbf{"title": "Bom", "properties": {"a": {"type": "string"}}}', ""),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, code, id=name) for name, content, code in FILE_CASES],
)
def test_malformed_schema_file_is_diagnosed(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "schema.json"
    path.write_bytes(content)
    result = import_schemas(path)
    check(result, str(path))
    assert any(expected in code for code in problems(result)) or not expected, problems(result)
    segment = import_segment_file(path)
    check(segment, str(path))
    assert segment.text is None or problems(segment)


@pytest.mark.parametrize("kind", ["dangling symlink", "no permission"])
def test_one_unreadable_file_writes_no_plan(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "schema.json"
    if kind == "dangling symlink":
        path.symlink_to(tmp_path / "gone.json")
    else:
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        path.write_text('{"properties": {"a": {"type": "string"}}}')
        path.chmod(0)
    result = import_schemas(path)
    assert result.text is None
    assert {d.code for d in result.diagnostics} == {"import/unreadable", "import/nothing"}


def test_nothing_readable_writes_no_plan(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"\xff")
    (tmp_path / "b.json").write_text("[]")
    result = import_schemas(tmp_path)
    assert result.text is None
    assert "import/nothing" in problems(result)
    assert import_schemas(tmp_path / "missing.json").text is None
    assert import_segment(config(5), "plan.json").text is None


# -- mutations of the real corpus: a wrong value anywhere ---------------------------------------

HOSTILE = [
    None,
    True,
    -1,
    0,
    10**40,
    1.5e308,
    float("nan"),
    "",
    "abc",
    "#/definitions/x",
    [],
    [1, "a", None],
    {},
    {"type": 5},
    {"$ref": "#"},
    {"properties": []},
    nested(30),
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*at, index))


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(document)
    node = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copied


def _small(document: dict[str, Any]) -> dict[str, Any]:
    """The first few events only: the same shapes, a fraction of the import time."""
    rules = document["rules"]
    if isinstance(rules, list):
        return {**document, "rules": rules[:6]}
    return {**document, "rules": {**rules, "events": rules["events"][:6]}}


SEGMENT_DOCS = {p.name: _small(json.loads(p.read_text(encoding="utf-8"))) for p in SEGMENT_FILES}
SEGMENT_PATHS = [(name, path) for name, doc in SEGMENT_DOCS.items() for path in _paths(doc)]
IGLU_FILES = sorted(p for p in IGLU.rglob("*") if p.is_file())[::40]
IGLU_DOCS = {str(p.relative_to(IGLU)): json.loads(p.read_text()) for p in IGLU_FILES}
IGLU_PATHS = [(name, path) for name, doc in IGLU_DOCS.items() for path in _paths(doc)]
MUTATIONS = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@MUTATIONS
@given(st.sampled_from(SEGMENT_PATHS), st.sampled_from(HOSTILE))
def test_segment_corpus_with_a_wrong_value_anywhere(
    where: tuple[str, tuple[Any, ...]], value: Any
) -> None:
    name, path = where
    result = import_segment(_replace(SEGMENT_DOCS[name], path, value), name)
    check(result, name)


@MUTATIONS
@given(st.sampled_from(IGLU_PATHS), st.sampled_from(HOSTILE))
def test_iglu_schema_with_a_wrong_value_anywhere(
    tmp_path_factory: pytest.TempPathFactory, where: tuple[str, tuple[Any, ...]], value: Any
) -> None:
    name, path = where
    file = tmp_path_factory.mktemp("iglu") / "schema.json"
    file.write_text(json.dumps(_replace(IGLU_DOCS[name], path, value)), encoding="utf-8")
    check(import_schemas(file), str(file))


# -- writing the plan ---------------------------------------------------------------------------


def test_write_plan_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    plan = tmp_path / "plans" / "shop.yaml"
    assert write_plan("a: 1\n", plan) is None
    refused = write_plan("a: 2\n", plan)
    assert refused is not None and refused.code == "import/not-written"
    assert "--force" in (refused.hint or "")
    assert plan.read_text() == "a: 1\n"
    assert write_plan("a: 2\n", plan, force=True) is None
    assert plan.read_text() == "a: 2\n"
    assert [p.name for p in plan.parent.iterdir()] == ["shop.yaml"]  # no temporary left


def test_write_plan_to_a_folder_or_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_plan("a: 1\n", tmp_path, force=True)
    assert folder is not None and "folder" in folder.message
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    failed = write_plan("a: 1\n", blocked / "shop.yaml")
    assert failed is not None and "cannot be written" in failed.message
    plan = tmp_path / "shop.yaml"
    plan.write_text("old: 1\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    failed = write_plan("new: 1\n", plan, force=True)
    assert failed is not None and "No space left" in failed.message
    assert plan.read_text() == "old: 1\n"  # the previous plan is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "shop.yaml"]
