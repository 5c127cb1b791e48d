# SafeGrid: `make run` starts the product, `make test` runs every check.
# Builds and downloads are cached outside the repository, in $(CACHE).

CACHE ?= $(or $(SAFEGRID_CACHE_DIR),$(HOME)/.cache/safegrid)
BIN   := $(CACHE)/bin
GO    ?= go

# The detector model for `make run`: SAFEGRID_MODEL_SOURCE if set, else the shared
# model folder beside the checkout when there is one (empty turns AI checks off).
export SAFEGRID_MODEL_SOURCE ?= $(if $(wildcard ../shared/models/yolox_nano.onnx),$(abspath ../shared/models),)

.PHONY: run test build check bench lint clean-cache

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/safegrid ./cmd/safegrid
	$(GO) build -o $(BIN)/devstack ./cmd/devstack

## run: start Postgres, MinIO, the ONNX Runtime and the model, then `safegrid serve`
run: build
	$(BIN)/devstack -- $(BIN)/safegrid serve

## test: gofmt, go vet, then every test against real Postgres, MinIO and ONNX Runtime
test: check build
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -count=1 ./...

check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: benchmarks with their baselines; results go to BENCHMARKS.md by hand
bench: build
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -run '^$$' -bench . -benchtime 3s ./checklists/ ./models/

clean-cache:
	rm -rf $(CACHE)
