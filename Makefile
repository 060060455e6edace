# tinyforge — the two set-up commands (README): `make demo` and `make test`.
# Both install what they need from Debian's packages (apt-get, as root), then build.
SHELL := /bin/bash
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
CTEST_JOBS ?= $(JOBS)

# Everything the build, the tests and the bundled examples need.
DEB_PACKAGES := build-essential cmake pkg-config clang libclang-rt-14-dev \
	libjansson-dev libssl-dev zlib1g-dev libopenblas-dev libcurl4-openssl-dev \
	python3 python3-sklearn dataset-fashion-mnist \
	gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm \
	gcc-avr avr-libc simavr libsimavr-dev libpng-dev chromium \
	arduino-builder arduino-core-avr bubblewrap

.PHONY: all deps build build-san demo test test-plain test-san bench-train bench-memory bench-fuzz clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:" $$missing; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer with clang, plus the libFuzzer targets.
build-san: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
	  -DTFG_SANITIZE=ON -DTFG_FUZZ=ON >/dev/null
	cmake --build $(SAN_BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/tinyforge run examples/fruit/spec.json --out runs/fruit
	@echo "make demo: the report is runs/fruit/report/report.html"

# Every ctest run writes JUnit, and tests/no_skips.py fails the target on a skipped test
# (exit 77: a tool, a data set or the shared folder was missing, so checks did not run).
CTEST = rm -f $(1)/junit.xml && ctest --test-dir $(1) -j $(CTEST_JOBS) --output-on-failure \
	--output-junit junit.xml $(2) && python3 tests/no_skips.py $(1)/junit.xml

test-plain: build
	$(call CTEST,$(BUILD))

# Tests labelled `long` (full-size data) run in the plain build only; the sanitizer
# build covers the same code on small inputs.
test-san: build-san
	$(call CTEST,$(SAN_BUILD),-LE long)

test: build build-san
	$(call CTEST,$(BUILD))
	$(call CTEST,$(SAN_BUILD),-LE long)

# Benchmarks print ratios against a reference measured in the same run (bench/).
bench-train: build
	@dpkg-query -W -f='$${Status}' python3-torch 2>/dev/null | grep -q 'install ok installed' || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch
	bench/train/run.sh

bench-memory: build
	bench/memory/run.sh $(BUILD)

# Generated firmware on QEMU (KWS, AD beside TFLM's figures; fruit, digits, Fashion) on M4 and M33.
.PHONY: bench-device
bench-device: build
	bench/device/run.sh $(BUILD)

# The data stage's time per column at 1,000 to 40,000 columns: linear growth (issue 22).
.PHONY: bench-columns
bench-columns: build
	bench/columns/run.sh $(BUILD)

bench-fuzz: build-san
	bench/fuzz/run.sh $(SAN_BUILD)

# The pilot's study table with builtin: every stage, 30 runs, fruit, digits, Fashion-MNIST.
.PHONY: bench-pilot
bench-pilot: build
	bench/pilot/run.sh $(BUILD)

# scikit-learn beside tinyforge's float and int8 accuracy on iris, wine, breast_cancer, digits.
.PHONY: bench-tabular
bench-tabular: build
	@dpkg-query -W -f='$${Status}' python3-sklearn 2>/dev/null | grep -q 'install ok installed' || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn
	bench/tabular/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) runs
