#!/usr/bin/env bash
# Every paper experiment, longest first, then RESULTS.md.
#   bash benchmarks/experiments/run_all.sh --full            (about 2 hours of one core of a shared 2-core CPU)
#   bash benchmarks/experiments/run_all.sh --full --jobs 2   (experiments two at a time, one core each)
#   bash benchmarks/experiments/run_all.sh --smoke           (about a minute)
# cross_domain_transfer reads the base recipe's task folders (data/base) and its --full is the GPU-scale
# protocol (see its docstring).
# Finished runs are reused (runs/experiments/<mode>/...), so an interrupted call resumes where it stopped.
set -euo pipefail
mode="--full"
jobs=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --full | --smoke) mode="$1" ;;
        --jobs) jobs="${2:?--jobs needs a number}"; shift ;;
        *) echo "usage: run_all.sh [--full | --smoke] [--jobs N]" >&2; exit 2 ;;
    esac
    shift
done
[[ "${jobs}" =~ ^[1-9][0-9]*$ ]] || { echo "--jobs must be a positive integer, got ${jobs}" >&2; exit 2; }
cd "$(dirname "$0")/../.."
if [[ -z "${VIRTUAL_ENV:-}" && -f .venv/bin/activate ]]; then source .venv/bin/activate; fi
export OMP_NUM_THREADS=1 MODE="${mode}"
mkdir -p runs/experiments/logs
run_one() {
    echo "$(date -u +%H:%M:%S) $1 ${MODE}"
    python "benchmarks/experiments/$1.py" "${MODE}" > "runs/experiments/logs/$1${MODE}.log" 2>&1 \
        || { echo "$(date -u +%H:%M:%S) $1 FAILED (see runs/experiments/logs/$1${MODE}.log)"; return 1; }
    echo "$(date -u +%H:%M:%S) $1 done"
}
export -f run_one
status=0
printf '%s\n' tab5_invariant fig6_transfer fig3_equivariance images fig5_multitask c4_overconstrained \
    fig4_discovery tab1_pose tab2_traffic length_generalization cross_domain_transfer \
    | xargs -P "${jobs}" -I{} bash -c 'run_one {}' || status=1
python benchmarks/build_results.py
echo "$(date -u +%H:%M:%S) all done"
exit "${status}"
