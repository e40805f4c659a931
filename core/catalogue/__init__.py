"""Disclosure catalogues (公开目录): templates, unit catalogues, versions, approval, schedule."""
