#!/usr/bin/env bash
# Start or stop a Docker daemon for the real-container tests (make test-docker), as root:
# no network set up at all (no bridge, no iptables rules, no masquerading), so the only
# networks are `none` (every grading) and `host` (the image's build step, for pip).
#   tests/container/dockerd.sh start   # returns once the daemon answers; log in build/container/dockerd.log
#   tests/container/dockerd.sh stop    # stops the daemon this script started (by its pid file)
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE=build/container
PIDFILE="$STATE/dockerd.pid"
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER="$(command -v docker || true)"
mkdir -p "$STATE"

case "${1:-}" in
  start)
    if [ -n "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then
      echo "dockerd.sh: a Docker daemon already answers; using it"
      exit 0
    fi
    command -v dockerd >/dev/null || { echo "dockerd.sh: no dockerd: apt-get install docker.io mmdebstrap" >&2; exit 2; }
    dockerd --bridge=none --iptables=false --ip-masq=false >"$STATE/dockerd.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 60); do
      if "$DOCKER" info >/dev/null 2>&1; then echo "dockerd.sh: daemon $(cat "$PIDFILE") started"; exit 0; fi
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
      sleep 1
    done
    echo "dockerd.sh: the daemon did not start; its log ($STATE/dockerd.log) ends:" >&2
    tail -20 "$STATE/dockerd.log" >&2
    exit 1
    ;;
  stop)
    [ -f "$PIDFILE" ] || { echo "dockerd.sh: no daemon of ours to stop"; exit 0; }
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
    echo "dockerd.sh: daemon $pid stopped"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
