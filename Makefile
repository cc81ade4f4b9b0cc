# Two commands on a fresh machine: `make serve` (build and serve) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
# The tests' temporary books in memory where the machine has a RAM disk: they copy and build the book
# again and again, and on this machine's disk creating and deleting those files cost more than the
# quick layer's own work (35-41 s against 23-29 s in /dev/shm), and the suite's processor time too.
TEST_TMP := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo $${TMPDIR:-/tmp})

.PHONY: html serve test quick lint bench clean

$(READY): requirements.txt constraints.txt pyproject.toml package.json package-lock.json
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	npm ci --silent --no-audit --no-fund
	touch $@

html: $(READY)          ## preview build into _build/html (drafts with their problems on their pages)
	$(BIN)/wpsr build

serve: $(READY)         ## build, serve on http://127.0.0.1:8000, and rebuild after every save
	$(BIN)/wpsr serve --watch --port 8000

test: $(READY)          ## the whole test suite, as CI runs it, on both cores (one shared build of the book)
	$(BIN)/ruff check wpsr tests benchmarks
	$(BIN)/wpsr check
	$(BIN)/wpsr data status --warn
	TMPDIR=$(TEST_TMP) $(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

quick: $(READY)        ## the edit-test loop: every test that neither builds the whole book nor drives Chromium
	TMPDIR=$(TEST_TMP) $(BIN)/pytest -q -n 2 -m "not browser and not build"

bench: $(READY)         ## build speed, page weights and Lighthouse figures for the README
	$(BIN)/python benchmarks/build_speed.py
	$(BIN)/python benchmarks/readers.py
	$(BIN)/python benchmarks/scale.py --contributions 3 23 60
	$(BIN)/python benchmarks/kernels.py --contributions 58
	$(BIN)/python benchmarks/languages.py
	$(BIN)/python benchmarks/preview.py --contributions 3 60
	$(BIN)/python benchmarks/reach.py

clean:
	rm -rf _build
