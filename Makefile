# CiviQ — queue-ticket system for public administrative service centres.
# `make help` lists the targets.

SHELL   := /bin/bash
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
ADDR    ?= 0.0.0.0:8080
DATA    ?= ./data
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: help deps build run stop-server start-server test bench lint cross release fmt clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

deps: ## install missing Debian packages (as root) and Go modules
	@scripts/deps.sh

build: deps ## build bin/server (pure Go), bin/kiosk and bin/display (Fyne)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/server ./server
	@if [ -f kiosk/main.go ]; then $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/kiosk ./kiosk; fi
	@if [ -f display/main.go ]; then $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/display ./display; fi

run: build ## the whole hall on one machine: server on $(ADDR) (phones on the LAN reach it) with SQLite in $(DATA), demo centre with three weeks of history for the reports
	@scripts/run.sh "$(ADDR)" "$(DATA)"

stop-server: ## stop only the server of a running `make run` (kiosk and display stay up, offline)
	@scripts/run.sh stop-server "$(DATA)"

start-server: ## start the server of a running `make run` again (the kiosk syncs)
	@scripts/run.sh start-server "$(DATA)"

# go test starts the test binaries in the order of its arguments, two at a
# time on two cores (-p): the longest packages go first, so that the last
# one to start is a short one, not the 5-minute browser suite running alone
# at the end (./... adds the rest, each package once).
SLOW_TESTS := ./server/webtest ./kiosk/internal/ui ./server ./server/internal/sim \
	./server/internal/store/postgres ./server/internal/httpapi ./display/internal/view \
	./server/internal/store/sqlite ./server/internal/wiring
# -race implies -d=checkptr, which checks every unsafe pointer conversion of
# the SQLite library translated from C (modernc.org/...): about 40 % of the
# CPU of a test on SQLite, checking that library's pointer arithmetic, not
# ours. It stays on for every other package; the race detector stays on
# for all.
TESTFLAGS := -race -count=1 -timeout 30m -gcflags='modernc.org/...=-d=checkptr=0'

test: deps lint cross ## all tests, with the race detector
	$(GO) test $(TESTFLAGS) $(SLOW_TESTS) ./...

bench: deps ## performance figures (printed; see docs/PERFORMANCE.md)
	$(GO) run ./server/cmd/civiq-bench
	$(GO) test -run '^$$' -bench TapToLastByte -benchtime 50x ./kiosk/internal/ui
	$(GO) test -run '^$$' -bench 'Project' -benchmem ./server/internal/forecast
	$(GO) run ./server simulate -accuracy -days 10

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every package with non-test code but the two Fyne mains, which need cgo
# (OpenGL) on Windows: these must compile for Windows without cgo. (Tests
# are not compiled: some drive Unix processes and signals.)
PURE_WIN = $$($(GO) list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./... | grep -vx -e '$(MODULE)/kiosk' -e '$(MODULE)/display')
MODULE  := github.com/civiq/civiq

cross: ## cheap cross-compile checks: every package for Windows, server for linux/arm64
	GOOS=windows CGO_ENABLED=0 $(GO) build $(PURE_WIN)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build ./server/...
	@if command -v x86_64-w64-mingw32-gcc >/dev/null; then \
	  echo "CGO_ENABLED=1 GOOS=windows CC=x86_64-w64-mingw32-gcc $(GO) build -trimpath ./kiosk/... ./display/..."; \
	  CGO_ENABLED=1 GOOS=windows CC=x86_64-w64-mingw32-gcc nice -n 19 $(GO) build -trimpath ./kiosk/... ./display/...; \
	else echo "cross: no MinGW-w64 (make release installs it): the kiosk and display mains were not compiled for Windows"; fi

release: ## dist/: server, kiosk, display archives for Linux/Windows (+ SHA256SUMS); installs cross toolchains as root
	@scripts/release.sh

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output (not the data folder)
	rm -rf bin dist
