# The two set-up commands (see README.md): `make up` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= ./.sfs-data

.PHONY: deps build up test node-test-deps web-vendor image image-test bench format clean

deps:
	@scripts/install-deps.sh

build: deps web-vendor
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# What the web UI loads from npm (sfs-frontend/web-vendor, pinned in its
# package-lock.json), copied into the served folder: nothing is fetched
# when the page runs.
WEB_VENDOR := sfs-frontend/web-vendor
web-vendor: sfs-frontend/web/vendor/tus.min.js
sfs-frontend/web/vendor/tus.min.js: $(WEB_VENDOR)/node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp $(WEB_VENDOR)/node_modules/tus-js-client/dist/tus.min.js $@

# Runs master + 4 chunkservers (rp1..rp4) + frontend in the foreground; Ctrl-C stops all.
up: build
	$(BUILD)/bin/sfs up --data $(DATA)

# Every test: unit suites, then the cross-process cluster suites, one at a time
# (they start real servers on loopback and move gigabytes through them).
test: build node-test-deps
	cd $(BUILD) && ctest --output-on-failure -j1

# The npm packages of the Node.js tests (the browser test, the storage-js
# test, tus-js-client, the manifests' schema check) and of the web UI,
# installed when missing or older than their package-lock.json; npm ci
# writes node_modules/.package-lock.json.
NODE_TESTS := tests/browser tests/supabase tests/tus tests/deploy
node-test-deps: $(addsuffix /node_modules/.package-lock.json,$(NODE_TESTS))
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund
	@touch $@

# The OCI image sfs:latest (and sfs:<git describe>) in $(BUILD)/image/sfs, plus
# $(BUILD)/image/sfs.oci.tar: a Debian root filesystem made by mmdebstrap with
# the packages of the binaries' libraries, packed by umoci; no registry, no
# container daemon. Needs root. See docs/operations.md, "Container image".
image: build
	BUILD=$(BUILD) scripts/build-image.sh

# Starts the image's binaries (master, 3 chunkservers, frontend) in a chroot
# of its unpacked root filesystem as its non-root user and moves a file
# through them; no container runtime needed. Needs root.
image-test: image
	BUILD=$(BUILD) tests/image/roundtrip.sh

# Benchmarks against baselines measured in the same run (bench/README.md);
# BENCH_ARGS go to bench/bench.py, e.g. BENCH_ARGS="--users 50".
bench:
	BUILD=$(BUILD) JOBS=$(JOBS) bench/run.sh $(BENCH_ARGS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
