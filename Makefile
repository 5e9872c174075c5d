# CiviQ — queue-ticket system for public administrative service centres.
# `make help` lists the targets.

SHELL   := /bin/bash
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: help deps build run test bench lint fmt clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 10

deps: ## install missing Debian packages (as root) and Go modules
	@scripts/deps.sh

build: deps ## build bin/server (pure Go), bin/kiosk and bin/display (Fyne)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/server ./server
	@if [ -f kiosk/main.go ]; then $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/kiosk ./kiosk; fi
	@if [ -f display/main.go ]; then $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/display ./display; fi

run: build ## the whole hall on one machine: server on $(ADDR) with SQLite in $(DATA), demo centre (with three weeks of history for the reports)
	@scripts/run.sh "$(ADDR)" "$(DATA)"

test: deps lint ## all tests, with the race detector
	$(GO) test -race -count=1 -timeout 30m ./...

bench: deps ## performance figures (printed; see docs/PERFORMANCE.md)
	$(GO) run ./server/cmd/civiq-bench
	$(GO) test -run '^$$' -bench TapToLastByte -benchtime 50x ./kiosk/internal/ui
	$(GO) test -run '^$$' -bench 'Project' -benchmem ./server/internal/queue
	$(GO) run ./server simulate -accuracy -days 10

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output (not the data folder)
	rm -rf bin
