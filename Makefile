# convnet-grader: every release artifact is built from an assignment's folder.
# `make release` builds and checks everything; `make test` runs the project's tests.
# Every target takes ASSIGNMENT=<path to assignment.yaml> (default: the CNN assignment).
# The default assignment writes student_template/ (committed), dist/ and build/; any
# other writes build/<slug>/ and dist/<slug>/ (`python -m autograder.build.layout` says where).

PYTHON ?= python3
DEFAULT_ASSIGNMENT := assignment/assignment.yaml
ASSIGNMENT ?= $(DEFAULT_ASSIGNMENT)
EXECUTOR ?= local
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

# Read (lazily, once the venv exists) from the assignment: "<student release> <dist> <build>".
# Evaluated once, at its first use, so that a config error is printed once.
OUTPUTS = $(eval OUTPUTS := $(shell $(PY) -m autograder.build.layout --default $(DEFAULT_ASSIGNMENT) $(ASSIGNMENT)))$(OUTPUTS)
STUDENT_OUT = $(word 1,$(OUTPUTS))
DIST = $(word 2,$(OUTPUTS))
BUILD = $(word 3,$(OUTPUTS))
NEED_OUTPUTS = @test -n "$(OUTPUTS)" || { echo "error: $(ASSIGNMENT) cannot be read (see above)" >&2; exit 2; }
IS_DEFAULT = $(filter $(abspath $(DEFAULT_ASSIGNMENT)),$(abspath $(ASSIGNMENT)))

.DEFAULT_GOAL := help
.PHONY: help install lint test test-fast test-docker-like test-docker bench-docker test-slurm student autograder grade grade-all bench-grade bench-grade-all bench-slurm bench bench-feedback release new-assignment clean mutants bench-mutants

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages of requirements.txt into $(VENV) (the first time takes a few minutes)..."
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@
	@echo "$(VENV) is ready."

install: $(STAMP) ## create .venv from the pinned requirements

lint: $(STAMP) ## ruff and mypy, configured in pyproject.toml (zero findings expected)
	$(PY) -m ruff check .
	$(PY) -m mypy

test: $(STAMP) ## run the project's tests (unit and end to end)
	$(PY) -m pytest

# The unit tests only: everything but the tests marked e2e (those that grade through the
# real run_autograder, run a student release's pytest or build a release) and slurm.
test-fast: $(STAMP) ## run the unit tests only (no grading run), in seconds
	$(PY) -m pytest -m "not e2e and not slurm"

# The tests that grade through the sandbox, with the whole pytest process inside a
# confinement like Gradescope's Docker container (root with Docker's default
# capabilities and seccomp profile: no namespaces; read-only cgroups). See tests/docker_like.py.
DOCKER_LIKE_TESTS ?= tests/test_hostile.py tests/test_isolation.py tests/test_grading.py tests/test_transit.py tests/test_student_types.py
test-docker-like: $(STAMP) ## run the sandbox's tests as in Gradescope's container (root, Docker's defaults)
	$(PY) tests/docker_like.py -- $(PY) -m pytest $(DOCKER_LIKE_TESTS)

# Gradescope's real container: a Docker daemon must answer (tests/container/dockerd.sh start);
# the images are built once and cached (build/container/, docker images convnet-grader-*).
DOCKER_TESTS ?= tests/test_hostile.py tests/test_container.py
test-docker: $(STAMP) ## grade the hostile corpus, the reference and the stubs in a real Docker container (root)
	CONVNET_CONFINEMENT=docker $(PY) -m pytest $(DOCKER_TESTS)

bench-docker: autograder ## wall time and peak memory in the real container at 0.5 CPU / 768 MB [BENCH_CASES=id,...]
	$(PY) -m tests.container.bench_docker --autograder $(DIST)/autograder.zip $(if $(BENCH_CASES),--cases $(BENCH_CASES))

test-slurm: $(STAMP) ## start a one-node Slurm cluster here (root) and run the tests marked slurm
	tests/slurm/start_cluster.sh
	$(PY) -m pytest -m slurm tests/test_slurm.py

