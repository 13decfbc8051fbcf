# kubesim — the one entry point. `make demo` and `make test` do all set-up on a fresh machine
# with only Rust and Python 3.11: they create .venv, build the extension and install extras.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: demo test test-rust test-py test-dist dist docs lint format bench soak build-dev venv clean figures fuzz

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "maturin>=1.7,<2"
	touch $@

venv: $(VENV)/.created

# Build the extension in place (dev profile) with the test and docs extras.
build-dev: venv
	$(VENV)/bin/maturin develop -q --extras test,docs

demo: build-dev
	$(PY) -m kubesim demo

test: build-dev test-rust test-py test-dist

test-rust:
	cargo test --quiet

test-py:
	$(PY) -m pytest -q

# The wheel and the sdist (Cargo.toml's version; the `dist` profile: release, stripped). maturin
# checks the extension's symbols against the manylinux policies and tags the wheel with the
# oldest one it meets. The wheel is built from the tree (not the sdist) so target/dist is reused.
dist: venv
	rm -rf dist
	$(VENV)/bin/maturin sdist --out dist
	$(VENV)/bin/maturin build --profile dist --out dist
	@$(PY) -c 'import pathlib; [print(f"{p.name}: {p.stat().st_size / 2**20:.2f} MiB") for p in sorted(pathlib.Path("dist").iterdir())]'

# The wheel installed by `pip install kubesim` into fresh virtualenvs outside the source tree:
# the seed walkthrough, a smoke test, the extras (from the package index), auditwheel, the size budget.
test-dist: dist
	$(PY) -m pytest -q -m dist -p no:cacheprovider tests/test_dist.py

# The reference site in site/: mkdocs-material, the API pages from docstrings and stubs.
docs: build-dev
	$(VENV)/bin/mkdocs build --strict --site-dir site

lint: build-dev
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --features python -- -D warnings
	$(VENV)/bin/ruff check python tests benchmarks scripts docs/conftest.py docs/_ext
	$(VENV)/bin/ruff format --check python tests benchmarks scripts docs/conftest.py docs/_ext
	$(PY) -m mypy python/kubesim
	$(PY) -m mypy.stubtest kubesim._native

format: venv
	cargo fmt
	$(VENV)/bin/ruff format python tests benchmarks scripts docs/conftest.py docs/_ext
	$(VENV)/bin/ruff check --fix python tests benchmarks scripts docs/conftest.py docs/_ext

# Benchmarks build in release mode (the next build-dev switches back to the dev build).
bench: venv
	$(VENV)/bin/maturin develop -q --release --extras test
	$(PY) benchmarks/scale.py --replicasets 1000 --replicas 10 --threads 1
	$(PY) benchmarks/scale.py --replicasets 1000 --replicas 10 --threads 2
	$(PY) benchmarks/scale.py --replicasets 10000 --replicas 10 --threads 1 --no-events
	$(PY) benchmarks/scale.py --replicasets 10000 --replicas 10 --threads 2 --no-events
	$(PY) benchmarks/hpa.py
	$(PY) benchmarks/cronjob_week.py
	$(PY) benchmarks/churn.py
	$(PY) benchmarks/boundary.py
	$(PY) benchmarks/soak.py --deployments 100 --days 7
	$(PY) benchmarks/server.py --requests 10000 --clients 8 --watchers 20 --kubectl 8
	$(PY) benchmarks/experiments.py
	$(PY) benchmarks/sweep.py

# Random scenarios with invariants, KUBESIM_SCENARIOS of them (10,000 by default), release build.
KUBESIM_SCENARIOS ?= 10000
soak: venv
	$(VENV)/bin/maturin develop -q --release --extras test
	KUBESIM_SCENARIOS=$(KUBESIM_SCENARIOS) $(PY) -m pytest -q -m soak tests/test_scenarios.py --hypothesis-show-statistics

# The README's figures: notebooks 01–03 executed headless, their plots saved to docs/img/.
figures: build-dev
	$(PY) scripts/render_figures.py

# Fuzzing (not part of `make test`): each target in turn, one process, FUZZ_SECONDS apiece, on
# the nightly toolchain. New inputs go to fuzz/corpus/<target> (ignored by git) on top of the
# committed seeds; a crash stops the run and leaves its input in fuzz/artifacts/<target>.
# LeakSanitizer is off: the merge-patch target keeps a cluster per thread whose caches grow, so
# it ran a leak scan after most inputs (about 150 executions a second instead of 3,500).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= manifest selector quantity_duration merge_patch cron kubectl server

fuzz:
	cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$t && \
		echo "== fuzz $$t for $(FUZZ_SECONDS)s" && \
		cargo +nightly fuzz run --release $$t fuzz/corpus/$$t fuzz/seeds/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -timeout=30 -detect_leaks=0 -print_final_stats=1 || exit 1; \
	done

clean:
	rm -rf $(VENV) target
