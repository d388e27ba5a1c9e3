"""Plan text can never break or inject into generated output, whatever it contains."""

from __future__ import annotations

import ast
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from codegen import generate
from codegen.generators.render import md, md_cell, md_code, py_doc, py_str
from codegen.pipeline import load_plan

from .conftest import CASES

HOSTILE = load_plan(CASES / "hostile.yaml")


def test_hostile_plan_is_accepted() -> None:
    assert HOSTILE.ok, [d.render() for d in HOSTILE.diagnostics]


def test_json_schemas_carry_names_exactly() -> None:
    assert HOSTILE.plan is not None
    files = generate(HOSTILE.plan)
    bundle = json.loads(files["schemas/plan.schema.json"])
    names = {e.name for e in HOSTILE.plan.events}
    consts = {
        branch["if"]["properties"]["event"]["const"]
        for branch in bundle["allOf"]
        if "event" in branch["if"]["properties"]
    }
    assert consts == names
    for path, text in files.items():
        if path.endswith(".json"):
            json.loads(text)


def test_readme_table_is_not_broken() -> None:
    assert HOSTILE.plan is not None
    readme = generate(HOSTILE.plan)["README.md"]
    assert "<script>" not in readme
    rows = [line for line in readme.splitlines() if line.startswith("| `schemas/")]
    assert len(rows) == len(HOSTILE.plan.events) + 2
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 3 for line in rows)


text_strategy = st.text(st.characters(codec="utf-8"), max_size=60)


@given(text_strategy)
def test_py_str_round_trips(value: str) -> None:
    assert ast.literal_eval(py_str(value)) == value


@given(text_strategy)
def test_py_doc_stays_inside_its_docstring(value: str) -> None:
    source = f'def f() -> None:\n    """{py_doc(value)}"""\n'
    tree = ast.parse(source)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef) and len(func.body) == 1
    doc = ast.get_docstring(func, clean=False)
    assert doc is not None
    visible = value.replace("\r\n", "\n").replace("\r", "\n")
    assert doc.split() == visible.split()  # same text (controls escaped); only layout may change


@given(text_strategy)
def test_markdown_cells_cannot_break_tables_or_inject_html(value: str) -> None:
    for filtered in (md(value), md_cell(value)):
        assert "\n" not in filtered
        assert "<" not in filtered and ">" not in filtered
        assert re.search(r"(?<!\\)\|", filtered) is None


@given(text_strategy)
def test_markdown_code_spans_cannot_break_tables(value: str) -> None:
    span = md_code(value)
    assert "\n" not in span
    assert re.search(r"(?<!\\)\|", span) is None