student: $(STAMP) ## regenerate the student release and its zip [ASSIGNMENT=...]
	$(NEED_OUTPUTS)
	$(PY) -m autograder.build.student_release --assignment $(ASSIGNMENT) --out $(STUDENT_OUT) --zip $(DIST)/student.zip

autograder: $(STAMP) ## build autograder.zip for Gradescope [ASSIGNMENT=...]
	$(NEED_OUTPUTS)
	$(PY) -m autograder.build.autograder_zip --assignment $(ASSIGNMENT) --zip $(DIST)/autograder.zip

grade: autograder ## grade SUBMISSION=<dir or zip> as Gradescope would [RESULTS=path] [INSTRUCTOR=1]
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=<folder or zip> [RESULTS=path] [INSTRUCTOR=1] [ASSIGNMENT=...]" >&2; exit 2; }
	$(PY) -m autograder.staff.simulate --autograder $(DIST)/autograder.zip --submission "$(SUBMISSION)" \
		--results "$(or $(RESULTS),$(BUILD)/grade/results.json)" $(if $(filter 1 yes true,$(INSTRUCTOR)),--instructor --log)

grade-all: autograder ## grade a class: SUBMISSIONS=<export zip or folder> [OUT=dir] [JOBS=n] [FORCE=1] [COLD=1] [EXECUTOR=slurm SLURM_ARGS=.. SLURM_MAX=k]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade-all SUBMISSIONS=<Gradescope export zip or folder> [OUT=dir] [JOBS=n] [FORCE=1] [COLD=1] [BEFORE_PUBLISH=1] [ASSIGNMENT=...] [EXECUTOR=local|slurm] [SLURM_ARGS='--partition=... --time=...'] [SLURM_MAX=k] [SLURM_SHARD=n] [SLURM_HOME=dir]" >&2; exit 2; }
	$(PY) -m autograder.staff.batch --autograder $(DIST)/autograder.zip --submissions "$(SUBMISSIONS)" \
		--out "$(or $(OUT),$(BUILD)/grade-all)" $(if $(JOBS),--jobs $(JOBS)) $(if $(filter 1 yes true,$(FORCE)),--force) $(if $(filter 1 yes true,$(COLD)),--cold) \
		--executor $(EXECUTOR) $(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)") $(if $(SLURM_MAX),--slurm-max $(SLURM_MAX)) \
		$(if $(SLURM_SHARD),--slurm-shard-size $(SLURM_SHARD)) $(if $(SLURM_HOME),--slurm-home "$(SLURM_HOME)") \
		$(if $(filter 1 yes true,$(BEFORE_PUBLISH)),--feedback-before-publish)

# BENCH_SUBMISSIONS="name=path ...": more submissions to time beside the reference and the stubs.
BENCH_SUBMISSIONS ?= $(if $(IS_DEFAULT),naive=tests/naive)
bench-grade: student autograder ## time `make grade` (reference, stubs, BENCH_SUBMISSIONS) on one core
	$(PY) -m autograder.staff.bench_grade --assignment $(ASSIGNMENT) --student-release $(STUDENT_OUT) \
		--autograder $(DIST)/autograder.zip --json $(BUILD)/bench-grade.json $(BENCH_SUBMISSIONS)

bench-grade-all: autograder ## grade a mixed class of 100 with grade-all: submissions per minute, peak memory [COLD=1]
	@test -n "$(IS_DEFAULT)" || { echo "make bench-grade-all: its synthetic class (tests/fabricate.py, tests/buggy.py) is made of variants of the default assignment's reference; $(ASSIGNMENT) has none. Time a real export with make grade-all instead." >&2; exit 2; }
	$(PY) tests/bench_batch.py --count 100 --autograder $(DIST)/autograder.zip $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(filter 1 yes true,$(COLD)),--cold)

