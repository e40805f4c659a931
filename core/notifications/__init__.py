"""Notifications: the in-app inbox and e-mail (immediate or in a daily digest), per user and kind.

A service to the packages above it, which import it and never the other way round: their event
receivers (each package's ``subscribers.py``) and reminders (each package's ``jobs.py``,
registered with :func:`.reminders.register` and run by the sweep of :mod:`.jobs`) call
:func:`.operations.notify`, which adds the rows in the caller's transaction and queues the mail
jobs through the outbox (:mod:`core.jobs`): nothing leaves before the commit, nothing is lost
while Redis is down. :mod:`.kinds` is the registry of kinds (label, default channel, texts).
"""
