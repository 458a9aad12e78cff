# Showdesk: the commands people type. The build itself is Meson + Ninja.
#
#   make run     install what is missing, build, start the server with a demo workspace
#   make test    build with ASan + UBSan and run every test suite
#   make test-tsan  the unit, conformance and integration suites under ThreadSanitizer
#   make bench   benchmarks against reference servers (see BENCHMARKS.md);
#                BENCH_ONLY=api|upload|range|transcode|speech runs one entry
#   make fmt     format the C sources with clang-format
#   make lint    clang-tidy and cppcheck
#   make fuzz    run the libFuzzer targets for FUZZ_SECONDS each (clang)
#   make eval    triage and help-article matching on the held-out split of corpus/
#                (accuracy, macro-F1, confusion; KB precision, recall, top-1/top-3)
#   make eval-asr  word error rate and speed of speech recognition on ../shared/data/speech
#                (SPEECH_DATA=DIR for another folder of WAV files + references.tsv)
#   make eval-vocab  what a workspace vocabulary does to product terms (spoken by flite)
#   make clean   remove build folders

DATA ?= ./data
LISTEN ?= 127.0.0.1:8080
FUZZ_SECONDS ?= 60
WERROR := $(if $(CI),true,false)

.PHONY: all run test test-tsan bench eval eval-asr eval-vocab fmt lint fuzz clean deps deps-test

all: build-release/showdesk

deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

build-release/build.ninja: | deps
	meson setup build-release --buildtype=release -Dtests=false

build-release/showdesk: deps build-release/build.ninja
	ninja -C build-release showdesk triage.model

build/build.ninja: | deps-test
	meson setup build --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=$(WERROR)

run: build-release/showdesk
	./build-release/showdesk demo --data $(DATA) --listen $(LISTEN)
	exec ./build-release/showdesk serve --data $(DATA) --listen $(LISTEN)

test: deps-test build/build.ninja
	meson configure build -Dwerror=$(WERROR) >/dev/null
	ninja -C build
	sh scripts/test.sh build

test-tsan: deps-test
	test -f build-tsan/build.ninja || meson setup build-tsan --buildtype=debug -Db_sanitize=thread -Db_lundef=false
	ninja -C build-tsan
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" sh scripts/test.sh build-tsan --suite unit --suite conformance --suite integration

bench: deps build-release/build.ninja
	@sh scripts/deps.sh bench
	ninja -C build-release showdesk bench/bench-transcode bench/bench-text
	sh bench/run.sh

eval: build-release/showdesk
	./build-release/showdesk eval --kb corpus/kb/articles.jsonl corpus/heldout.jsonl

eval-asr: build-release/showdesk
	python3 scripts/eval_asr.py

eval-vocab: build-release/showdesk
	@sh scripts/deps.sh test
	python3 scripts/eval_vocab.py

fmt:
	git ls-files '*.c' '*.h' | xargs clang-format -i

lint: deps-test build/build.ninja
	sh scripts/lint.sh build

fuzz: deps-test
	test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz
	sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-release build-fuzz build-tsan
