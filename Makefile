# convnet-grader: every release artifact is built from solutions/ and assignment/.
# `make release` builds everything; `make test` runs the project's tests.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install test student release clean

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
	$(PY) -m autograder.build_student --assignment assignment/assignment.yaml --out student_template --zip dist/student.zip

release: student ## build every artifact and check it
	$(PY) -m autograder.selfcheck --assignment assignment/assignment.yaml --student-release student_template

clean: ## remove build outputs and the virtualenv
	rm -rf build dist $(VENV) .pytest_cache
