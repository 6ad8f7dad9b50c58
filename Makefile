# The two set-up commands (see README.md): `make up` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= ./.sfs-data

.PHONY: deps build up test browser-test-deps bench format clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Runs master + 4 chunkservers (rp1..rp4) + frontend in the foreground; Ctrl-C stops all.
up: build
	$(BUILD)/bin/sfs up --data $(DATA)

# Every test: unit suites, then the cross-process cluster suites, one at a time
# (they start real servers on loopback and move gigabytes through them).
test: build browser-test-deps
	cd $(BUILD) && ctest --output-on-failure -j1

# The browser test's npm packages (tests/browser), installed when missing or
# older than package-lock.json; npm ci writes node_modules/.package-lock.json.
BROWSER_TEST := tests/browser
browser-test-deps: $(BROWSER_TEST)/node_modules/.package-lock.json
$(BROWSER_TEST)/node_modules/.package-lock.json: $(BROWSER_TEST)/package-lock.json
	cd $(BROWSER_TEST) && npm ci --no-audit --no-fund
	@touch $@

# Benchmarks against baselines measured in the same run (bench/README.md);
# BENCH_ARGS go to bench/bench.py, e.g. BENCH_ARGS="--users 50".
bench:
	BUILD=$(BUILD) JOBS=$(JOBS) bench/run.sh $(BENCH_ARGS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
