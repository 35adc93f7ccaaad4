#!/usr/bin/env bash
# What the library's telemetry costs the end-to-end drain, in one run: builds the benchmarks of a commit from before
# the telemetry (checked out in a temporary git worktree) and of the current tree, both in Release, then runs
# `peer-drain` of the same size round after round: the old build, the new build with no listener, the new build with
# the OpenTelemetry SDK (and, with --listener, the new build with bare ActivityListener and MeterListener). The order
# turns each round, so a machine that speeds up or slows down during the run weighs on every variant alike. Each run
# is its own process. Prints every run, then a table of medians and their ratios to the old build.
#
# usage: benchmarks/telemetry-cost.sh [--base COMMIT] [--jobs N] [--rounds N] [--concurrency N] [--listener]
#   --base         the commit before the telemetry (default 61c6b5c)
#   --jobs         jobs per drain (default 20000)
#   --rounds       runs of each variant (default 5)
#   --concurrency  the hosted worker's concurrency (default 4)
#   --listener     also run the new build with bare listeners
set -euo pipefail
cd "$(dirname "$0")/.."

base=61c6b5c
jobs=20000
rounds=5
concurrency=4
variants=(old none otel)
usage() { sed -n '9,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --base) [ $# -ge 2 ] || usage; base="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
    --rounds) [ $# -ge 2 ] || usage; rounds="$2"; shift 2 ;;
    --concurrency) [ $# -ge 2 ] || usage; concurrency="$2"; shift 2 ;;
    --listener) variants=(old none listener otel); shift ;;
    *) usage ;;
  esac
done
# shellcheck source=ab-common.sh
source "benchmarks/ab-common.sh"
ab_positive "$jobs" "$rounds" "$concurrency"
ab_base_commit "$base"
ab_begin telemetry-cost

echo "building ${base_commit:0:7} (before) in a temporary worktree, and the current tree ..."
git worktree add --detach --quiet "$work/base" "$base_commit"
build "$work/base/benchmarks/SqliteQueue.Benchmarks" "$work/build-old.log"
build benchmarks/SqliteQueue.Benchmarks "$work/build-new.log"
old_dll="$work/base/benchmarks/SqliteQueue.Benchmarks/bin/Release/net10.0/SqliteQueue.Benchmarks.dll"
new_dll="benchmarks/SqliteQueue.Benchmarks/bin/Release/net10.0/SqliteQueue.Benchmarks.dll"

head_commit="$(git rev-parse --short HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  head_commit="$head_commit with uncommitted changes"
fi
echo "peer-drain: $jobs jobs, concurrency $concurrency, $rounds rounds; before = ${base_commit:0:7}, after = $head_commit; $(nproc) cores"

describe() {
  case "$1" in
    old) echo "before (${base_commit:0:7})" ;;
    none) echo "after, no listener" ;;
    listener) echo "after, ActivityListener + MeterListener" ;;
    otel) echo "after, OpenTelemetry SDK" ;;
  esac
}

run() {
  local variant="$1" round="$2" output rate
  case "$variant" in
    old) output="$(dotnet "$old_dll" peer-drain "$jobs" "$concurrency")" ;;
    *) output="$(dotnet "$new_dll" peer-drain "$jobs" "$concurrency" --telemetry "$variant")" ;;
  esac
  # The figure is printed with the current culture's digit grouping; only its digits are kept.
  rate="$(printf '%s\n' "$output" | sed -n "s/^W2 drain, concurrency $concurrency: \([^ ]*\) jobs\/s.*/\1/p" | tr -cd '0-9')"
  if [ -z "$rate" ]; then
    echo "round $round, $(describe "$variant"): no drain figure in its output:" >&2
    printf '%s\n' "$output" >&2
    exit 1
  fi
  echo "$rate" >>"$work/$variant.rates"
  printf 'round %d  %-40s %8d jobs/s\n' "$round" "$(describe "$variant")" "$rate"
}

count=${#variants[@]}
for ((round = 1; round <= rounds; round++)); do
  for ((i = 0; i < count; i++)); do
    run "${variants[$(((i + round - 1) % count))]}" "$round"
  done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
old_median="$(median "$work/old.rates")"
echo
echo "| Variant | Runs (jobs/s) | Median jobs/s | Ratio to before |"
echo "|---|---|---:|---:|"
for variant in "${variants[@]}"; do
  m="$(median "$work/$variant.rates")"
  runs="$(paste -sd/ "$work/$variant.rates" | sed 's|/| / |g')"
  awk -v name="$(describe "$variant")" -v runs="$runs" -v m="$m" -v o="$old_median" \
    'BEGIN { printf "| %s | %s | %.0f | %.2f |\n", name, runs, m, m / o }'
done
echo
echo "Ratio to before: the variant's median throughput over the old build's; below 1.00 is slower."
