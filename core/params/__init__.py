"""Policy parameters (docs/rules.md "param"): per-organisation values inherited down the tree.

Resolution: a value locked by an ancestor wins (the highest lock); otherwise the nearest
explicit value from the organisation up to the root; otherwise the default. Every answer carries
the value and where it came from (:class:`Resolved`).
"""
