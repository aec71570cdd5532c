# wsbridge — the two things a newcomer runs are `make run` and `make test` (see README).
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
PYTHON ?= python3
LISTEN ?= 127.0.0.1:8080

.PHONY: build run test unit integration faults cluster autobahn man deb verify-units lintian packaging-test bench clean

build:
	$(SWIFT) build

## Builds and runs wsbridge on the embedded broker (one host, no Redis) with the Python demo app attached.
run:
	LISTEN=$(LISTEN) scripts/demo.sh

## The whole suite: Swift unit and integration tests, then the end-to-end tests with real processes,
## the Redis fault suite (its table goes to $(FAULTS_REPORT)), the Redis Cluster suite, the packaging
## tests and the Autobahn TestSuite's CI selection against the release binary the packaging tests
## built. The Swift tests run in parallel, each in a process of its own, $(TEST_WORKERS) at a time (one
## per CPU by default).
FAULTS_REPORT ?= .build/faults-report.md
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build --parallel --num-workers $(TEST_WORKERS)
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge $(PYTHON) -m pytest -q tests/integration
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge FAULTS_REPORT=$(FAULTS_REPORT) $(PYTHON) -m pytest -q -s tests/faults
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge $(PYTHON) -m pytest -q -s tests/cluster
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge $(PYTHON) -m pytest -q tests/packaging
	WSBRIDGE_BIN=$$($(SWIFT) build -c release --static-swift-stdlib --show-bin-path)/wsbridge AUTOBAHN_CASES=ci \
		$(PYTHON) tests/autobahn/run.py

unit:
	$(SWIFT) test --parallel --num-workers $(TEST_WORKERS)

integration: build
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge $(PYTHON) -m pytest -q tests/integration

## The Autobahn TestSuite (fuzzingclient, every case) against wsbridge through an echo app on the app
## socket; fails on any case not OK or INFORMATIONAL. AUTOBAHN_CASES="6.4.*,12.1.1" runs some only.
AUTOBAHN_BIN ?= $$($(SWIFT) build --show-bin-path)/wsbridge
autobahn: build
	WSBRIDGE_BIN=$(AUTOBAHN_BIN) $(PYTHON) tests/autobahn/run.py

## The Redis Cluster suite alone (docs/scaling.md): real 3-master clusters, wsbridge hosts on them, faults.
cluster: build
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge $(PYTHON) -m pytest -q -s tests/cluster

## The Redis fault suite alone (docs/reliability.md): faults under load, every message counted.
faults: build
	WSBRIDGE_BIN=$$($(SWIFT) build --show-bin-path)/wsbridge FAULTS_REPORT=$(FAULTS_REPORT) $(PYTHON) -m pytest -q -s tests/faults

## Man pages (troff) from man/*.in, with the config keys taken from examples/wsbridge.conf.
man:
	$(PYTHON) man/render.py .build/man

## The Debian package dist/wsbridge_<version>-<revision>_<arch>.deb (release build, Swift runtime static).
deb:
	packaging/build-deb.sh

## systemd-analyze verify on the units in packaging/ (against a built binary; see the script).
verify-units:
	packaging/verify-units.sh

lintian:
	lintian --fail-on error,warning $$(ls -t dist/wsbridge_*.deb | head -n 1)

## The packaging tests alone: builds the .deb if dist/ has none that is up to date, installs it, purges it.
packaging-test:
	$(PYTHON) -m pytest -q tests/packaging

## The benchmarks of docs/benchmarks.md (server on core 0, load on core 1, medians of 3 runs).
bench:
	bench/run.sh $(SCENARIOS)

clean:
	rm -rf .build dist
