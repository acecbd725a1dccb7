# garage-web build, test and lint entry points. `make test` is what CI runs
# (through .ci/run). Keep one target per job; list variables are meant to be
# appended to by whoever adds a package, fuzz target or benchmark.

GO       ?= go
BIN      := bin/garage-web
# Extra flags for every `go test` (CI sets -v for per-test PASS/FAIL lines).
GOTESTFLAGS ?=

# Unit-test packages: everything except the end-to-end and cluster suites.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/test/')
E2E_PKGS  := ./test/e2e/...
E2E_TIMEOUT ?= 20m
# Real-process cluster tests (test/cluster): several nodes per test on their
# own loopback addresses or network namespaces (root), run in parallel.
CLUSTER_PKGS    := ./test/cluster/...
CLUSTER_TIMEOUT ?= 20m

# Fuzz targets run briefly by `make fuzz`, as PACKAGE:FuzzName, e.g.
#   FUZZ += ./s3/sigv4:FuzzParseAuthorization
# List only targets that exist: a listed target that is missing fails the run.
FUZZ := \
	./config:FuzzLoad \
	./httpobject:FuzzParseRange \
	./s3/sigv4:FuzzParseAuthorization \
	./s3/sigv4:FuzzParsePresign \
	./s3/sigv4:FuzzChunkedDecoder \
	./s3/sigv2:FuzzParseAuthorization \
	./s3/sigv2:FuzzParsePresign \
	./s3:FuzzRequestXML \
	./s3:FuzzSingleDocument \
	./s3/policy:FuzzParse \
	./web:FuzzKeyFromPath \
	./site/rules:FuzzParseRedirects \
	./site/rules:FuzzParseHeaders
FUZZTIME ?= 10s

.PHONY: build run test lint vet fmt-check staticcheck unit e2e cluster fuzz install install-files

# The one version string (internal/buildinfo): the git tag without its "v",
# else dev-<commit>; `garage-web --version` prints it.
VERSION ?= $(shell v=$$(git describe --tags --dirty 2>/dev/null) && echo "$${v\#v}" || echo "dev-$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)")
LDFLAGS := -X github.com/garage-web/garage-web/internal/buildinfo.version=$(VERSION)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/garage-web

run: build
	./$(BIN) server

# `make install` (as root): the binary to $(PREFIX)/bin, the systemd unit
# to $(SYSTEMDDIR) (its ExecStart pointing at that binary), and the
# configuration to $(CONFIG_FILE) only if there is none yet. DESTDIR
# prefixes every path (packaging). Then: useradd --system --home
# /var/lib/garage-web garage-web && systemctl enable --now garage-web.
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSTEMDDIR ?= /etc/systemd/system
CONFIG_FILE ?= /etc/garage-web.toml
install: build install-files

# install-files installs an already built $(BIN) (test/e2e uses it).
install-files:
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/garage-web
	mkdir -p $(DESTDIR)$(SYSTEMDDIR)
	sed 's#/usr/local/bin/garage-web#$(PREFIX)/bin/garage-web#g; s#/etc/garage-web.toml#$(CONFIG_FILE)#g' \
	  deploy/garage-web.service > $(DESTDIR)$(SYSTEMDDIR)/garage-web.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/garage-web.service
	@if [ -e $(DESTDIR)$(CONFIG_FILE) ]; then \
	  echo "kept $(DESTDIR)$(CONFIG_FILE) (already there; the new default is deploy/garage-web.toml)"; \
	else \
	  install -D -m 0644 deploy/garage-web.toml $(DESTDIR)$(CONFIG_FILE); \
	  echo "installed $(DESTDIR)$(CONFIG_FILE)"; \
	fi

# Order matters: cheap checks first, then unit, e2e and fuzz.
test: lint unit e2e e2e-cluster cluster fuzz bench-smoke

lint: vet fmt-check staticcheck

# staticcheck from the Go module proxy, pinned; built once into the Go cache.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
staticcheck:
	GOFLAGS= $(GO) run $(STATICCHECK) ./...

vet:
	$(GO) vet ./...

fmt-check:
	@files=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi; \
	echo "gofmt: ok"

unit:
	@test -n "$(strip $(UNIT_PKGS))" || { echo "no unit-test packages found"; exit 1; }
	$(GO) test $(GOTESTFLAGS) -race -count=1 $(UNIT_PKGS)

e2e:
	$(GO) test $(GOTESTFLAGS) -count=1 -timeout $(E2E_TIMEOUT) $(E2E_PKGS)

cluster:
	$(GO) test $(GOTESTFLAGS) -count=1 -parallel 4 -timeout $(CLUSTER_TIMEOUT) $(CLUSTER_PKGS)

