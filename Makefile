# The two commands a user needs are `make run` and `make test` (see README.md).
GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X netobs.local/agent/datakit/internal/version.Version=$(VERSION) \
             -X netobs.local/agent/datakit/internal/version.Commit=$(COMMIT)
TEST_TIMEOUT ?= 25m

.PHONY: build run test setup generate docs clean package

# Binaries stay CGO-free: they run on any distribution without a libc match.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/datakit ./datakit
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/datakit-ebpf ./externals/ebpf

# The .deb (packaging/deb, nfpm as a library in a module of its own, so its
# dependencies stay out of go.mod), written next to the binaries.
package: build
	cd packaging/deb && CGO_ENABLED=0 $(GO) run . -root ../.. -bin $(abspath $(BIN)) -version $(VERSION)

run: build
	$(BIN)/datakit run --conf-dir conf.d

setup:
	tests/setup.sh

# The whole suite: unit, BPF, end-to-end (needs root for the BPF parts),
# then the kernel matrix; tests/test.sh runs both, lists every skip with
# its reason, and fails if either failed.
test: setup build
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt -w needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	GO="$(GO)" TEST_TIMEOUT="$(TEST_TIMEOUT)" TEST_KERNELS="$(TEST_KERNELS)" KERNELS="$(KERNELS)" tests/test.sh

generate:
	$(GO) test ./datakit -run TestGeneratedFiles -update
	$(GO) generate ./...

clean:
	rm -rf $(BIN)

include tests/kernels/Makefile-fragment
