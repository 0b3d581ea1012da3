# Thin wrappers over CMakePresets.json; `cmake --list-presets=all` shows what they wrap.
# Each recipe stops at the first failing command, and make then fails.
# Ninja picks the build parallelism (cores + 2); set CMAKE_BUILD_PARALLEL_LEVEL to change it.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CMAKE ?= cmake
CTEST ?= ctest
CLANG_FORMAT ?= clang-format

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# Our C++ sources, for clang-format. Missing folders are skipped; build trees are not listed.
FORMAT_DIRS := include src tests examples bench tools
FIND_SOURCES = find $(or $(wildcard $(FORMAT_DIRS)),/dev/null) -type f \
  \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) -print0

.PHONY: help deps demo demo-mpi test sanitize asan tsan bench format format-check tidy clean

help:
	@echo "make deps          install the missing Debian packages (scripts/install-deps)"
	@echo "make demo          build the release preset's tutorial and run it"
	@echo "make demo-mpi      the same on mpp::MpiPool, under mpirun (NP=3 ranks: rank 0 drives)"
	@echo "make test          build the dev preset (Debug, -Werror) and run its tests"
	@echo "make sanitize      asan then tsan: build and test under each (also: make asan, make tsan)"
	@echo "make bench         build the benchmarks and print the comparison table"
	@echo "make format        clang-format every C++ file in place (format-check: only check)"
	@echo "make tidy          build the tidy preset, which runs clang-tidy on every file"
	@echo "make clean         remove build/"

deps:
	scripts/install-deps

demo: deps
	$(CMAKE) --preset release
	$(CMAKE) --build --preset release --target mpp-tutorial
	build/release/examples/tutorial/mpp-tutorial

# The tutorial on mpp::MpiPool: NP ranks of this machine (docs/mpi.md shows how to use a cluster).
NP ?= 3
demo-mpi: deps
	$(CMAKE) --preset release
	$(CMAKE) --build --preset release --target mpp-tutorial-mpi
	scripts/mpirun-local mpirun $(NP) build/release/examples/tutorial/mpp-tutorial-mpi

test: deps
	$(CMAKE) --preset dev
	$(CMAKE) --build --preset dev
	$(CTEST) --preset dev

# Sequential on purpose: two sanitizer builds at once are too much for a 2-core machine.
sanitize: deps
	$(ASAN_ENV) $(CMAKE) --workflow --preset asan
	$(TSAN_ENV) $(CMAKE) --workflow --preset tsan

asan: deps
	$(ASAN_ENV) $(CMAKE) --workflow --preset asan

tsan: deps
	$(TSAN_ENV) $(CMAKE) --workflow --preset tsan

# The `bench-table` target belongs to bench/CMakeLists.txt: it runs the benchmark suites and
# prints the comparison table (its script is build/bench/bench/mpp-bench-table).
bench: deps
	$(CMAKE) --preset bench
	$(CMAKE) --build --preset bench --target bench-table

format:
	$(FIND_SOURCES) | xargs -0 -r $(CLANG_FORMAT) -i

format-check:
	$(FIND_SOURCES) | xargs -0 -r $(CLANG_FORMAT) --dry-run --Werror

tidy: deps
	$(CMAKE) --preset tidy
	$(CMAKE) --build --preset tidy

clean:
	rm -rf build
