# gdcac-crawler: `make demo` crawls the offline mirror into archive/demo.sqlite; `make test` lints, type-checks
# the package (ruff, mypy) and runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gdcac demo --db archive/demo.sqlite

test: $(STAMP)
	$(BIN)/ruff check gdcac_crawler
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/crawl_throughput.py

clean:
	rm -rf $(VENV) archive/demo.sqlite archive/demo.sqlite-wal archive/demo.sqlite-shm .pytest_cache
