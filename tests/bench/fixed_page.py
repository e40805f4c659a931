"""The reference of the throughput budgets: a one-route Flask application answering a fixed
2 KB page, served exactly like Gongkai (gunicorn, two sync workers) by ``bench_throughput``."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)
PAGE = (
    "<!doctype html><html lang='zh-Hans-CN'><head><meta charset='utf-8'><title>公开</title>"
    "</head><body><main><h1>党务公开</h1><p>"
    + "本页是固定内容的参照页面，用于比较吞吐量。" * 30
    + "</p></main></body></html>"
)
assert 2000 <= len(PAGE.encode()) <= 2100, len(PAGE.encode())  # about 2 KB


@app.get("/")
def page():
    return PAGE
