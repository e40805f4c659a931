"""The design documents in docs/ stay true: every rule marked on a test is a rule of
docs/rules.md, and every file or folder the documents name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import rules

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PATH = re.compile(r"`((?:core|tenants|plugins|tests|themes|i18n|deploy|docs)/[\w./-]*)`")


def test_the_rules_are_read_from_docs():
    found = rules.domain_rules(DOCS / "rules.md")
    ids = [rule for rule, _text in found]
    assert len(ids) == len(set(ids)) >= 54
    assert {"CAT-3", "PUB-5", "SCOPE-1", "FB-2", "VIL-3", "IAM-2"} <= set(ids)


def test_every_rule_marked_on_a_test_is_a_documented_rule():
    documented = {rule for rule, _text in rules.domain_rules(DOCS / "rules.md")}
    marked = rules.marked_tests(ROOT / "tests")
    assert set(marked) <= documented, sorted(set(marked) - documented)


def test_make_rules_fails_while_a_rule_has_no_test(tmp_path, monkeypatch, capsys):
    """`make rules` exits 1 naming the rule without a test, 0 when every rule has one."""
    tested = "".join(f"- {rule} a tested rule\n" for rule in rules.marked_tests(ROOT / "tests"))
    listed = tmp_path / "rules.md"
    listed.write_text(tested + "- ZZZ-1 a rule nobody tests\n", "utf-8")
    monkeypatch.setenv("GONGKAI_RULES", str(listed))
    assert rules.main([]) == 1
    assert "ZZZ-1" in capsys.readouterr().out
    listed.write_text(tested, "utf-8")
    assert rules.main([]) == 0


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_path_a_document_names_exists(doc):
    text = (DOCS / doc).read_text(encoding="utf-8")
    missing = sorted({p for p in PATH.findall(text) if not (ROOT / p.rstrip("/")).exists()})
    assert not missing, f"docs/{doc} names what does not exist: {missing}"


def test_the_readme_points_to_the_docs_not_outside_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in readme and "docs/rules.md" in readme
    assert "../shared" not in readme
