# Quartermaster — everything a developer or CI runs goes through these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else `python3 -m uv` (which works even when ~/.local/bin is not on
# PATH); ./qm installs it for this user when neither exists (`make sync` runs ./qm --sync).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

# Two test processes by default (each with its own embedded PostgreSQL and Redis): 8 min
# instead of 13 on a 2-core machine. PYTEST_ARGS="-p no:xdist" runs them in one.
PYTEST_ARGS ?= -n 2

.PHONY: help sync run test lint fmt typecheck imports pytest bench bench-topology topology clean web web-check web-client dev-web chromium screenshots

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

sync: ## Install uv if missing, then the locked dependencies into .venv, compiled to bytecode
	@./qm --sync

run: web ## Start Quartermaster (embedded PostgreSQL + Redis unless configured otherwise): ./qm serve
	@./qm serve

test: sync lint typecheck imports web-check chromium pytest ## Install, lint, type-check, check imports, front-end checks, run all tests (e2e in Chromium too)

web: sync ## Build the browser app (web/dist) if its sources changed (Node.js ≥ 20, else from PyPI)
	@$(UV) run python scripts/web.py build

web-check: sync ## Front end: generated client current, tsc, eslint, vitest, build
	@$(UV) run python scripts/web.py check

web-client: sync ## Regenerate web/openapi.json and the TypeScript API types (after API changes)
	@$(UV) run python scripts/web.py client

dev-web: sync ## Vite dev server with hot reload; proxies /api to `make run` (QM_HOST/QM_PORT)
	@$(UV) run python scripts/web.py dev

# The README's screenshots (saved by the browser journeys; see web/e2e/screens.spec.ts).
SCREENSHOTS := dashboard-1280-light dashboard-1280-dark products-1280-light product-1280-light \
	product-360-light receive-360-light stock-360-dark counts-360-dark count-offline-360 imports \
	alerts-1280-light members-1280-light tickets-1280-light ticket-1280-dark ticket-360-light \
	ticket-new-1280-light desk-settings-1280-light desk-agents-1280-light tickets-report-1280-light csat-360-light \
	kb-1280-light kb-editor-1280-dark kb-history-1280-light help-360-light search-palette-1280-light

screenshots: sync ## Refresh docs/screenshots (the README's) from a run of the browser journeys
	@$(UV) run pytest tests/web/test_e2e.py -q
	@mkdir -p docs/screenshots && for name in $(SCREENSHOTS); do \
		cp web/test-results/screenshots/$$name.png docs/screenshots/; done

chromium: sync ## Find the Chromium the end-to-end tests drive (QM_CHROMIUM, PATH, or apt as root)
	@$(UV) run python scripts/web.py chromium >/dev/null

lint: sync ## ruff lint + format check
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .

fmt: sync ## Format and auto-fix
	@$(UV) run ruff format .
	@$(UV) run ruff check --fix .

typecheck: sync ## mypy --strict on src/
	@$(UV) run mypy src

imports: sync ## import-linter contracts (module boundaries)
	@$(UV) run lint-imports

pytest: sync ## The test suite on real PostgreSQL and Redis
	@$(UV) run pytest $(PYTEST_ARGS)

bench: sync ## Run the benchmarks and record their figures in docs/benchmarks.md (needs wrk)
	@command -v wrk >/dev/null || { echo "bench needs wrk: sudo apt-get install wrk"; exit 1; }
	@$(UV) run python bench/startup.py --runs 3 --later 3 --record
	@$(UV) run python bench/catalog_reads.py --products 100000 --seconds 10 --record
	@$(UV) run python bench/ledger_writes.py --products 1000 --seconds 30 --record
	@$(UV) run python bench/realtime.py --record
	@$(UV) run python bench/jobs.py --record
	@$(UV) run python bench/tickets.py --seconds 20 --concurrency 16 --record

topology: sync ## Run the production topology here (nginx, pgbouncer, 2 API, relay, 2 workers) until Ctrl-C
	@$(UV) run python -m topology

bench-topology: sync ## Movement throughput of 1 vs 2 API processes through nginx and pgbouncer (prints; records with --record)
	@$(UV) run python bench/topology_throughput.py

clean: ## Remove caches (keeps .qm, your local data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache web/dist web/test-results
