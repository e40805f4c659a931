"""Gongkai core: the disclosure engine and the application that composes it."""
