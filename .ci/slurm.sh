#!/usr/bin/env bash
# A sweep on a real Slurm cluster: Debian's slurmctld, slurmd and munge run as a
# single-node cluster on localhost (no cgroups: proctrack/linuxproc, task/none), a small
# sweep runs as a job array (one run per array task, from SLURM_ARRAY_TASK_ID) with
# `sbatch --wait`, and its merged CSVs must be byte-identical to a local `--all` run's.
# Everything lives in one temporary folder; the daemons are stopped by their pids and the
# folder removed on the way out, whatever happens. Skips (exit 0) only when the packages
# cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACSIM=${PACSIM:-$PWD/target/release/pacsim}
SWEEP=scenarios/sweeps/small.yaml

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurmctld, slurmd, slurm-client and munge"
  log=$(mktemp)
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    slurmctld slurmd slurm-client munge; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rm -f "$log"
    echo "SKIP: the Slurm test needs slurmctld, slurmd, slurm-client and munge, and they cannot be installed here"
    exit 0
  fi
  rm -f "$log"
fi

work=$(mktemp -d /tmp/pacsim-slurm.XXXXXX)
pids=()
cleanup() {
  local status=$?
  for f in slurmd slurmctld munged; do
    if [[ -s $work/$f.pid ]]; then
      local pid
      pid=$(cat "$work/$f.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [[ $status -ne 0 ]]; then
    for f in "$work"/*.log "$work"/out/*; do
      [[ -f $f ]] && { echo "--- $f"; tail -n 20 "$f"; }
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
chmod 700 "$work"
mkdir -p "$work/state" "$work/spool" "$work/out"

# munge: its own key and socket, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.sock" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munged.seed"

# Ports away from Slurm's defaults (6817/6818), so a real cluster on the machine is not
# disturbed.
port=$((20000 + RANDOM % 20000))
node=$(hostname -s)
cat >"$work/slurm.conf" <<EOF
ClusterName=pacsimci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
slurmctld -i
slurmd

echo "waiting for the Slurm node"
for i in $(seq 60); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [[ $state == idle* ]] && break
  if [[ $i -eq 60 ]]; then
    echo "the Slurm node did not come up (state: ${state:-none})" >&2
    exit 1
  fi
  sleep 0.5
done

runs=$("$PACSIM" sweep plan "$SWEEP" --count)
echo "sbatch --array=0-$((runs - 1)) --wait: $runs array tasks of $SWEEP"
started=$(date +%s%N)
sbatch --wait --quiet --array="0-$((runs - 1))" --cpus-per-task=1 \
  --output="$work/out/%A_%a.out" --chdir="$PWD" \
  --wrap="$PACSIM sweep run $SWEEP --out $work/array --quiet"
echo "the array finished in $((($(date +%s%N) - started) / 1000000)) ms"
"$PACSIM" sweep merge "$work/array" --no-plots --quiet

"$PACSIM" sweep run "$SWEEP" --all --out "$work/local" --quiet
"$PACSIM" sweep merge "$work/local" --no-plots --quiet

for f in sweep.csv sweep-summary.csv; do
  cmp "$work/array/$f" "$work/local/$f"
done
echo "Slurm: the job array's sweep.csv and sweep-summary.csv equal the local run's ($runs runs)"
