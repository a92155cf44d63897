#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `make test-slurm` and `make bench-slurm`:
# installs Debian's slurm-wlm and munge (once), writes a minimal slurm.conf for this
# host with all its CPUs, starts munged, slurmctld and slurmd, and waits until sinfo
# shows the node idle. Idempotent: a cluster that already answers is left as it is.
# Needs root (it installs packages and starts daemons). No cgroups, no accounting
# database: it works inside a container.
set -euo pipefail

CONF_DIR=/etc/slurm
STATE=/var/spool/slurm
HOST="$(hostname -s)"
CPUS="$(nproc)"

if [ "$(id -u)" != 0 ]; then
  echo "start_cluster.sh: run as root (it installs slurm-wlm and starts its daemons)" >&2
  exit 2
fi

if sinfo --noheader --format=%T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
  echo "Slurm already answers: $(sinfo --noheader --format='%N %C %T')"
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: one key, daemon running.
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged --force
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" /var/log/slurm
cat > "$CONF_DIR/slurm.conf" <<EOF
# One node on localhost, written by tests/slurm/start_cluster.sh.
ClusterName=grader
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# No cgroups in a container: track processes by parentage, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
# Quick turnaround for short tasks, and finished jobs stay visible for a while.
SchedulerParameters=sched_interval=2
MinJobAge=600
KillWait=5
MaxArraySize=10001
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

for _ in $(seq 120); do
  state="$(sinfo --noheader --format=%T 2>/dev/null | head -1 || true)"
  case "$state" in
    idle|mixed|allocated) echo "Slurm is up: $(sinfo --noheader --format='%N %C %T')"; exit 0 ;;
    down*|drain*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.5
done
echo "start_cluster.sh: the node did not become idle; see /var/log/slurm/" >&2
sinfo >&2 || true
exit 1
