# Quartermaster — everything a developer or CI runs goes through these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv: the one on PATH, else `python3 -m uv` (which works even when ~/.local/bin is not on
# PATH); ./qm installs it for this user when neither exists (`make sync` runs ./qm --sync).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

PYTEST_ARGS ?=

.PHONY: help sync run test lint fmt typecheck imports pytest bench clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

sync: ## Install uv if missing, then the locked dependencies into .venv, compiled to bytecode
	@./qm --sync

run: ## Start Quartermaster (embedded PostgreSQL + Redis unless configured otherwise): ./qm serve
	@./qm serve

test: sync lint typecheck imports pytest ## Install, lint, type-check, check imports, run all tests

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

clean: ## Remove caches (keeps .qm, your local data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
