# The project's verbs; `make help` lists them. Tools install into ./.bin at pinned versions through the Go proxy.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/.bin
GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
STACK ?= dev

.PHONY: help test render render-json lint vet tools

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

test: ## Run every test (mock stack tests, CRD/CEL validation, IAM, savings); what CI runs
	$(GO) test -count=1 ./...

render: ## Offline preview of the stack (STACK=dev): every resource it would declare, under Pulumi mocks
	$(GO) run ./cmd/render --stack $(STACK)

render-json: ## The same, as one JSON object {resources, outputs}
	$(GO) run ./cmd/render --stack $(STACK) --json

vet: ## go vet
	$(GO) vet ./...

lint: vet $(BIN)/golangci-lint ## go vet + golangci-lint (config in .golangci.yml)
	$(BIN)/golangci-lint run ./...

tools: $(BIN)/golangci-lint ## Install the pinned tools into ./.bin

$(BIN)/golangci-lint:
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
