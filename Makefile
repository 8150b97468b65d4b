# mimtpy developer and user entry points. Two commands matter:
#   make demo   create .venv, install mimtpy, run the App on synthetic data, leave maps in demo_work/
#   make test   create .venv, install mimtpy with test tools, the MintPy peer and PyGMT, lint, run the tests
#               (the PyGMT map test needs the GMT library, the tsview browser test chromium and chromium-driver:
#               `make system` installs them from Debian, as CI does)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo_work

.PHONY: demo test install install-test lint defaults docs benchmark clean gmt system

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py mimtpy/_kernels/*.pyx
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,peer,maps]"
	$(BIN)/python -m pip install --quiet -e ".[okada]" || echo "okada-wrapper not built (it needs gfortran: make system): the DC3D peer test is skipped"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	mkdir -p $(DEMO)
	@if [ -f $(DEMO)/demo.template ]; then echo "keeping your $(DEMO)/demo.template (delete it to start from templates/demo.template)"; \
	else cp templates/demo.template $(DEMO)/demo.template; fi
	$(BIN)/mimtpyApp.py $(DEMO)/demo.template
	@echo "demo finished in $(DEMO)/: per-track velocity/displacement under synthetic/*/mintpy/, east/up in horzvert/,"
	@echo "the ascending mosaic in concatenation/, fault profiles in transects/, all maps in overview.png"

lint: install-test
	$(BIN)/ruff check mimtpy tests benchmarks

test: install-test lint
	$(BIN)/python -m pytest -q

# regenerate the documented default template and the template reference from mimtpy/config.py
defaults: install
	$(BIN)/python -m mimtpy.docgen

benchmark: install-test
	$(BIN)/python benchmarks/bench_velocity.py

gmt:
	apt-get update -q && apt-get install -y -q gmt libgmt-dev ghostscript

# system packages of the optional peers: GMT for PyGMT, gfortran for okada-wrapper, chromium and its driver for the
# tsview browser test (Debian; as root)
system:
	apt-get update -q && apt-get install -y -q gmt libgmt-dev ghostscript gfortran chromium chromium-driver

clean:
	rm -rf $(DEMO) build *.egg-info mimtpy/_kernels/*.c mimtpy/_kernels/*.so
