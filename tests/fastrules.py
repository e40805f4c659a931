"""The test run builds thousands of applications (one per test); Werkzeug compiles, for each of
them, a URL builder per rule and per mode with :func:`compile` on a generated syntax tree — about
80 % of :func:`core.app.create_app` (measured with cProfile: 0.12 s of 0.15 s for ~300 rules) —
and parses each rule's text into its parts (most of what was left: 25 ms of 40).

The builder Werkzeug generates depends only on the rule's text, its parsed trace, the defaults it
resolves to constants and the mode; the rule itself is passed in at call time (the function is
bound to it with ``__get__``). So the run keeps one builder per such key and binds it to every
equal rule of every later application. Likewise the parts of a rule's text (its matcher's
regular expressions and weights) depend only on the text and the map's converter classes: they
are kept too, and each later rule gets its own converter objects (made as the parse made them)
and trace. Only the test process does this (``tests/conftest.py``): a web process builds one
application.
"""

from __future__ import annotations

from werkzeug.routing.rules import Rule

_builders: dict[tuple, object] = {}
_parsed: dict[tuple, tuple] = {}


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
    parse_rule = Rule._parse_rule
    get_converter = Rule.get_converter

    def parsed(self: Rule, rule: str):
        key = (rule, tuple(self.map.converters.items()))
        hit = _parsed.get(key)
        if hit is None:
            made: list[tuple] = []

            def recording(variable, name, args, kwargs):
                made.append((variable, name, args, kwargs))
                return get_converter(self, variable, name, args, kwargs)

            start = len(self._trace)
            self.get_converter = recording  # (an instance attribute, for this parse only)
            try:
                parts = list(parse_rule(self, rule))
            finally:
                del self.get_converter
            hit = _parsed[key] = (parts, self._trace[start:], made)
            return iter(parts)
        parts, trace, made = hit
        self._trace.extend(trace)
        for variable, name, args, kwargs in made:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        return iter(parts)

    Rule._parse_rule = parsed

    def memoised(self: Rule, append_unknown: bool = True):
        key = _key(self, append_unknown)
        bound = _builders.get(key)
        if bound is None:
            bound = _builders[key] = compile_builder(self, append_unknown)
        return bound

    memoised.memoised = True
    Rule._compile_builder = memoised