# The SDK suites that opt in with newReplicatedSDKEnv, on a 3-node cluster
# (RF 3, one zone per node) with each request sent to the next node in turn;
# E2E_CLUSTER_NODES=5 runs them on more nodes than replicas.
E2E_CLUSTER_RUN ?= ^TestSDK(Object|List|Multipart|UploadPartCopy|TransferManager|Bucket|Copy|DeleteObjects)|^Test(ObjectTagging|BucketTagging)
E2E_CLUSTER_TIMEOUT ?= 10m
E2E_CLUSTER_NODES ?= 3
.PHONY: e2e-cluster
e2e-cluster:
	GARAGE_WEB_E2E_CLUSTER=$(E2E_CLUSTER_NODES) $(GO) test $(GOTESTFLAGS) -count=1 -timeout $(E2E_CLUSTER_TIMEOUT) -run '$(E2E_CLUSTER_RUN)' $(E2E_PKGS)

fuzz:
	@set -e; for t in $(FUZZ); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  if ! $(GO) test -list "^$$fn\$$" $$pkg | grep -qx "$$fn"; then \
	    echo "fuzz target $$fn not found in $$pkg (listed in Makefile FUZZ)"; exit 1; fi; \
	  echo "== fuzz $$pkg $$fn for $(FUZZTIME)"; \
	  sh scripts/fuzz-one.sh "$(GO)" $$pkg $$fn $(FUZZTIME); \
	done; echo "fuzz: $(words $(FUZZ)) target(s) done"

# Benchmarks (bench/, results in docs/benchmarks.md). `bench` runs garage-web,
# MinIO (go install'ed into GOPATH/bin on first use, several minutes) and the
# in-memory ceiling one after the other, then the 3-node cluster rows of
# garage-web and of MinIO distributed, in under 20 minutes. It runs inside a
# network namespace of its own (bench/cluster-netns.sh, root: MinIO refuses
# loopback peers in a container); without one (-fallback: not root, no `ip`)
# it runs as it is and reports MinIO distributed as not run, with why.
# `bench-smoke` is garage-web + ceiling with tiny counts, under 1 minute, to
# keep the tool working. Reports go to $(BENCH_OUT)/bench{,-smoke}.{md,json}.
BENCH_OUT ?= bin/bench
.PHONY: bench bench-smoke
bench: build
	@mkdir -p $(BENCH_OUT)
	$(GO) build -o bin/benchsuite ./bench/cmd/benchsuite
	./bin/benchsuite install-minio
	bench/cluster-netns.sh -fallback ./bin/benchsuite -profile full -garage-bin $(BIN) -command "make bench" -md $(BENCH_OUT)/bench.md -json $(BENCH_OUT)/bench.json
# `bench-cluster-rows`: only the cluster rows of `bench` (garage-web and
# MinIO distributed, 3 nodes each), in the same namespace, about a minute.
.PHONY: bench-cluster-rows
bench-cluster-rows: build
	@mkdir -p $(BENCH_OUT)
	$(GO) build -o bin/benchsuite ./bench/cmd/benchsuite
	./bin/benchsuite install-minio
	bench/cluster-netns.sh -fallback ./bin/benchsuite -profile full -only cluster-rows -garage-bin $(BIN) -command "make bench-cluster-rows" -md $(BENCH_OUT)/bench-cluster-rows.md -json $(BENCH_OUT)/bench-cluster-rows.json
bench-smoke: build
	@mkdir -p $(BENCH_OUT)
	$(GO) build -o bin/benchsuite ./bench/cmd/benchsuite
	./bin/benchsuite -profile smoke -minio=false -strict -garage-bin $(BIN) -command "make bench-smoke" -md $(BENCH_OUT)/bench-smoke.md -json $(BENCH_OUT)/bench-smoke.json

# `bench-cluster`: the latency scenario of issue 8, one client next to node
# A of a 3-site garage-web cluster (RF 3, 50 ms RTT between nodes through
# delaying proxies) and of a 2-site MinIO distributed cluster (if MinIO is
# installed: `make bench` does it once); p50/p90 of sequential 1 KiB and
# 1 MiB PUT/GET, in ms and RTTs. It runs inside a network namespace of its
# own (bench/cluster-netns.sh, root): MinIO refuses loopback peers in a
# container. Standalone, under 5 minutes, not in `test`.
.PHONY: bench-cluster
bench-cluster: build
	@mkdir -p $(BENCH_OUT)
	$(GO) build -o bin/benchsuite ./bench/cmd/benchsuite
	bench/cluster-netns.sh ./bin/benchsuite cluster -garage-bin $(BIN) -command "make bench-cluster" -md $(BENCH_OUT)/bench-cluster.md -json $(BENCH_OUT)/bench-cluster.json
