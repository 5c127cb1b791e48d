# SafeGrid: `make run` starts the product, `make test` runs every check.
# Builds and downloads are cached outside the repository, in $(CACHE).

CACHE ?= $(or $(SAFEGRID_CACHE_DIR),$(HOME)/.cache/safegrid)
BIN   := $(CACHE)/bin
GO    ?= go

# The detector model and the test photos: the environment's if set, else the shared
# folders beside the checkout when they exist (an empty model source turns AI off;
# tests that need photos say so and skip).
export SAFEGRID_MODEL_SOURCE ?= $(if $(wildcard ../shared/models/yolox_nano.onnx),$(abspath ../shared/models),)
export SAFEGRID_TEST_IMAGES ?= $(if $(wildcard ../shared/images/SOURCES.md),$(abspath ../shared/images),)

.PHONY: run test build devstack check bench clean-cache cluster chaos fuzz load defects

# devstack also installs the system packages the build needs (libjpeg-turbo's headers,
# for the photo package's cgo) when they are missing.
devstack:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/devstack ./cmd/devstack
	$(BIN)/devstack --packages

build: devstack
	$(GO) build -o $(BIN)/safegrid ./cmd/safegrid

## run: start Postgres, MinIO, the ONNX Runtime and the model, seed the demo district on an empty database, then `safegrid serve`
run: build
	$(BIN)/devstack -- sh -c '$(BIN)/safegrid seed-demo --if-empty && exec $(BIN)/safegrid serve'

## test: gofmt, go vet, then every test against real Postgres, MinIO and ONNX Runtime
test: devstack check
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -count=1 -timeout 45m ./...

check: devstack
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: the benchmarks with their in-run baselines, then a summary of every goal (see BENCHMARKS.md)
# One package at a time (-p 1) so that no benchmark shares the cores with another;
# the output is kept in $(CACHE)/bench.txt and its GOAL lines are printed again at the end.
BENCH ?= .
bench: SHELL := bash
bench: .SHELLFLAGS := -o pipefail -c
bench: devstack
	@echo "load before: $$(uptime)"
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchtime 2s -timeout 30m ./checklists/ ./models/ ./api/ ./cmd/safegrid/ 2>&1 | tee $(CACHE)/bench.txt
	@echo; echo "== goals, each against its baseline from this run ($(CACHE)/bench.txt)"; \
	grep -ho 'GOAL .*' $(CACHE)/bench.txt | sed 's/^GOAL //'; echo "load after: $$(uptime)"

## defects: put each defect issue 17 found back into a scratch copy of the code, one at a time, and show that its test then fails (and passes on the code as it is); DEFECTS="01 08a" picks patches; not part of make test (about a minute a patch)
DEFECTS ?=
defects: devstack
	$(BIN)/devstack --ephemeral --app-db= -- bash api/webtest/olddefects/run.sh $(DEFECTS)

## load: a city's volume, measured: seed-load fills database safegrid_load when it is empty (1 M hazards, minutes; kept for the next run), then the load harness drives the real API and prints p50/p95/p99 per request beside raw pgx and pgbench baselines (not part of make test; see BENCHMARKS.md)
LOAD_FLAGS ?=
load: build
	$(GO) build -o $(BIN)/loadtest ./cmd/loadtest
	$(BIN)/devstack --app-db safegrid_load -- $(BIN)/loadtest --safegrid $(BIN)/safegrid --out $(CACHE)/load.md $(LOAD_FLAGS)

## cluster: the production shape on loopback — Postgres, MinIO erasure-coded over 4 nodes, 3 replicas, nginx with /readyz checks; Ctrl-C stops all
cluster: build
	$(BIN)/devstack cluster --safegrid $(BIN)/safegrid

## chaos: start the cluster and break it under load for CHAOS_DURATION, then verify nothing was lost (not part of make test)
CHAOS_DURATION ?= 10m
chaos: build
	$(GO) build -o $(BIN)/chaos ./cmd/chaos
	$(BIN)/devstack cluster --safegrid $(BIN)/safegrid -- $(BIN)/chaos --duration $(CHAOS_DURATION) $(CHAOS_FLAGS)

## fuzz: run every fuzz target for FUZZTIME each (FUZZTIME=10m for a soak); a crasher stays in testdata/fuzz as a regression test
FUZZTIME ?= 60s
# Minimising a new input runs the target many times: capped, so that a slow target
# (FuzzLoadRules loads a whole rule pack per input) keeps fuzzing within FUZZTIME.
FUZZMINIMIZE ?= 5s
fuzz: devstack
	$(BIN)/devstack --ephemeral --app-db= -- sh -c '\
	  grep -rHo --include="*_test.go" "^func Fuzz[A-Za-z0-9_]*" . | sort | while IFS=: read -r file fn; do \
	    name=$${fn#func }; dir=$$(dirname $$file); \
	    echo "== $$dir $$name ($(FUZZTIME))"; \
	    $(GO) test -run "^$$" -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$dir || exit 1; \
	  done'

clean-cache:
	rm -rf $(CACHE)
