"""Every relative link in README.md, README.ko.md and docs/**/*.md points at a file that exists,
and the site's navigation and the Korean README list every lecture notebook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "README.ko.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))

# [text](target) and ![alt](target), the target up to a space or ")" (an optional "title" may follow)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)      # LaTeX such as dZ^{[l](k)} is no link


def links(page: Path) -> list[str]:
    """The link targets of a Markdown page, outside code blocks and inline code."""
    text = MATH.sub("", INLINE_CODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8"))))
    return LINK.findall(text)


def resolve(page: Path, target: str) -> Path | None:
    """The file a relative link points at, or None for external links and in-page anchors.

    The docs site's notebook pages (``docs/notebooks/NN_name.ipynb``) are generated from
    ``notebooks/NN_name.py`` when the site is built: such a link resolves to that source.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return None
    path = (page.parent / target.split("#", 1)[0]).resolve()
    generated = ROOT / "docs" / "notebooks"
    if path.suffix == ".ipynb" and path.parent == generated:
        return ROOT / "notebooks" / path.with_suffix(".py").name
    return path


def _cases():
    for page in PAGES:
        for target in links(page):
            if resolve(page, target) is not None:
                yield pytest.param(page, target, id=f"{page.relative_to(ROOT)}->{target}")


@pytest.mark.parametrize(("page", "target"), list(_cases()))
def test_docs_links_relative_link_resolves(page, target):
    path = resolve(page, target)
    assert path.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist ({path})"


def test_docs_links_parser_finds_links_and_skips_code(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("[a](x.md) ![b](img/y.png \"t\") [c](https://e.org) [d](#top) `[e](no.md)` $W^{[l](k)}$\n"
                    "```\n[f](no2.md)\n```\n[g](z.md#part)\n", encoding="utf-8")
    assert links(page) == ["x.md", "img/y.png", "https://e.org", "#top", "z.md#part"]
    assert resolve(page, "https://e.org") is None and resolve(page, "#top") is None
    assert resolve(page, "z.md#part") == (tmp_path / "z.md").resolve()


def test_docs_links_missing_file_is_caught(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("see [there](missing.md)\n", encoding="utf-8")
    (target,) = links(page)
    assert not resolve(page, target).exists()


def test_docs_links_readmes_link_each_other():
    assert "README.ko.md" in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[2]
    assert "(README.md)" in (ROOT / "README.ko.md").read_text(encoding="utf-8")


def test_docs_links_every_notebook_is_in_the_site_and_the_korean_readme():
    assert len(NOTEBOOKS) >= 10
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    readme_ko = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.stem}.ipynb" in mkdocs, nb.name
        assert f"notebooks/{nb.stem}.ipynb" in index, nb.name
        assert f"(notebooks/{nb.name})" in readme_ko, nb.name
        assert f"python notebooks/_build.py {nb.name[:2]}" in readme_ko, nb.name


def test_docs_links_korean_readme_has_the_setup_commands_and_every_demo():
    import abcdl.experiments

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_ko = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    setup = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    assert setup in readme_ko
    for name in abcdl.experiments.names():
        assert f"abcdl demo {name} " in readme_ko, (
            f"README.ko.md lacks the new demo {name}: add `abcdl demo {name} --lang ko  # L.. 한국어 설명` "
            f"to its demo list")
