"""The generated docs as a wiki: mkdocs builds them in strict mode into the HTML we mean
(numbered lists, tables, every page in nav), and `codegen docs publish` commits them to git."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from codegen import generate

from .conftest import CliFn, glow_shop

pytestmark = pytest.mark.slow

PLAN = glow_shop()


# -- a small HTML tree (stdlib only) -----------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def find_all(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        for child in self.elements():
            found += child.find_all(tag)
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


_VOID = {"br", "hr", "img", "input", "meta", "link"}


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def main_content(html: str) -> Element:
    tree = _Tree()
    tree.feed(html)
    [main] = [d for d in tree.root.find_all("div") if d.attrs.get("role") == "main"]
    return main


def section(main: Element, heading: str) -> list[Element]:
    """The elements after the <h2> whose text is ``heading``, up to the next <h2>."""
    blocks = main.elements()
    start = next(i for i, e in enumerate(blocks) if e.tag == "h2" and e.text() == heading)
    rest = blocks[start + 1 :]
    end = next((i for i, e in enumerate(rest) if e.tag == "h2"), len(rest))
    return rest[:end]


# -- mkdocs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The glow_shop docs generated in memory, written out and built with `mkdocs --strict`."""
    root = tmp_path_factory.mktemp("wiki")
    files = generate(PLAN)
    for path, text in files.items():
        if path.startswith("docs/") or path == "mkdocs.yml":
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(root / "site")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return root


def _page(site: Path, page: str) -> Element:
    html = site / "site" / page.removesuffix(".md").removesuffix("index") / "index.html"
    return main_content(html.read_text(encoding="utf-8"))


