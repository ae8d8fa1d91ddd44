#!/usr/bin/env bash
# The PlanetLab consolidation study (Beloglazov & Buyya, CCPE 2012): the 15 policy pairs
# (overload detectors THR, IQR, MAD, LR, LRR x VM selections MMT, RS, MC, each detector
# with the paper's safety parameter) on the 10 days of PlanetLab traces, then the
# comparison table and charts (energy and SLAV per policy).
#
#   scripts/planetlab-study.sh            # the 150 runs, two at a time
#   JOBS=4 DATA=/path/to/planetlab-cloudsim OUT=results/study scripts/planetlab-study.sh
#   EXTRA=1 scripts/planetlab-study.sh    # also THR-MMT-1.0 (the paper's extra row)
#   PASSES="--set workloads[0].trace.on_idle=end" scripts/planetlab-study.sh
#                                         # end VMs that read 0 %, as CloudSim does
#
# DATA is the folder with csv/<day>.csv (the shared copy of CloudSim's traces); each day
# is imported once with `pacsim trace import`. Every run is
#   pacsim run scenarios/examples/planetlab-consolidation.yaml \
#     --set clusters[0].consolidation.detector=<d> \
#     --set clusters[0].consolidation.selection=<s> \
#     --set workloads[0].trace.file=<day's canonical trace>
# into $OUT/runs/<DETECTOR>-<SELECTION>-<safety>/<day>/, and `pacsim tabulate` writes
# $OUT/comparison.md, comparison.csv and plots/. The run phase is timed.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/planetlab-cloudsim}
OUT=${OUT:-results/planetlab-study}
JOBS=${JOBS:-2}
PASSES=${PASSES:-}
PACSIM=./target/release/pacsim

cargo build --release --quiet
mkdir -p "$OUT/traces" "$OUT/runs"
for f in "$DATA"/csv/*.csv; do
  day=$(basename "$f" .csv)
  [ -s "$OUT/traces/$day.csv" ] || "$PACSIM" trace import --format planetlab "$f" -o "$OUT/traces/$day.csv" -q
done

safety() { case $1 in thr) echo 0.8 ;; iqr) echo 1.5 ;; mad) echo 2.5 ;; lr|lrr) echo 1.2 ;; esac; }
list="$OUT/runs.txt"
: > "$list"
for det in thr iqr mad lr lrr; do
  for sel in mmt rs mc; do
    for t in "$OUT"/traces/*.csv; do
      echo "$det $sel $(safety $det) $(realpath "$t")" >> "$list"
    done
  done
done
if [ "${EXTRA:-0}" = 1 ]; then
  for t in "$OUT"/traces/*.csv; do echo "thr mmt 1.0 $(realpath "$t")" >> "$list"; done
fi

run_one() {
  det=$1 sel=$2 s=$3 trace=$4
  day=$(basename "$trace" .csv)
  label=$(echo "$det-$sel" | tr a-z A-Z)-$s
  "$PACSIM" run scenarios/examples/planetlab-consolidation.yaml --no-plots -q \
    --out "$OUT/runs/$label/$day" \
    --set "clusters[0].consolidation.detector=$det" \
    --set "clusters[0].consolidation.selection=$sel" \
    --set "clusters[0].consolidation.safety=$s" \
    --set "workloads[0].trace.file=$trace" $PASSES
}
export -f run_one
export PACSIM OUT PASSES
echo "$(wc -l < "$list") runs, $JOBS at a time"
start=$(date +%s.%N)
xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' _ < "$list"
end=$(date +%s.%N)
echo "runs took $(echo "$end - $start" | bc) s of wall time"
"$PACSIM" tabulate "$OUT/runs" --out "$OUT"
