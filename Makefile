# cutroom: one-command setup, build, test, benchmark and demo.
SHELL := bash
CARGO ?= cargo
# Debian packages: FFmpeg's libraries and headers for ffmpeg-next, clang for bindgen, TLWG's
# Loma, Lohit Devanagari and VL Gothic (Thai, Hindi and Japanese captions), and the ffmpeg CLI,
# GNU time, Tesseract with its Thai, Hindi and Japanese models and openssl,
# which only tests and benchmarks use (the oracle, the peer, peak memory, reading burnt-in
# captions, a test CA) and strace (slowing renames, to interrupt one).
APT_PACKAGES := clang libclang-dev pkg-config libavcodec-dev libavformat-dev libavutil-dev \
	libavfilter-dev libavdevice-dev libswscale-dev libswresample-dev ffmpeg python3-venv bc curl \
	time tesseract-ocr tesseract-ocr-tha tesseract-ocr-hin tesseract-ocr-jpn openssl strace fonts-tlwg-loma-ttf fonts-lohit-deva fonts-vlgothic
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test bench demo fixtures

## deps: install the Debian packages that are missing (apt-get, as root or through sudo).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: the release binaries at target/release/cutroom and target/release/cutroom-media.
build: deps
	$(CARGO) build --release --workspace

## test: every test, then clippy, rustdoc (broken links) and rustfmt as errors.
# CARGO_INCREMENTAL=0: a clean build has nothing to reuse, and the incremental caches cost time and ~7 GB.
# One test thread more than cores: about a fifth of the integration tests' core time was idle,
# tests waiting on servers, renders and timeouts of their own making.
test: export CARGO_INCREMENTAL = 0
test: deps
	$(CARGO) test --workspace -- --test-threads=$$(( $$(nproc) + 1 ))
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace
	$(CARGO) fmt --all -- --check

## bench: cutroom against the ffmpeg CLI on the same inputs, in one run; prints ratios.
bench: build
	bench/run.sh

## demo: assemble fixtures/demo/cut.toml (two shots rendered by `cutroom emulate` on a free
## loopback port, a committed clip, a ducked music bed, captions, a logo and a text end card)
## into out/demo/; no key needed. Against a
## real provider: OPENAI_BASE_URL=... OPENAI_API_KEY=... cutroom assemble fixtures/demo/cut.toml -o DIR
DEMO_OUT ?= out/demo
demo: build
	@set -e; dir=$$(mktemp -d); \
	./target/release/cutroom emulate --port 0 --render-time 2s -q >"$$dir/url" 2>"$$dir/log" & emu=$$!; \
	trap 'kill $$emu 2>/dev/null; rm -rf "$$dir"' EXIT; \
	for i in $$(seq 50); do [ -s "$$dir/url" ] && break; sleep 0.1; done; \
	url=$$(head -1 "$$dir/url"); [ -n "$$url" ] || { cat "$$dir/log"; exit 1; }; \
	echo "make demo: emulator at $$url"; \
	./target/release/cutroom assemble fixtures/demo/cut.toml -o $(DEMO_OUT) --base-url "$$url"; \
	echo "make demo: deliverables in $(DEMO_OUT)/, report in $(DEMO_OUT)/report.json and report.html, timeline in $(DEMO_OUT)/timeline.otio"

## fixtures: regenerate the committed test media with the ffmpeg CLI.
fixtures: deps
	fixtures/generate.sh
