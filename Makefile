# The project's verbs; `make help` lists them. Tools install into ./.bin at pinned versions through the Go proxy.
SHELL := /bin/bash
# Karpenter's LTS line needs a newer Go than a fresh machine may have; the go command fetches this toolchain through
# the module proxy the first time. A machine ignores go.mod's toolchain line, so it is set here.
export GOTOOLCHAIN ?= go1.27.3
GO ?= go
BIN := $(CURDIR)/.bin
GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
STACK ?= dev
WORKLOAD ?= examples/retail-store.yaml
# Where the estimate reads its images' platforms (cmd/savings --images): the committed file for the default workload,
# so that make estimate prints the same figures on every machine without the network; the registries for another.
IMAGES ?= $(if $(filter examples/retail-store.yaml,$(WORKLOAD)),examples/retail-store.images.json,auto)
# savings diff prices the stack's savingsWorkloads (default: the retail store), with the images file CI uses.
DIFF_IMAGES ?= examples/retail-store.images.json

.PHONY: help test render render-json plan estimate diff check deep deep-deps lint vet actionlint fuzz tools bench-build bench

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Flags of every go test here. Test binaries are linked without DWARF and symbol table (-s -w): the stack's test
# binaries are large, and stripping shortens their link; tracebacks still name files and lines. go vet is not run
# here: make lint runs golangci-lint's govet, which has go vet's analyzers, so go test's own vet pass over every
# dependency would only repeat it.
TESTFLAGS := -vet=off -ldflags='-s -w'

test: ## Run every test (mock stack tests, CRD/CEL validation, IAM, savings); what CI runs
	$(GO) test -count=1 $(TESTFLAGS) ./...

render: ## Offline preview of the stack (STACK=dev): every resource it would declare, under Pulumi mocks
	$(GO) run ./cmd/render --stack $(STACK)

render-json: ## The same, as one JSON object {resources, outputs}
	$(GO) run ./cmd/render --stack $(STACK) --json

plan: ## Pulumi's engine plans the next `pulumi up` of STACK from STATE (a --save-state file or a pulumi stack export)
	@test -n "$(STATE)" || { echo "usage: make plan STATE=state.json (go run ./cmd/render --save-state FILE writes one)"; exit 2; }
	$(GO) run ./cmd/render --stack $(STACK) --plan --state $(STATE)

estimate: ## Savings estimate of WORKLOAD (default examples/retail-store.yaml) on the STACK's node pools
	$(GO) run ./cmd/savings estimate -f $(WORKLOAD) --images $(IMAGES) --stack $(STACK)

diff: ## What the working tree's config does to the estimate vs BASE (a directory, e.g. a git worktree of main)
	@test -n "$(BASE)" || { echo "usage: make diff BASE=../base"; exit 2; }
	$(GO) run ./cmd/savings diff --base $(BASE) --images $(DIFF_IMAGES) --stack $(STACK)

check: deep-deps ## Policy rules on the deep offline render (STACK=dev); non-zero with the violations
	$(GO) run ./cmd/render --stack $(STACK) --check

EKS_HARNESS := tools/eks-harness

deep-deps: ## Install the pulumi-eks harness's Node packages from its lockfile (npm ci, no install scripts)
	npm ci --ignore-scripts --no-audit --no-fund --prefix $(EKS_HARNESS)

deep: deep-deps ## Deep offline preview: yaml/v2, Helm and pulumi-eks children, and their tests (make check runs the rules on it)
	$(GO) test -count=1 $(TESTFLAGS) -tags deep ./tests/ ./cmd/render/
	$(GO) run ./cmd/render --stack $(STACK) --deep

# A count, not a duration: every machine, fast or slow, runs the same 15000 inputs.
fuzz: ## Fuzz config.Load with 15000 hostile configurations
	$(GO) test $(TESTFLAGS) -run='^$$' -fuzz=FuzzLoad -fuzztime=15000x ./internal/program/config/

# One process per size, so that each size's peak-RSS-MB (the process's largest resident set) is its own.
ESTIMATE_BENCHES := Estimate/pods=100 Estimate/pods=1000 Estimate/pods=10000 \
	EstimateDistinct/pods=1000 EstimateDistinct/pods=2000 EstimateDistinct/pods=3000 EstimateDistinct/pods=10000

bench: ## The estimate's benchmarks, one run of each size: few large Deployments, then many distinct ones (minutes)
	$(GO) test -c $(TESTFLAGS) -o $(BIN)/savings.test ./internal/savings
	cd internal/savings && for b in $(ESTIMATE_BENCHES); do \
		$(BIN)/savings.test -test.run '^$$' -test.bench "^Benchmark$${b%%/*}$$/^$${b#*/}$$" -test.benchtime 1x || exit 1; \
	done

bench-build: ## Cold builds of the program, cmd/render and reference B (tools/benchref), each from an empty GOCACHE
	GO=$(GO) tools/bench-build.sh

vet: ## go vet (make lint runs the same analyzers through golangci-lint's govet)
	$(GO) vet ./...

lint: $(BIN)/golangci-lint ## golangci-lint (config in .golangci.yml): govet with go vet's analyzers, staticcheck, gosec, ...
	$(BIN)/golangci-lint run ./...

actionlint: $(BIN)/actionlint ## Lint the GitHub workflows
	$(BIN)/actionlint

tools: $(BIN)/golangci-lint $(BIN)/actionlint ## Install the pinned tools into ./.bin

$(BIN)/golangci-lint:
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(BIN)/actionlint:
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
