"""Attacks on the formatting shortcuts of codegen/generators/pysdk/formatting.py.

The promise under attack: ``format_python(source, first_party)`` is exactly
``black.format_str(isort.code(source, config=_isort(first_party)), mode=_BLACK)``, or raises
where that raises. The tests under "differences found" each failed when written (an attack on
the shortcuts, issue 14) and were fixed: the shortcuts now read only code (never lines inside a
string), send modules that do not parse or carry fmt:/yapf: directives to black whole, put a
run back only where its first line is unique, refuse tracker docstrings black would re-indent,
and cut pieces only after a blank line. The other tests are angles that held, kept so they
stay held.

Complements tests/test_sdk_speed.py (random model modules, fuzzed plans, the method grammar).
"""

from __future__ import annotations

import json

import black
import isort
import pytest

from codegen import Options, generate
from codegen.generators.pysdk import formatting
from codegen.generators.pysdk.formatting import FormatError, format_python

from .conftest import plan_from
from .test_sdk_speed import METHOD, black_only

IMPORTS = "# Generated.\n\nfrom a import b\nfrom c import d\n\n\n"  # a run: the shortcuts apply


def _reference(source: str, first_party: str = "pkg") -> str:
    """Plain isort then black on every line."""
    sorted_source = isort.code(source, config=formatting._isort(first_party))
    return black.format_str(sorted_source, mode=formatting._BLACK)


def _assert_like_black(source: str) -> None:
    try:
        expected = _reference(source)
    except black.parsing.InvalidInput:
        with pytest.raises(FormatError):
            format_python(source, "pkg")
        return
    assert format_python(source, "pkg") == expected


# -- differences found: plans ---------------------------------------------------------------


def _plan(event_description: str, properties: str) -> str:
    return f"""plan:
  name: Attack
  slug: attack
  version: 1.0.0
  description: Attack plan.
  owner: data@attack.example
identity:
  primary_id: customer_id
events:
  Export Done:
    description: {event_description}
    properties:
{properties}"""


