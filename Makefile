# SPDX-License-Identifier: MIT
# Convenience wrapper around CMake (in the style of neovim's):
#   make demo   install what is missing, build, run a demonstration pipeline
#   make test   install what is missing, build, run every test
#   make bench  build and run px-bench against the peers it finds
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench install clean

all: build

deps:
	@bash .ci/deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	bash examples/demo.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench:
	@bash .ci/deps bench
	@$(MAKE) --no-print-directory build
	$(BUILD)/bench/px-bench

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
