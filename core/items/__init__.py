"""Disclosure items (公开事项): plan, review, approval, publication, notices, amendments."""
