# `make run` and `make test` set everything up on first use: a virtual environment in .venv with
# requirements.txt installed, and MNIST in data/ (fetched and checked on the first run).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ARGS ?=

.PHONY: run test student templates bench lint clean-runs

$(INSTALLED): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(INSTALLED)

run: $(INSTALLED)  ## train and evaluate the reference solution (make run ARGS="--epochs 3")
	$(PY) solutions/01_main.py $(ARGS)

test: $(INSTALLED)  ## check the reference solutions and the templates
	$(PY) -m pytest $(ARGS)

student: $(INSTALLED)  ## check your own files, with a per-subtask summary
	$(PY) -m pytest --impl student $(ARGS)

.PHONY: attacks
attacks: $(INSTALLED)  ## hostile and honest submissions of every shape, graded in sandboxed runs (minutes)
	COURSE_ATTACKS=1 OMP_NUM_THREADS=1 $(PY) -m pytest tests/course/test_grading_attacks.py tests/course/test_grading_limits.py $(ARGS)

.PHONY: mutants
mutants: $(INSTALLED)  ## mutation check: every realistic mistake must fail its own subtask (make mutants ARGS="--only 3c")
	OMP_NUM_THREADS=1 $(PY) tools/mutants.py $(ARGS)

.PHONY: variants
variants: $(INSTALLED)  ## variant check: every correct solution in another style must pass its subtask (make variants ARGS="--only 3d")
	OMP_NUM_THREADS=1 $(PY) tools/variants.py $(ARGS)

templates: $(INSTALLED)  ## regenerate the templates from solutions/
	$(PY) tools/make_templates.py

.PHONY: subtask
subtask: $(INSTALLED)  ## stubs of a new subtask: make subtask TAG=1e FILE=fnn.py FUNCTION=f TITLE="..." [NEEDS=1a POINTS=2]
	@test -n "$(TAG)" -a -n "$(FILE)" -a -n "$(FUNCTION)" -a -n "$(TITLE)" || \
	  { echo 'usage: make subtask TAG=1e FILE=fnn.py FUNCTION=name TITLE="a few words" [NEEDS=1a,1b POINTS=2]'; exit 2; }
	$(PY) tools/new_subtask.py --tag "$(TAG)" --file "$(FILE)" --function "$(FUNCTION)" --title "$(TITLE)" \
	  $(if $(NEEDS),--needs "$(NEEDS)") $(if $(POINTS),--points "$(POINTS)")

bench: $(INSTALLED)  ## training speed: sheet pipeline vs this repository vs the bare floor
	$(PY) benchmarks/bench_training.py $(ARGS)

.PHONY: bench-memory
bench-memory: $(INSTALLED)  ## peak memory and time of the checks, the autograder and the run (make bench-memory ARGS="--cpu-python PATH")
	$(PY) benchmarks/bench_memory.py $(ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

clean-runs:  ## delete all trained runs
	rm -rf runs

.PHONY: release grade
release: $(INSTALLED)  ## write the student repository: make release DEST=../session01-student
	@test -n "$(DEST)" || { echo 'usage: make release DEST=path'; exit 2; }
	$(PY) tools/release.py $(DEST)

grade: $(INSTALLED)  ## grade a class in sandboxes: make grade SUBMISSIONS=folder OUT=folder [ARGS="--jobs 2"]
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo 'usage: make grade SUBMISSIONS=folder OUT=folder'; exit 2; }
	@case "$(ARGS)" in *--no-sandbox*|*--sandbox*) ;; *) $(MAKE) --no-print-directory bubblewrap ;; esac
	$(PY) tools/grade.py $(SUBMISSIONS) --out $(OUT) $(ARGS)

.PHONY: autograder
autograder: $(INSTALLED)  ## Gradescope's zip: autograder.zip (setup.sh, run_autograder, the release, MNIST; no solutions)
	OMP_NUM_THREADS=1 $(PY) tools/autograder.py build $(ARGS)

.PHONY: bubblewrap
bubblewrap:  ## the sandbox grading needs: installs bubblewrap with apt-get as root, else names it
	@command -v bwrap >/dev/null || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null \
	  && { apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null; }; }; } || true
	@command -v bwrap >/dev/null || { echo "make grade: the sandbox needs bubblewrap (bwrap): sudo apt-get install bubblewrap (Fedora: sudo dnf install bubblewrap); or ARGS=--no-sandbox, only for code you trust"; exit 2; }