def _nav_pages(nav: list[object]) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        assert isinstance(entry, dict)
        for value in entry.values():
            pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_every_page_is_in_nav(site: Path) -> None:
    """Regression: 15 event and segment pages were missing from mkdocs' nav."""
    nav = yaml.safe_load((site / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pages = sorted(p.relative_to(site / "docs").as_posix() for p in (site / "docs").rglob("*.md"))
    assert sorted(_nav_pages(nav)) == pages


@pytest.mark.parametrize("segment", [s.id for s in PLAN.segments if s.condition])
def test_build_it_in_customerio_is_a_numbered_list(site: Path, segment: str) -> None:
    """Regression: the steps rendered as one paragraph (no blank line, 3-space nesting)."""
    blocks = section(_page(site, f"segments/{segment}.md"), "Build it in Customer.io")
    lists = [b for b in blocks if b.tag == "ol"]
    assert len(lists) == 1, [b.tag for b in blocks]
    steps = lists[0].elements()
    assert steps and all(li.tag == "li" for li in steps)
    condition = PLAN.segment(segment).condition  # type: ignore[union-attr]
    expected = len(condition.children) if hasattr(condition, "children") else 1
    assert len(steps) == expected
    for li, child in zip(steps, getattr(condition, "children", ()), strict=False):
        if hasattr(child, "children"):  # a nested group is a nested numbered list
            [inner] = li.find_all("ol")
            assert len(inner.elements()) == len(child.children)


def test_nested_group_renders_nested(site: Path) -> None:
    blocks = section(_page(site, "segments/win_back_lapsed.md"), "Build it in Customer.io")
    [outer] = [b for b in blocks if b.tag == "ol"]
    nested = outer.elements()[3].find_all("ol")
    assert len(nested) == 1 and len(nested[0].elements()) == 2


def test_qa_checklist_is_a_list_of_boxes(site: Path) -> None:
    """Regression: `- [ ]` rendered as literal text in mkdocs; the boxes are ☐ list items."""
    blocks = section(_page(site, "segments/cart_abandoners.md"), "QA checklist")
    [items] = [b for b in blocks if b.tag == "ul"]
    texts = [li.text().strip() for li in items.elements()]
    assert len(texts) >= 3 and all(t.startswith("☐ ") for t in texts)
    assert "[ ]" not in _page(site, "segments/cart_abandoners.md").text()


def test_property_tables_are_tables_with_array_constraints(site: Path) -> None:
    """Regression: `min_items: 1` was missing from the property tables."""
    main = _page(site, "events/order_completed.md")
    rows = [tr for table in main.find_all("table") for tr in table.find_all("tr")]
    products = [tr for tr in rows if tr.elements() and tr.elements()[0].text() == "products"]
    assert products, "no `products` row"
    assert "min items 1" in products[0].text()


# -- codegen docs publish ------------------------------------------------------------------------


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def wiki(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_AUTHOR_{var}", "Test" if var == "NAME" else "t@example.invalid")
        monkeypatch.setenv(f"GIT_COMMITTER_{var}", "Test" if var == "NAME" else "t@example.invalid")
    bare = tmp_path / "wiki.git"
    _git("init", "--quiet", "--bare", str(bare), cwd=tmp_path)
    return bare


def test_publish_commits_docs_once(cli: CliFn, wiki: Path) -> None:
    first = cli("docs", "publish", "plans/glow_shop.yaml", "--git", wiki)
    assert first.exit_code == 0, first.stderr
    assert "committed" in first.stdout
    log = _git("log", "--oneline", "--all", cwd=wiki).splitlines()
    assert len(log) == 1
    tree = set(_git("ls-tree", "-r", "--name-only", "HEAD", cwd=wiki).split())
    assert {"index.md", "segments/win_back_lapsed.md", "events/order_completed.md"} <= tree
    assert "README.md" not in tree and "mkdocs.yml" not in tree
    again = cli("docs", "publish", "plans/glow_shop.yaml", "--git", wiki)
    assert again.exit_code == 0, again.stderr
    assert "nothing to commit" in again.stderr
    assert len(_git("log", "--oneline", "--all", cwd=wiki).splitlines()) == 1


def test_publish_to_a_branch_removes_only_its_stale_pages(
    cli: CliFn, wiki: Path, tmp_path: Path
) -> None:
    plan = Path("plans/glow_shop.yaml").resolve().read_text(encoding="utf-8")
    first = cli("docs", "publish", "plans/glow_shop.yaml", "--git", wiki, "--branch", "docs")
    assert first.exit_code == 0, first.stderr
    newer = tmp_path / "plan.yaml"
    newer.write_text(plan.replace("version: 1.2.0", "version: 1.3.0"), encoding="utf-8")
    # a page removed from the plan is removed from the wiki; a page someone wrote is kept
    clone = tmp_path / "clone"
    _git("clone", "--quiet", "--branch", "docs", str(wiki), str(clone), cwd=tmp_path)
    (clone / "Team notes.md").write_text("ours\n", encoding="utf-8")
    (clone / "segments" / "retired.md").write_text(
        "<!-- Generated by codegen from tracking plan glow_shop 1.0.0. Do not edit -->\n",
        encoding="utf-8",
    )
    _git("add", "--all", cwd=clone)
    _git("commit", "--quiet", "-m", "by hand", cwd=clone)
    _git("push", "--quiet", "origin", "docs", cwd=clone)
    result = cli("docs", "publish", newer, "--git", wiki, "--branch", "docs")
    assert result.exit_code == 0, result.stderr
    tree = set(_git("ls-tree", "-r", "--name-only", "docs", cwd=wiki).splitlines())
    assert "Team notes.md" in tree and "segments/retired.md" not in tree
    assert "1.3.0" in _git("log", "-1", "--format=%s", "docs", cwd=wiki)


def test_publish_reports_an_unreachable_wiki(cli: CliFn, tmp_path: Path) -> None:
    result = cli("docs", "publish", "plans/glow_shop.yaml", "--git", tmp_path / "missing.git")
    assert result.exit_code == 2
    assert "error: `git clone` failed" in result.stderr
