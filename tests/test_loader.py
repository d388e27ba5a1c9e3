"""YAML loader limits: merge keys (``<<``) are alias uses, so recursion and merge bombs are
rejected with a located diagnostic instead of a RecursionError or minutes of expansion."""

from __future__ import annotations

from codegen.plan.loader import MAX_ALIAS_NODES, load_text


def merge_bomb(lines: int) -> str:
    """Each line merges the previous mapping 9 times: 9**lines merges from ~70 bytes a line."""
    text = ["plan: {name: B, slug: b, version: 1.0.0}", "m0: &m0 {}"]
    for i in range(1, lines + 1):
        text.append(f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}]}}")
    return "\n".join(text) + "\n"


def test_recursive_merge_key_is_a_located_error_not_a_recursion_error() -> None:
    text = "plan: {name: R, slug: r, version: 1.0.0}\nevents:\n  A: &a\n    x: 1\n    <<: *a\n"
    document, diagnostics = load_text(text, "r.yaml")
    assert document is None
    [d] = diagnostics
    assert d.code == "load/recursive-merge"
    assert (d.location.file, d.location.line) == ("r.yaml", 5)  # the `<<` line
    assert d.location.path == ("events", "A")


def test_recursive_merge_through_a_list_of_sources() -> None:
    text = "a: &a\n  b: &b\n    <<: [*a]\n"
    document, diagnostics = load_text(text, "r.yaml")
    assert document is None
    assert [d.code for d in diagnostics] == ["load/recursive-merge"]


def test_merge_bomb_is_counted_against_the_alias_budget() -> None:
    # 20 lines would be 9**20 merges; the budget stops it after about MAX_ALIAS_NODES.
    text = merge_bomb(20)
    assert len(text) < 2_000
    document, diagnostics = load_text(text, "bomb.yaml")
    assert document is None
    [d] = diagnostics
    assert d.code == "load/alias-bomb"
    assert str(MAX_ALIAS_NODES) in d.message
    assert d.location.file == "bomb.yaml" and d.location.line > 0


def test_small_merges_still_work() -> None:
    text = "base: &base {a: 1, b: 2}\nthing:\n  <<: [*base, *base]\n  b: 3\n"
    document, diagnostics = load_text(text, "ok.yaml")
    assert diagnostics == []
    assert document is not None
    assert document.data["thing"] == {"a": 1, "b": 3}
