# Multi-region DR payments API (CDKTF Python). `make help` lists the targets.
# Every target bootstraps what it needs on a fresh machine (pipenv, the locked venv,
# cdktf-cli from npm, the policy scanner, the Terraform CLI config).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export ENVIRONMENT_SUFFIX ?= dev
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PYTHONDONTWRITEBYTECODE := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export TF_IN_AUTOMATION := 1
# The project's own Terraform CLI config (offline provider mirror or registry); any
# preset TF_CLI_CONFIG_FILE (possibly pointing at a missing file) is overridden.
export TF_CLI_CONFIG_FILE := $(CURDIR)/.cache/terraform.rc

HOST_PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
PY_SCRIPTS := $(shell $(HOST_PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
export PATH := $(CURDIR)/node_modules/.bin:$(PY_SCRIPTS):$(PATH)

STACK := TapStack$(ENVIRONMENT_SUFFIX)
PLAN_SUMMARY ?= cfn-outputs/plan.md
STACK_JSON := cdktf.out/stacks/$(STACK)/cdk.tf.json
PROD_OUT := .cache/synth-prod
BOOTSTRAP_JSON := .cache/ci-bootstrap/stacks/TapCiBootstrap/cdk.tf.json
RUN := pipenv run
# CI=1: plain progress lines instead of a spinner redrawn with escape codes in logs.
CDKTF := CI=1 cdktf

.PHONY: help install install-deploy unlock terraform-config synth lint policy test-unit test-harness test-e2e test-twin chaos-local test \
	deploy-local destroy-local outage-local restore-local dr-report diagram gameday-local gameday restore-data-local restore-data bench bootstrap-plan bootstrap plan outputs test-integration deploy destroy clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/\$$\$$/$$/g' \
		| awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

install: .venv/.installed node_modules/.installed .venv-policy/.installed ## install Python, npm and policy-scanner dependencies (locked)

.venv/.installed: Pipfile Pipfile.lock
	@command -v pipenv >/dev/null 2>&1 || $(HOST_PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	pipenv sync --dev
	@touch $@

# What a job against real AWS needs (the workflows' deploy, destroy, plan and game-day jobs):
# the locked [packages] and pytest for the integration tests; no linter, emulator or policy
# scanner (scripts/deploy_requirements.py). A full `make install` satisfies it.
install-deploy: .venv/.installed-deploy ## install only what deploys, plans, the game day and the integration tests need (locked)

.venv/.installed-deploy: Pipfile Pipfile.lock scripts/deploy_requirements.py
	@command -v pipenv >/dev/null 2>&1 || $(HOST_PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@if [ -f .venv/.installed ] && [ .venv/.installed -nt Pipfile.lock ]; then \
		echo "install-deploy: the full install (make install) is in place"; \
	else \
		pipenv sync && mkdir -p .cache \
		&& $(HOST_PYTHON) -m scripts.deploy_requirements > .cache/deploy-requirements.txt \
		&& .venv/bin/pip install --quiet --no-deps --require-hashes -r .cache/deploy-requirements.txt \
		&& .venv/bin/pip check; \
	fi
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.venv-policy/.installed: scripts/requirements-policy.txt
	$(HOST_PYTHON) -m venv .venv-policy
	.venv-policy/bin/pip install --quiet -r scripts/requirements-policy.txt
	@touch $@

terraform-config: ## write the Terraform CLI config (TF_PROVIDER_MIRROR overrides the mirror)
	@scripts/terraform-cli-config.sh >/dev/null

synth: install terraform-config ## synthesize cdktf.out/stacks/TapStack$$ENVIRONMENT_SUFFIX/cdk.tf.json
	$(CDKTF) synth
	@echo "synthesized $(STACK_JSON)"

lint: policy ## ruff (lint + format), the policy scan and the GitHub workflows (schema, zizmor, shellcheck)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	.venv-policy/bin/python -m scripts.lint_workflows

policy: install terraform-config ## checkov on the synthesized dev stack, the prod profile and the CI bootstrap: 0 unexplained failures
	$(RUN) python -m deploy.synth --outdir cdktf.out
	.venv-policy/bin/python scripts/policy_scan.py $(STACK_JSON) --checkov .venv-policy/bin/checkov
	# prod refuses to synthesize without an alarm subscription: the scan uses a reserved address (RFC 2606).
	ENVIRONMENT=prod ENVIRONMENT_SUFFIX=prod ALARM_SUBSCRIPTIONS=$(or $(ALARM_SUBSCRIPTIONS),email:oncall@example.com) \
		$(RUN) python -m deploy.synth --outdir $(PROD_OUT)
	.venv-policy/bin/python scripts/policy_scan.py $(PROD_OUT)/stacks/TapStackprod/cdk.tf.json \
		--checkov .venv-policy/bin/checkov
	GITHUB_REPOSITORY=$(or $(GITHUB_REPOSITORY),example-org/payments-dr) $(RUN) python -m deploy.bootstrap synth
	.venv-policy/bin/python scripts/policy_scan.py $(BOOTSTRAP_JSON) --checkov .venv-policy/bin/checkov

test-unit: install terraform-config ## unit tests in two parallel lanes, 100 % line + branch coverage of lib/ enforced
	$(RUN) python scripts/unit_tests.py

bench: install terraform-config ## benchmark import, synth, unit suite, validate, emulator deploy/destroy -> bench/results.json (BENCH_ARGS=--stages adds F: make test's stages)
	$(RUN) python bench/bench.py $(BENCH_ARGS)

test-harness: install ## tests of the emulator harness's patches (in-process moto server)
	$(RUN) pytest tests/harness -q

test-e2e: install terraform-config ## emulator: deploy -> integration tests -> drift check -> destroy -> leftover check
	$(RUN) python -m flows.pipeline test

# Beside test-e2e (make test runs them at once): the same suffix in an emulator of its own.
TWIN_PORT ?= 4570
TWIN_ADDRESSES ?= 127.0.40
test-twin: install terraform-config ## a second deployment of the same suffix in an emulator of its own (port $$TWIN_PORT, addresses $$TWIN_ADDRESSES.x): deploy, its DNS answers only its addresses, integration tests, destroy
	EMULATOR_PORT=$(TWIN_PORT) EMULATOR_ADDRESSES=$(TWIN_ADDRESSES) $(RUN) python -m flows.pipeline twin

chaos-local: install terraform-config ## operator faults on the emulator: Ctrl-C mid deploy/redeploy/destroy, wrong config, killed game day, crashed emulator, port race
	$(RUN) pytest tests/chaos -q -p no:cacheprovider -rA

TEST_LANES ?= 2

TEST_SKIP ?=

test: ## the full suite (what .ci/run runs): install, then every stage, the deploy-bound ones side by side in lanes (TEST_LANES chaos lanes; TEST_SKIP="lint unit" leaves those out); logs in .local-aws/make-test/
	$(HOST_PYTHON) -m scripts.make_stages --lanes $(TEST_LANES) $(foreach stage,$(TEST_SKIP),--skip $(stage))

deploy-local: install terraform-config ## deploy to the local AWS emulator and print the outputs (safe to rerun)
	$(RUN) python -m flows.pipeline deploy

destroy-local: install terraform-config ## destroy the local deployment and stop the emulator
	$(RUN) python -m flows.pipeline destroy

outage-local: install ## take a region of the local emulator out: REGION=us-east-1 (its APIs refuse connections, its services answer 503)
	$(RUN) python -m flows.outage down "$(REGION)"

restore-local: install ## bring a region of the local emulator back: REGION=us-east-1 (nothing it held is lost)
	$(RUN) python -m flows.outage up "$(REGION)"

dr-report: install-deploy terraform-config ## RTO/RPO/strategy computed from the synthesized stack, measured next to it when a game day ran -> cfn-outputs/dr-report.json
	$(RUN) python -m deploy.synth --outdir cdktf.out
	$(RUN) python -m dr.report $(STACK_JSON) --out cfn-outputs/dr-report.json

diagram: synth ## regenerate docs/architecture.mmd and the README diagram from the synthesized stack
	$(RUN) python -m dr.diagram $(STACK_JSON) --out docs/architecture.mmd --readme README.md

gameday-local: install ## game day on the local deployment: region loss + manual failover + bad data (corruption: restore and repair), measured RTO/RPO -> cfn-outputs/gameday-report.json
	$(RUN) python -m dr.gameday --target local $(GAMEDAY_ARGS)

gameday: install-deploy ## game day on the REAL AWS deployment: manual failover with the data-plane switch, held 10 min (GAMEDAY_ARGS="--hold 900"), and back (credentials)
	$(RUN) python -m deploy.preflight_aws gameday
	$(RUN) python -m dr.gameday --target aws $(GAMEDAY_ARGS)

restore-data-local: install ## bad data on the local deployment: restore the payments table to TO=<UTC second, e.g. 2026-05-01T12:00:00Z> in a new table, compare (dry run) -> cfn-outputs/restore-report.json; RESTORE_ARGS=--repair writes the repairs
	$(RUN) python -m dr.restore --target local --to "$(TO)" $(RESTORE_ARGS)

restore-data: install-deploy ## bad data on the REAL AWS deployment (credentials): the same, TO=<UTC second>, RESTORE_ARGS="--repair" (and "--region-role primary" to restore in the primary)
	$(RUN) python -m deploy.preflight_aws gameday
	$(RUN) python -m dr.restore --target aws --to "$(TO)" $(RESTORE_ARGS)

bootstrap-plan: install-deploy terraform-config ## CI/CD bootstrap on REAL AWS (GITHUB_REPOSITORY=owner/name, admin credentials): what it would create
	$(RUN) python -m deploy.bootstrap plan

bootstrap: install terraform-config ## CI/CD bootstrap on REAL AWS, once: GitHub's OIDC provider, the plan/preview/release roles, the state bucket; prints the repository variables
	$(RUN) python -m deploy.bootstrap apply

plan: install-deploy terraform-config ## plan REAL AWS (read-only, no lock): the changes a deploy would make -> $$PLAN_SUMMARY (markdown)
	$(RUN) python -m deploy.aws plan --summary "$(PLAN_SUMMARY)"

outputs: install-deploy terraform-config ## write cfn-outputs/flat-outputs.json from the REAL AWS deployment's state (nothing changes)
	$(RUN) python -m deploy.aws outputs

test-integration: install-deploy ## the integration tests against the deployment in cfn-outputs/flat-outputs.json (REAL AWS after make deploy)
	$(RUN) pytest tests/integration -q -p no:cacheprovider

deploy: install-deploy terraform-config ## deploy to REAL AWS (checks the account, then synth + terraform apply); writes cfn-outputs/flat-outputs.json
	$(RUN) python -m deploy.aws deploy

destroy: install-deploy terraform-config ## destroy the REAL AWS deployment of TapStack$$ENVIRONMENT_SUFFIX (checks first; refuses another configuration)
	$(RUN) python -m deploy.aws destroy

unlock: install-deploy terraform-config ## after a cancelled or failed CI job: release the S3 state lock of TapStack$$ENVIRONMENT_SUFFIX if THIS machine holds it (another holder is named, not touched)
	$(RUN) python -m deploy.state_lock release

clean: ## remove build outputs (keeps the installed environments; stops a local emulator)
	-@local_aws/emulator.sh stop >/dev/null 2>&1
	rm -rf cdktf.out cfn-outputs .cache .local-aws .coverage .coverage.* .pytest_cache .ruff_cache