def _assert_sdk_like_black(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_from(text)
    fast = generate(plan, Options(targets=("python",), workers=1, cache_dir=None))
    black_only(monkeypatch)
    slow = generate(plan, Options(targets=("python",), workers=1, cache_dir=None))
    module = "python/attack/events/export_done.py"
    assert fast[module] == slow[module]
    assert fast == slow


def test_event_description_with_a_backslash_and_a_label_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Windows path in an event description, and a last line that parses as a field."""
    properties = "      count: {type: integer, required: true, description: How many files.}\n"
    text = _plan('"An export was written under C:\\\\exports.\\nUnits: files"', properties)
    _assert_sdk_like_black(text, monkeypatch)


@pytest.mark.parametrize(
    "property_yaml",
    [
        "      note: {type: string, description: "
        "\"C:\\\\temp\\nunit: 'cents'\\nscale: 100\\nend.\"}\n",
        '      code: {type: string, pattern: "^\\\\d{3}$", description: "sum: a+b\\nend."}\n',
        "      text: {type: string, description: \"a\u00a0b\\nc: 'd'\\ne: 1\"}\n",
    ],
    ids=["backslash-in-description", "backslash-in-pattern", "nbsp-in-description"],
)
def test_description_lines_that_look_like_fields_are_left_alone(
    property_yaml: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_sdk_like_black(_plan("Exported.", property_yaml), monkeypatch)


# -- differences found: format_python on module text ------------------------------------------


def test_field_like_last_line_of_a_refused_class_docstring() -> None:
    source = IMPORTS + (
        'class A(B):\n    """\n    Tab\there.\n    Units: cents\n    """\n'
        "    model_config = ConfigDict(\n        extra='forbid',\n    )\n"
        '    n: int\n    """\n    N.\n    """\n'
    )
    _assert_like_black(source)


@pytest.mark.parametrize(
    "inside",
    ["    x: Literal['a']\n    y: int\n", "    x: Literal[1,2]\n"],
    ids=["requoted", "loose"],
)
def test_field_like_lines_inside_a_string_literal(inside: str) -> None:
    _assert_like_black(IMPORTS + "X = '''\n" + inside + "'''\n")


def test_class_with_docstring_inside_a_string_literal() -> None:
    _assert_like_black(
        IMPORTS + "X = '''\nclass A:\n    \"\"\"\n    doc\n    \"\"\"\n    y: int\n'''\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        "    # fmt: off\n    x: Literal['a']\n    y: int\n    # fmt: on\n    z: int\n",
        "    # fmt: off\n    x: Literal[1,2]\n    # fmt: on\n    z: int\n",
        "    # yapf: disable\n    y: Literal['a']\n    z: int\n",
    ],
    ids=["requoted", "loose", "yapf"],
)
def test_fmt_off_in_a_class_body(body: str) -> None:
    _assert_like_black(IMPORTS + "class A(B):\n" + body)


def test_fmt_off_header_comment() -> None:
    _assert_like_black(
        "# fmt: off\n\nfrom a import b\n\n\nclass A(B):\n    x: Literal['a']\n    y: int\n"
    )


@pytest.mark.parametrize(
    "source",
    [
        'X = {\n    "a": "b",\n    "c": "d",\n    "e": "f"\n}\nY = {\n    "a": "b",\n}\n',
        'X = {\n  "k": [\n    "a",\n    "b",\n  ],\n}\nY = [\n    "a",\n]\n',
        # the elided tuple is a one-tuple, whose trailing comma is not magic: black joins it
        'T = (\n    "a",\n    "b",\n)\nY = [\n    "a",\n    "b",\n]\n',
    ],
    ids=["joined", "reindented", "one-tuple"],
)
def test_a_run_moved_by_black_next_to_an_identical_line(source: str) -> None:
    _assert_like_black(source)


@pytest.mark.parametrize(
    "source",
    [
        IMPORTS + "class A(B):\n    x: int\n    if: int\n",
        IMPORTS + "class A(B):\n    x: not\n    y: int\n",
        IMPORTS + "class A(B):\n    x: Field(if=1)\n    y: int\n",
        'X = {\n    "a": "b",\n    "c": "d\re",\n}\n',
    ],
    ids=["keyword-name", "keyword-annotation", "keyword-argument", "carriage-return"],
)
def test_invalid_lines_hidden_from_black_still_fail(source: str) -> None:
    _assert_like_black(source)


# -- differences found: the tracker's method grammar (not reachable from the template) ----------


def _method_as_black_writes(piece: str) -> str:
    return formatting.format_piece(piece, False)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"""Track Order Completed.', '"""Track Order Completed.   '),
        ("        Requires ``user_id``.\n\n        Args:\n", ""),
        (
            "\n        Requires ``user_id``.\n\n        Args:\n            tier: (no description "
            "in the plan) Optional.\n",
            "",
        ),
    ],
    ids=["first-line-spaces", "all-lines-deeper", "first-line-only"],
)
def test_tracker_method_docstrings_black_rewrites(old: str, new: str) -> None:
    piece = METHOD.replace(old, new)
    assert piece != METHOD
    if formatting.stable_methods(piece):
        assert formatting.as_formatted(piece) == _method_as_black_writes(piece)


# -- angles that held -----------------------------------------------------------------------


def test_the_method_grammar_still_equals_black_on_the_template_method() -> None:
    assert formatting.stable_methods(METHOD)
    assert formatting.as_formatted(METHOD) == _method_as_black_writes(METHOD)


_WIDE = ["漢", "👍", "é", "e\u0301", "👨\u200d👩\u200d👧", "\uff21"]


def _padded(head: str, char: str, tail: str, over: bool) -> str:
    """``head + char * n + tail`` at most 100 columns wide (black's str_width), the widest
    such line; one ``char`` more when ``over`` (then over 100, unlike its len() for most)."""
    text = ""
    while black.strings.str_width(head + text + char + tail) <= formatting.LINE_LENGTH:
        text += char
    line = head + text + (char if over else "") + tail
    assert (black.strings.str_width(line) > formatting.LINE_LENGTH) is over
    return line


@pytest.mark.parametrize("char", _WIDE)
@pytest.mark.parametrize("over", [False, True], ids=["fits", "over"])
def test_wide_characters_at_the_line_limit(char: str, over: bool) -> None:
    """Fields, class docstrings and run entries at the 100-column limit, measured as black
    measures it (East Asian wide characters count two, combining ones none)."""
    field = _padded('    x: Literal["', char, '"] | MISSING = MISSING', over)
    doc_line = _padded("    ", char, "", over)
    entry = _padded('    "', char, '",', over)
    for source in (
        IMPORTS + "class A(B):\n    y: int\n" + field + "\n    z: int\n",
        IMPORTS + "class A(B):\n" + field + "\n",
        IMPORTS + 'class A(B):\n    """\n' + doc_line + '\n    """\n    y: int\n',
        'X = [\n    "a",\n' + entry + "\n]\n",
    ):
        _assert_like_black(source)


@pytest.mark.parametrize(
    "source",
    [
        "from a import b\r\nfrom a import c\r\n\r\n\r\nclass A(B):\r\n    x: Literal['a']\r\n"
        "    y: int\r\n",
        'X = [\n    "a",\n    "c\x0cd",\n]\n',
        'X = [\n    "a",\n    "c\x0bd",\n]\n',
        'X = [\n    "a",\n    "c\x00d",\n]\n',
        'X = [\n    "a",\n    "c\u2028d",\n]\n',
        'X = {\n    "a": "b",\n    "c": "d",\n}\nY = {\n    "a": "b",\n    "c": "d",\n}\n',
        "from a import b\nfrom c import d\n\nif X:\n    from .a import b\n    from .c import d\n"
        "if Y:\n    from .a import b\n    from .c import d\n",
        IMPORTS + 'class A(B):\n    """\n    """\n    x: int\n    y: int\n',
        IMPORTS + 'class A(B):\n    """\n    doc\n    """\n    # c\n    x: int\n',
        IMPORTS + 'class A(B):\n    """\n    doc\n    """\n    @x\n    def f(self): pass\n',
        IMPORTS + 'class A(B):\n    """\n    doc\n    """\n\n\n    x: int\n    y: int\n',
        IMPORTS + 'class A(B):\n    """doc"""\n    x: int\n    y: int\n',
        IMPORTS + 'class A(B):\n    x: Literal["_codegen_kept_0"]\n    y: int\n',
        IMPORTS + "class A(B):\n    x: int  # type: ignore\n    y: Literal['x']\n    z: int\n",
        IMPORTS + "class A(B):\n    x: Literal['a']  # fmt: skip\n    y: Literal['a']\n",
        IMPORTS + "class A(B):\n    x: int; y: int\n    z: Literal['x']\n",
        IMPORTS + "class A(B):\n    x: int;\n    z: Literal['x']\n",
        IMPORTS + "class A(B):\n    x: int = \\\n        1\n    y: Literal['x']\n    z: int\n",
        IMPORTS + "class A(B):\n    x: int   \n    y: Literal['x']\n    z: int\n",
        IMPORTS + "class A(B):\n    x: Literal['a', 'b',] = None\n    y: int\n",
        IMPORTS + "class A(B):\n    x: int\n\x0c\n    y: int\n    z: int\n",
        IMPORTS
        + "class E(Enum):\n    a = 'a'\n    b = 'b'\n\n\nclass A(B):\n    x: E\n    y: int\n",
        IMPORTS + "class R(RootModel[Annotated[str, Field(pattern='^a$')]]):\n"
        "    root: Annotated[str, Field(pattern='^a$')]\n",
        IMPORTS + "class A(B):\n    class C(D):\n        x: Literal[1,2]\n    y: Literal[1,2]\n",
        IMPORTS + "if X:\n    x: Literal[1,2]\n    y: int\n",
        "if x:\n  class A(B):\n    x: int\n    y: Literal['a']\n",
        "class A(B):\n    x: int\n    y: Literal['a']\n",
        "from . import x\nfrom . import y\n\n\nclass A(B):\n    x: int\n    y: int\n",
        "import a.b as c\nfrom x import y as z, w\nfrom x import q as r\n\n\nclass A(B):\n"
        "    x: int\n",
        "from a import b\n\n\nfrom c import d\n\n\nclass A(B):\n    x: int\n    y: int\n",
        "\n\nfrom a import b\nfrom c import d\n\n\nclass A(B):\n    x: int\n",
        IMPORTS + "class A(B):\n    x: int\n    y: Literal['a']",  # no newline at the end
        "\ufeff" + IMPORTS + "class A(B):\n    x: int\n    y: int\n",
        IMPORTS + "class A(B):\n    x: int\n    y: int\n\n\n\n",
        IMPORTS + 'class A(B):\n    """\n    doc\n    """\n    \n    x: int\n    y: int\n',
    ],
)
def test_angles_that_held(source: str) -> None:
    _assert_like_black(source)


@pytest.mark.parametrize(
    "source",
    [
        "import os\nfrom __future__ import annotations\nimport abc\n\n\nclass A:\n    x: int\n",
        "from . import z\nfrom . import a\nimport a.b as c\nfrom .. import q\n\n\nclass A:\n"
        "    x: int\n",
        "import os\nimport abc\n\nX = '''\nclass A:\n'''\nclass B:\n    x: int\n",
        "import os\n\x0cimport abc\n\n\nclass A:\n    x: int\n",
        "import os\nimport abc\n# about A\nclass A:\n    x: int\n",
        "import os\nimport abc\nclass A:\n    x: int",
        "import os; import abc\nclass A:\n    x: int\n",
        "from a import \\\n    b, a\nclass A:\n    x: int\n",
        "from typing import TYPE_CHECKING\nimport os\nif TYPE_CHECKING:\n    from b import c\n"
        "    from a import d\nclass A:\n    x: int\n",
        "import os\nimport abc\nx = (a\n@ b)\n\n\nclass A:\n    x: int\n",
        "import os\r\nimport abc\r\n\r\n\r\nclass A:\r\n    x: int\r\n",
        "import os\nimport abc\nX = '_codegen_probe'\nclass A:\n    x: int\n",
    ],
)
def test_isort_head_angles_that_held(source: str) -> None:
    assert formatting._isorted(source, "pkg") == isort.code(source, config=formatting._isort("pkg"))
    _assert_like_black(source)


def _hostile_events(count: int) -> str:
    names = ['Order "Quoted"', "Café Ünïcode ✓", "漢字イベント", "Back\\slash", "Tab\tEvent"]
    names += ["a" * 80, "it's done", "Emoji 👍 Sent"]
    descriptions = ["C:\\temp", "\u00a0nbsp\u00a0", '"""', "line\n\n\nline", "# fmt: off"]
    descriptions += ["x" * 150, "import os", "# isort: off"]
    enums = [["it's", "b"], ["漢" * 40, "c"], ["\\d", '"'], ["a"]]
    out = []
    for i in range(count):
        hostile = i < count - 4  # the last few plain: a stable tail after hostile methods
        event = {
            "description": descriptions[i % 8] if hostile else "Plain.",
            "properties": {
                f"p_{i}": {"type": "string", "enum": enums[i % 4] if hostile else ["a", "b"]},
                "n": {"type": "integer", "required": i % 2 == 0},
                "s": {"type": "string", "pattern": "^\\d+'?$", "examples": ["1'"]},
            },
        }
        name = f"{names[i % 8] if hostile else '龍 Plain'} {i}"  # sorted last
        out.append(
            f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(event, ensure_ascii=False)}\n"
        )
    return "".join(out)


def test_tracker_of_hostile_events_equals_black(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quotes, backslashes, tabs, wide and long names, enum values and descriptions in 44
    events: the tracker is cut in pieces, some kept by stable_methods / stable_tail, some
    formatted; the result is black's."""
    from .test_manifest import _tracker_source

    text = _plan("Exported.", "      x: {type: string}\n").replace(
        "events:\n", "lint:\n  disable: [naming/event-case]\nevents:\n"
    ) + _hostile_events(44)
    plan = plan_from(text)
    head, tail = formatting.stable_tail(_tracker_source(plan))
    # a `# fmt: off` in a description sends the head to black whole (no pieces)
    assert tail.count("\n    def ") >= 3 and formatting.split(head) == [head]
    fast = generate(plan, Options(targets=("python",), workers=1, cache_dir=None))
    black_only(monkeypatch)
    slow = generate(plan, Options(targets=("python",), workers=1, cache_dir=None))
    for module in ("tracker.py", "__init__.py", "events/__init__.py"):
        assert fast[f"python/attack/{module}"] == slow[f"python/attack/{module}"], module


def test_a_description_that_reads_as_an_isort_skip_comment_generates() -> None:
    properties = "      x: {type: string}\n"
    plan = plan_from(_plan('"isort: skip_file"', properties))
    files = generate(plan, Options(targets=("python",), workers=1, cache_dir=None))
    assert "isort: skip_file" in files["python/attack/events/export_done.py"]


# -- the tracker's pieces: split() and format_piece() against black on the whole module ---------


def _pieces_formatted(source: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(formatting, "SPLIT_FROM_LINES", 1)  # small modules cut too
    pieces = formatting.split(source)
    assert len(pieces) > 1
    return "".join(formatting.format_piece(p, i == 0) for i, p in enumerate(pieces))


@pytest.mark.parametrize(
    "methods",
    [
        "    def a(self): ...\n    def b(self): ...\n",
        "    def a(self):\n        pass\n    def b(self):\n        pass\n",
    ],
    ids=["stubs", "plain"],
)
def test_pieces_of_adjacent_stub_methods(methods: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """black keeps one-line stubs written together (overloads): no cut between methods
    without a blank line."""
    _assert_not_cut("class A:\n" + methods, monkeypatch)


@pytest.mark.parametrize("where", ["module", "class"])
def test_pieces_after_fmt_off(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    methods = "    def a(self):\n        return   1\n\n    def b(self):\n        return   2\n"
    if where == "module":
        source = "# fmt: off\nclass A:\n" + methods
    else:
        source = "class A:\n    # fmt: off\n" + methods
    _assert_not_cut(source, monkeypatch)


def _assert_not_cut(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formatting, "SPLIT_FROM_LINES", 1)
    assert formatting.split(source) == [source]
    assert format_python(source) == black.format_str(source, mode=formatting._BLACK)


@pytest.mark.parametrize(
    "methods",
    [
        "    def a(self):\n        return   1\n\n    def b(self):\n        return   2\n",
        "    def a(self):\n        return 1\n\n\n\n    def b(self):\n        x = 'q'\n",
        "  def a(self):\n    return 1\n\n  def b(self):\n    return 2\n",
        "    async def a(self):\n        return 1\n\n    async def b(self):\n        return 2\n",
    ],
    ids=["spaces", "three-blank", "two-space-indent", "async"],
)
def test_pieces_that_held(methods: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "import os\n\n\nclass A:\n" + methods
    assert _pieces_formatted(source, monkeypatch) == _reference(source)
