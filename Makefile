# convnet-grader: every release artifact is built from solutions/ and assignment/.
# `make release` builds everything; `make test` runs the project's tests.

PYTHON ?= python3
ASSIGNMENT ?= assignment/assignment.yaml
RESULTS ?= build/grade/results.json
OUT ?= build/grade-all
EXECUTOR ?= local
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install test test-docker-like test-slurm student autograder grade grade-all bench-grade bench-grade-all bench-slurm bench release clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv from the pinned requirements

test: $(STAMP) ## run the project's tests
	$(PY) -m pytest

# The tests that grade through the sandbox, with the whole pytest process inside a
# confinement like Gradescope's Docker container (root with Docker's default
# capabilities and seccomp profile: no namespaces; read-only cgroups). See tests/docker_like.py.
DOCKER_LIKE_TESTS ?= tests/test_hostile.py tests/test_isolation.py tests/test_grading.py
test-docker-like: $(STAMP) ## run the sandbox's tests as in Gradescope's container (root, Docker's defaults)
	$(PY) tests/docker_like.py -- $(PY) -m pytest $(DOCKER_LIKE_TESTS)

test-slurm: $(STAMP) ## start a one-node Slurm cluster here (root) and run the tests marked slurm
	tests/slurm/start_cluster.sh
	$(PY) -m pytest -m slurm tests/test_slurm.py

student: $(STAMP) ## regenerate student_template/ and dist/student.zip
	$(PY) -m autograder.build_student --assignment $(ASSIGNMENT) --out student_template --zip dist/student.zip

autograder: $(STAMP) ## build dist/autograder.zip for Gradescope
	$(PY) -m autograder.build_autograder --assignment $(ASSIGNMENT) --zip dist/autograder.zip

grade: autograder ## grade SUBMISSION=<dir or zip> as Gradescope would [RESULTS=path]
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=<folder or zip> [RESULTS=$(RESULTS)]" >&2; exit 2; }
	$(PY) -m autograder.simulate --submission "$(SUBMISSION)" --results "$(RESULTS)"

grade-all: autograder ## grade a class: SUBMISSIONS=<export zip or folder> [OUT=dir] [JOBS=n] [FORCE=1] [EXECUTOR=slurm SLURM_ARGS=.. SLURM_MAX=k]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade-all SUBMISSIONS=<Gradescope export zip or folder> [OUT=$(OUT)] [JOBS=n] [FORCE=1] [EXECUTOR=local|slurm] [SLURM_ARGS='--partition=... --time=...'] [SLURM_MAX=k] [SLURM_SHARD=n] [SLURM_HOME=dir]" >&2; exit 2; }
	$(PY) -m autograder.batch --submissions "$(SUBMISSIONS)" --out "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(filter 1 yes true,$(FORCE)),--force) \
		--executor $(EXECUTOR) $(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)") $(if $(SLURM_MAX),--slurm-max $(SLURM_MAX)) \
		$(if $(SLURM_SHARD),--slurm-shard-size $(SLURM_SHARD)) $(if $(SLURM_HOME),--slurm-home "$(SLURM_HOME)")

bench-grade: autograder ## time `make grade` (reference, naive loops, stubs) on one core
	$(PY) -m autograder.bench_grade reference=solutions naive=tests/naive stubs=student_template/convnet

bench-grade-all: autograder ## grade a mixed class of 100 with grade-all: submissions per minute, peak memory
	$(PY) tests/bench_batch.py --count 100 $(if $(JOBS),--jobs $(JOBS))

bench-slurm: autograder ## the same mixed class of COUNT (default 40) locally and through Slurm: per minute, overhead per task
	$(PY) tests/bench_slurm.py --count $(or $(COUNT),40) $(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)")

# The kernels' benchmark runs in its own venv (numpy as pinned here, threadpoolctl;
# torch too with BENCH_TORCH=1), one thread per BLAS. OPENBLAS_CORETYPE/L2_SIZE, if the
# environment sets them, are unset for this command only: they make OpenBLAS pick a
# slower kernel than the CPU's own, and the report names the kernel that ran.
BENCH_VENV := build/bench-venv
BENCH_REQS := assignment/bench/requirements.txt $(if $(filter 1,$(BENCH_TORCH)),assignment/bench/requirements-torch.txt)
bench: ## time loop vs fast kernels (BENCH_TORCH=1: and PyTorch CPU); writes build/bench.json
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$$(grep -E '^numpy==' requirements.txt)" $(addprefix -r ,$(BENCH_REQS))
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BENCH_VENV)/bin/python assignment/bench/bench_kernels.py --out build/bench.json $(if $(filter 1,$(BENCH_TORCH)),,--no-torch)

release: student autograder ## build every artifact, grade the reference (100) and the stubs (0)
	$(PY) -m autograder.release --assignment $(ASSIGNMENT) --student-release student_template --dist dist

clean: ## remove build outputs and the virtualenv
	rm -rf build dist $(VENV) .pytest_cache
