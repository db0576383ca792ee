# cutroom: one-command setup, build, test, benchmark and demo.
SHELL := bash
CARGO ?= cargo
# Debian packages: FFmpeg's libraries and headers for ffmpeg-next, clang for bindgen, and the
# ffmpeg CLI, which only tests and benchmarks use (the independent oracle and the peer).
APT_PACKAGES := clang libclang-dev pkg-config libavcodec-dev libavformat-dev libavutil-dev \
	libavfilter-dev libavdevice-dev libswscale-dev libswresample-dev ffmpeg python3-venv bc curl
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

## build: the release binary at target/release/cutroom.
build: deps
	$(CARGO) build --release --workspace

## test: every test, then clippy and rustfmt as errors.
test: deps
	$(CARGO) test --workspace
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all -- --check

## bench: cutroom against the ffmpeg CLI on the same inputs, in one run; prints ratios.
bench: build
	bench/run.sh

## demo: show what cutroom sees in the committed fixtures.
demo: build
	./target/release/cutroom probe fixtures/*.mp4 fixtures/*.wav || true

## fixtures: regenerate the committed test media with the ffmpeg CLI.
fixtures: deps
	fixtures/generate.sh
