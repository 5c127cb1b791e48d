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

.PHONY: run test build devstack check bench clean-cache

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
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -count=1 ./...

check: devstack
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: the benchmarks with their in-run baselines (see BENCHMARKS.md)
bench: devstack
	$(BIN)/devstack --ephemeral --app-db= -- $(GO) test -run '^$$' -bench . -benchtime 2s ./checklists/ ./models/ ./api/

clean-cache:
	rm -rf $(CACHE)