bench-feedback: student ## grade every realistic bug on Gradescope's path and locally (SET=tests/unseen_bugs [PART=held-out]: a set written by others): causes named, wrong, silent; no hint on correct code
	@test -n "$(IS_DEFAULT)" || { echo "make bench-feedback: its bugs (tests/realistic_bugs.py, tests/mistaken.py, tests/buggy.py) are variants of the default assignment's reference" >&2; exit 2; }
	$(PY) -m tests.bench_feedback $(if $(JOBS),--jobs $(JOBS)) $(if $(SET),--set $(SET) --part $(or $(PART),all)) --json $(BUILD)/bench-feedback.json

bench-slurm: autograder ## the same mixed class of COUNT (default 40) locally and through Slurm: per minute, overhead per task
	$(PY) tests/bench_slurm.py --count $(or $(COUNT),40) $(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)")

# The assignment's own benchmark, when its folder has bench/ (requirements.txt and one
# bench_*.py script), in its own venv, one thread per BLAS. OPENBLAS_CORETYPE/L2_SIZE,
# if the environment sets them, are unset for this command only: they make OpenBLAS
# pick a slower kernel than the CPU's own.
BENCH_DIR = $(dir $(ASSIGNMENT))bench
BENCH_SCRIPT = $(firstword $(wildcard $(BENCH_DIR)/bench_*.py))
BENCH_VENV = $(BUILD)/bench-venv
BENCH_REQS = $(BENCH_DIR)/requirements.txt $(if $(filter 1,$(BENCH_TORCH)),$(wildcard $(BENCH_DIR)/requirements-torch.txt))
bench: $(STAMP) ## the assignment's benchmark, from its bench/ folder (BENCH_TORCH=1: and PyTorch CPU)
	$(NEED_OUTPUTS)
	@test -n "$(BENCH_SCRIPT)" || { echo "make bench: $(BENCH_DIR)/ has no bench_*.py script: this assignment has no benchmark" >&2; exit 2; }
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		$$($(PY) -m autograder.build.layout --code-pins $(ASSIGNMENT)) $(addprefix -r ,$(BENCH_REQS))
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BENCH_VENV)/bin/python $(BENCH_SCRIPT) --out $(BUILD)/bench.json $(if $(filter 1,$(BENCH_TORCH)),,--no-torch)

# Mutation analysis (docs/mutants.md): every mutant of the reference graded like a submission.
MUTANTS_ARGS = --assignment $(ASSIGNMENT) --autograder $(DIST)/autograder.zip $(if $(MODULES),--modules $(MODULES)) \
	$(if $(SAMPLE),--sample $(SAMPLE)) $(if $(ONLY),--only $(ONLY))
mutants: autograder ## mutate the reference, grade every mutant, write report.md [JOBS=n] [OUT=dir] [MODULES=a,b] [SAMPLE=n] [ONLY=id,..]
	$(PY) -m autograder.staff.mutants $(MUTANTS_ARGS) --out "$(or $(OUT),$(BUILD)/mutants)" $(if $(JOBS),--jobs $(JOBS))

bench-mutants: autograder ## the whole mutation run from scratch on JOBS (default 2) workers; prints its time
	rm -rf $(BUILD)/bench-mutants
	$(PY) -m autograder.staff.mutants $(MUTANTS_ARGS) --out $(BUILD)/bench-mutants --jobs $(or $(JOBS),2)

release: $(STAMP) ## check the assignment, build every artifact, grade the reference (100) and the stubs (0)
	$(NEED_OUTPUTS)
	$(PY) -m autograder.build.release --assignment $(ASSIGNMENT) --student-release $(STUDENT_OUT) --dist $(DIST)

new-assignment: $(STAMP) ## start an assignment: NAME=<name> [DIR=assignments/<name>]
	@test -n "$(NAME)" || { echo "usage: make new-assignment NAME=<python identifier> [DIR=folder]" >&2; exit 2; }
	$(PY) -m autograder.staff.scaffold --name "$(NAME)" $(if $(DIR),--dir "$(DIR)")

clean: ## remove build outputs and the virtualenv
	rm -rf build dist $(VENV) .pytest_cache
