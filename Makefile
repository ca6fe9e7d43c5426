# Régua — the two commands: `make run` (set up everything, start the platform
# with a demo) and `make test` (every test, against real Kafka and PostgreSQL).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: prereqs prereqs-test kustomize setup run down logs status test test-compose test-repeat test-unit lint schemas k8s images bench clean

prereqs: ## Java, Maven, the PostgreSQL server (installed from Debian's packages as root)
	@PYTHON=$(PYTHON) tools/prereqs.sh run

prereqs-test: ## The same, plus Chromium for the portal's browser tests
	@PYTHON=$(PYTHON) tools/prereqs.sh test

kustomize: ## Kustomize for the manifest tests (on the PATH, or built once from the Go module proxy)
	@tools/kustomize.sh >/dev/null

$(STAMP): constraints.txt requirements-dev.txt $(wildcard libs/*/pyproject.toml tools/*/pyproject.toml services/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade "pip==25.3"
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt hatchling editables
	$(BIN)/pip install -q --disable-pip-version-check --no-build-isolation -c constraints.txt -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install every package (pinned by constraints.txt)

run: prereqs setup ## Start Kafka, PostgreSQL and the five services with a demo tenant
	$(BIN)/regua stack up

down: ## Stop everything `make run` started
	@if [ -x $(BIN)/regua ]; then $(BIN)/regua stack down; else echo "nothing to stop"; fi

logs: ## Show the logs of the dev stack
	$(BIN)/regua stack logs

status:
	$(BIN)/regua stack status

test: prereqs-test kustomize setup ## Every test: unit, integration, end-to-end (starts Kafka and PostgreSQL itself), then test-compose
	@# The images build (mostly downloads) at low priority while the suite runs; test-compose waits for it.
	@mkdir -p .local; rm -f .local/images.rc; (nice -n 10 tools/images.sh >.local/images.log 2>&1; echo $$? >.local/images.rc) &
	$(BIN)/pytest -q
	@REGUA_IMAGES_BUILDING=1 $(MAKE) --no-print-directory test-compose

test-compose: setup ## docker-compose.yml on a Docker engine (started as root when none answers): the dunning story, a worker killed mid-run
	@tools/compose-test.sh

N ?= 5
test-repeat: prereqs-test kustomize setup ## The whole suite N times in a row (default 5), stopping at the first failure
	@mkdir -p .local; for i in $$(seq 1 $(N)); do \
	  began=$$(date +%s); \
	  $(BIN)/pytest -q > .local/test-repeat-$$i.log 2>&1; rc=$$?; \
	  echo "run $$i/$(N): $$(tail -n 1 .local/test-repeat-$$i.log) ($$(( $$(date +%s) - began )) s)"; \
	  [ $$rc = 0 ] || { echo "run $$i failed: see .local/test-repeat-$$i.log"; exit 1; }; \
	done

test-unit: setup ## The fast loop: pure logic only
	$(BIN)/pytest -q -m "not kafka and not postgres and not e2e"

lint: setup ## ruff, mypy --strict, import-linter, schema drift
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/contracts/src libs/platform/src libs/br/src tools/regua-devtools/src $(wildcard services/*/src)
	$(BIN)/lint-imports
	$(BIN)/regua schemas --check
	$(BIN)/regua k8s --check

schemas: setup ## Regenerate the JSON Schemas of every event and the AsyncAPI document
	$(BIN)/regua schemas

images: setup ## Build regua and regua-tools (Dockerfile) and, where no registry answers, Kafka/PostgreSQL stand-ins (deploy/docker)
	@tools/images.sh

k8s: setup ## Regenerate deploy/k8s/base and deploy/k8s/optional from the service table and topics
	$(BIN)/regua k8s

BENCHES ?= http relay timer webhooks charges sender planning idle burst
bench: setup ## Benchmarks (issue 10's proof, see docs/performance.md): figures and same-run ratios; output kept in .local/bench/
	@mkdir -p .local/bench; set -o pipefail; for b in $(BENCHES); do \
	  echo "== bench/bench_$$b.py"; $(BIN)/python -u bench/bench_$$b.py | tee .local/bench/$$b.txt || exit 1; \
	done

clean: down
	rm -rf $(VENV) .local
