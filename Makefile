# Gongkai — the commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTANCE ?= instance
export GONGKAI_INSTANCE_PATH ?= $(abspath $(INSTANCE))
LOCALES := zh_Hans_CN en ug

.PHONY: help venv install i18n i18n-extract i18n-update i18n-compile demo demo-sso serve test test-serial test-sqlite lint format rules bench clean

help:
	@echo "make demo    – virtualenv, install, migrate, load the demo counties, serve on http://127.0.0.1:5000"
	@echo "make demo-sso – the demo with a local government portal (OIDC) on http://127.0.0.1:9400"
	@echo "make test    – the whole test suite (SQLite and PostgreSQL, real Redis)"
	@echo "make lint    – ruff check and format check"
	@echo "make rules   – each rule of docs/rules.md with its tests (fails while one has none)"
	@echo "make i18n    – extract, update and compile the translation catalogs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The test suite's fixture plugin (tests/fixtures/gongkai-testplugin) is never installed here: the
# demo and production run from this virtualenv, and tests/testplugin.py makes it discoverable for
# the test run only. (A virtualenv made before that had it installed: it is removed.)
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,dev]"
	@$(BIN)/pip uninstall --quiet --yes gongkai-testplugin 2>/dev/null || true
	touch $@

venv install: $(VENV)/.installed

i18n-extract: install
	$(BIN)/pybabel extract -F i18n/babel.cfg -k _l -k lazy_gettext --no-location \
		--project=gongkai --sort-output -o i18n/messages.pot .

i18n-update: i18n-extract
	@for l in $(LOCALES); do \
		if [ -f i18n/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i i18n/messages.pot -d i18n -l $$l; \
		else \
			$(BIN)/pybabel init -i i18n/messages.pot -d i18n -l $$l; \
		fi; \
	done

i18n-compile: install
	$(BIN)/pybabel compile --use-fuzzy -d i18n

i18n: i18n-update i18n-compile

demo: install i18n-compile
	$(BIN)/gongkai db upgrade
	$(BIN)/gongkai demo load
	@echo
	@echo "Gongkai demo on http://127.0.0.1:5000 — sign in with any demo account, password gongkai-demo:"
	@echo "  platform-admin, and for every organisation code X: X-admin, X-reviewer, X-member"
	@echo "  (e.g. kashgar-kg3-admin, hongjiang-agri-reviewer, hengdong-tts-member)"
	@echo "Mail the platform sends is written to $(GONGKAI_INSTANCE_PATH)/mail/ (or set GONGKAI_SMTP_URL;"
	@echo "  \`$(BIN)/gongkai mail-debug\` is a local SMTP server that writes there too)."
	@echo
	$(BIN)/gongkai run --host 127.0.0.1 --port 5000

# The demo with sign-in through a local "government portal": oidc-provider-mock on 127.0.0.1:9400,
# registered as the platform-wide provider demo-portal; it stops with the server (Ctrl-C).
SSO_PORT ?= 9400
demo-sso: export GONGKAI_OUTBOUND_ALLOW = 127.0.0.1
demo-sso: install i18n-compile
	$(BIN)/gongkai db upgrade
	$(BIN)/gongkai demo load
	@$(BIN)/gongkai sso demo-portal --port $(SSO_PORT) & PROVIDER=$$!; \
	trap 'kill $$PROVIDER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gongkai sso demo --issuer http://127.0.0.1:$(SSO_PORT) && \
	echo && \
	echo "Gongkai demo on http://127.0.0.1:5000 — on the sign-in page choose the government portal" && \
	echo "(demo) and pick a demo person (e.g. demo-zhang-wei); password accounts work as in make demo." && \
	echo && \
	$(BIN)/gongkai run --host 127.0.0.1 --port 5000

serve: install i18n-compile
	$(BIN)/gongkai run --host 127.0.0.1 --port 5000

# The suite on TEST_WORKERS parallel pytest processes (pytest-xdist): the SQLite tests on one (or
# more), the PostgreSQL tests on another (tests/conftest.py groups them), the rest wherever a
# worker is free.
# tests/services.py starts PostgreSQL and Redis once for all of them and stops them afterwards.
# One per processor, at least two (one per backend); with four or more, each backend's modules
# are shared out over half the workers (tests/conftest.py).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -ge 2 ] 2>/dev/null || n=2; echo $$n)
PYTEST_ARGS ?=
test: install i18n-compile
	$(BIN)/python -m tests.services $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup \
		--durations=25 $(PYTEST_ARGS)

# The same, in one process (slower; for debugging an interaction between tests).
test-serial: install i18n-compile
	$(BIN)/python -m pytest --durations=25 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

rules: install
	$(BIN)/python -m tests.rules

bench: install i18n-compile
	$(BIN)/python -m pytest tests/bench -p no:randomly

clean:
	rm -rf $(VENV) build *.egg-info
