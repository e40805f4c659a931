"""`make rules`: every domain rule with the tests that enforce it (``@pytest.mark.rule``).

The rules are read from ``docs/rules.md`` (``- ID text`` lines; ``$GONGKAI_RULES`` names another
file). A rule with no test shows as "no test yet" and makes the exit code 1, as does a test marked
with an id that is no rule. ``--lenient`` exits 0 whatever is missing (to read the list).
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_LINE = re.compile(r"^- ([A-Z]{2,6}-\d+) (.*)$")


def domain_rules(path: Path) -> list[tuple[str, str]]:
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = RULE_LINE.match(line.strip())
        if match:
            rules.append((match.group(1), match.group(2)[:70]))
    return rules


def _rule_ids(decorators) -> list[str]:
    ids = []
    for deco in decorators:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "rule"
            and deco.args
            and isinstance(deco.args[0], ast.Constant)
        ):
            ids.append(deco.args[0].value)
    return ids


def marked_tests(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for file in sorted(folder.rglob("test_*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        rel = file.relative_to(ROOT)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                outer = _rule_ids(node.decorator_list)
                members = node.body if isinstance(node, ast.ClassDef) else [node]
                for member in members:
                    if isinstance(member, ast.FunctionDef) and member.name.startswith("test"):
                        name = member.name if member is node else f"{node.name}::{member.name}"
                        for rule in {*outer, *_rule_ids(member.decorator_list)}:
                            found[rule].append(f"{rel}::{name}")
    return found


def main(argv: list[str]) -> int:
    domain = Path(os.environ.get("GONGKAI_RULES") or ROOT / "docs" / "rules.md")
    if not domain.exists():
        print(f"the rules are not at {domain}; set GONGKAI_RULES", file=sys.stderr)
        return 2
    rules = domain_rules(domain)
    tests = marked_tests(ROOT / "tests")
    missing = 0
    for rule, text in rules:
        enforced = tests.get(rule, [])
        print(f"{rule}  {text}")
        if enforced:
            for test in enforced:
                print(f"    {test}")
        else:
            missing += 1
            print("    (no test yet)")
    unknown = sorted(set(tests) - {r for r, _ in rules})
    for rule in unknown:
        print(f"unknown rule id {rule} used by: {', '.join(tests[rule])}", file=sys.stderr)
    print(f"\n{len(rules) - missing} of {len(rules)} rules have tests.")
    if missing and "--lenient" not in argv:
        print(f"{missing} rule(s) without a test (see docs/rules.md).", file=sys.stderr)
        return 1
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
