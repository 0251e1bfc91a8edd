# ezh — the two commands: `make demo` (try it) and `make test` (the whole suite).
# Everything installs from uv.lock into .venv; nothing is installed system-wide except the
# Debian packages the tests drive for real (chromium, PostgreSQL), by scripts/system-packages.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# compiled at install: every `ezh` starts without compiling its libraries first
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test venv venv-dev lint bench screenshots clean

demo: venv
	.venv/bin/ezh demo

test: venv-dev
	bash scripts/system-packages test
	bash scripts/run-tests

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Нужен Python 3.11 (Debian 12: apt install python3 python3-venv)"; exit 2; }
	@$(PYTHON) -m venv $(TOOLS) || \
	  { echo "Не удалось создать окружение Python. Установите: apt install python3-venv"; exit 2; }
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

venv: $(UV)
	$(UV) sync --frozen --quiet --python $(PYTHON)

venv-dev: $(UV)
	$(UV) sync --frozen --quiet --python $(PYTHON) --group dev --extra provision

lint: venv-dev
	.venv/bin/ruff check --no-cache service archive backups tests bench
	.venv/bin/lint-imports

bench: venv-dev
	bash scripts/system-packages bench
	.venv/bin/python -m bench.run

# the phone screenshots of the guides (docs/guides/img/): a demo school on a free port, Debian's chromium
screenshots: venv-dev
	.venv/bin/python scripts/guide_screenshots.py

clean:
	rm -rf .venv $(TOOLS)
