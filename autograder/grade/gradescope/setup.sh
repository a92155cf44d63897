#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu
# 22.04, python3 = 3.10). pip only: a venv outside the source folder (the student's
# process must be able to run its Python, and must not read the source folder).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${GRADER_VENV:-/opt/grader-venv}"
PYTHON="${GRADER_PYTHON:-python3}"
STAMP="$VENV/.requirements-$(cksum < "$SOURCE/requirements.txt" | cut -d' ' -f1)"

if [ ! -f "$STAMP" ]; then
  if ! "$PYTHON" -m venv "$VENV"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      rm -rf "$VENV" && "$PYTHON" -m venv "$VENV"
    else
      echo "setup.sh: cannot create a virtualenv with $PYTHON (install python3-venv)" >&2
      exit 1
    fi
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir -r "$SOURCE/requirements.txt"
  touch "$STAMP"
fi
chmod -R a+rX "$VENV"
# Bytecode for the grader, the graders and the reference, once here: run_autograder
# runs Python with -B (it writes none), so each submission would compile them again.
"$VENV/bin/python" -m compileall -q "$SOURCE" >/dev/null
# And pytest's bytecode of the graders (asserts rewritten), which it reads under -B but
# never writes; -E: a PYTHONDONTWRITEBYTECODE in the environment would prevent it too.
if ! collected="$(cd "$SOURCE" && "$VENV/bin/python" -E -m autograder.grade.runner --compile-tests "$SOURCE" 2>&1)"; then
  printf '%s\n' "$collected" >&2
  echo "setup.sh: the graders could not be collected (above); each grading will compile them again" >&2
fi

if [ "$(id -u)" = 0 ]; then
  # The student's code runs as this user: it may read the venv, not the source.
  # Its uid is drawn at random far above the system's and the usual users' (not the
  # 999 that every image's first system user gets): containers share the host's kernel
  # and, without a user namespace, its uids, so a uid of the host's (or of another
  # image's sandbox) would share its RLIMIT_NPROC count and be reached by its signals.
  if ! id grader-sandbox >/dev/null 2>&1; then
    uid=""
    for _ in 1 2 3 4 5 6 7 8; do
      candidate=$((200000 + (RANDOM * 32768 + RANDOM) % 1800000))
      if ! getent passwd "$candidate" >/dev/null && ! getent group "$candidate" >/dev/null; then
        uid="$candidate"
        break
      fi
    done
    if [ -n "$uid" ]; then
      groupadd --system --gid "$uid" grader-sandbox
      useradd --system --no-log-init --uid "$uid" --gid grader-sandbox --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin grader-sandbox
    else
      useradd --system --no-log-init --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group grader-sandbox
    fi
  fi
  chown -R root:root "$SOURCE"
  chmod -R go-rwx "$SOURCE"
fi
