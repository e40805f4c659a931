"""The test run builds thousands of applications (one per test); Werkzeug compiles, for each of
them, a URL builder per rule and per mode with :func:`compile` on a generated syntax tree — about
80 % of :func:`core.app.create_app` (measured with cProfile: 0.12 s of 0.15 s for ~300 rules).

The builder Werkzeug generates depends only on the rule's text, its parsed trace, the defaults it
resolves to constants and the mode; the rule itself is passed in at call time (the function is
bound to it with ``__get__``). So the run keeps one builder per such key and binds it to every
equal rule of every later application. Only the test process does this (``tests/conftest.py``):
a web process builds one application.
"""

from __future__ import annotations

from werkzeug.routing.rules import Rule

_builders: dict[tuple, object] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple:
    defaults = rule.defaults or {}
    return (
        append_unknown,
        rule.rule,
        rule.host,
        rule.subdomain,
        tuple(rule._trace),
        tuple(sorted((str(k), repr(v)) for k, v in defaults.items())),
        tuple(sorted((k, type(c).__qualname__) for k, c in rule._converters.items())),
    )


def install() -> None:
    if getattr(Rule._compile_builder, "memoised", False):
        return
    compile_builder = Rule._compile_builder

    def memoised(self: Rule, append_unknown: bool = True):
        key = _key(self, append_unknown)
        bound = _builders.get(key)
        if bound is None:
            bound = _builders[key] = compile_builder(self, append_unknown)
        return bound

    memoised.memoised = True
    Rule._compile_builder = memoised
