"""Notifications: the in-app inbox and e-mail (immediate or in a daily digest), per user and kind.

Event receivers (:mod:`.subscribers`) and reminder sweeps (:mod:`.jobs`) call
:func:`.operations.notify`, which adds the rows in the caller's transaction and queues the mail
jobs through the outbox (:mod:`core.jobs`): nothing leaves before the commit, nothing is lost
while Redis is down. :mod:`.kinds` is the registry of kinds (label, default channel, texts).
"""
