# convnet-grader: every release artifact is built from solutions/ and assignment/.
# `make release` builds everything; `make test` runs the project's tests.

PYTHON ?= python3
ASSIGNMENT ?= assignment/assignment.yaml
RESULTS ?= build/grade/results.json
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install test student autograder grade release clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv from the pinned requirements

test: $(STAMP) ## run the project's tests
	$(PY) -m pytest

student: $(STAMP) ## regenerate student_template/ and dist/student.zip
	$(PY) -m autograder.build_student --assignment $(ASSIGNMENT) --out student_template --zip dist/student.zip

autograder: $(STAMP) ## build dist/autograder.zip for Gradescope
	$(PY) -m autograder.build_autograder --assignment $(ASSIGNMENT) --zip dist/autograder.zip

grade: autograder ## grade SUBMISSION=<dir or zip> as Gradescope would [RESULTS=path]
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=<folder or zip> [RESULTS=$(RESULTS)]" >&2; exit 2; }
	$(PY) -m autograder.simulate --submission "$(SUBMISSION)" --results "$(RESULTS)"

release: student autograder ## build every artifact, grade the reference (100) and the stubs (0)
	$(PY) -m autograder.release --assignment $(ASSIGNMENT) --student-release student_template --dist dist

clean: ## remove build outputs and the virtualenv
	rm -rf build dist $(VENV) .pytest_cache
