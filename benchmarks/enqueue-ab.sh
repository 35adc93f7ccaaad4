#!/usr/bin/env bash
# The one-job enqueue (W1) of two builds, in one run: builds the benchmarks of a base commit (checked out in a
# temporary git worktree, with this tree's benchmark sources laid over it, so both run the same measurement) and of
# the current tree, both in Release, then runs `peer-w1 JOBS 1` round after round, the old build and the new one in
# turn (the order turns each round). Each run is its own process and measures, on new files, the queue and its
# baselines, interleaved in blocks: Microsoft.Data.Sqlite, and the bare C API through SQLitePCLRaw on a plain file and
# with the queue's settings (its file, page cache and checkpoints on another connection). Prints every run, then a table of medians: jobs/s and bytes
# allocated per enqueue, with the ratios to the old build and to the C API.
#
# usage: benchmarks/enqueue-ab.sh [--base COMMIT] [--jobs N] [--rounds N]
#   --base    the commit to compare against (default: main)
#   --jobs    jobs per run (default 20000)
#   --rounds  runs of each build (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."

base=main
jobs=20000
rounds=7
usage() { sed -n '10,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --base) [ $# -ge 2 ] || usage; base="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
    --rounds) [ $# -ge 2 ] || usage; rounds="$2"; shift 2 ;;
    *) usage ;;
  esac
done
# shellcheck source=ab-common.sh
source "benchmarks/ab-common.sh"
ab_positive "$jobs" "$rounds"
ab_base_commit "$base"
ab_begin enqueue-ab

echo "building ${base_commit:0:7} (before) in a temporary worktree, and the current tree ..."
git worktree add --detach --quiet "$work/base" "$base_commit"
rm -rf "$work/base/benchmarks/SqliteQueue.Benchmarks"
cp -r benchmarks/SqliteQueue.Benchmarks "$work/base/benchmarks/"
rm -rf "$work/base/benchmarks/SqliteQueue.Benchmarks/bin" "$work/base/benchmarks/SqliteQueue.Benchmarks/obj"
build "$work/base/benchmarks/SqliteQueue.Benchmarks" "$work/build-old.log"
build benchmarks/SqliteQueue.Benchmarks "$work/build-new.log"
old_dll="$work/base/benchmarks/SqliteQueue.Benchmarks/bin/Release/net10.0/SqliteQueue.Benchmarks.dll"
new_dll="benchmarks/SqliteQueue.Benchmarks/bin/Release/net10.0/SqliteQueue.Benchmarks.dll"

head_commit="$(git rev-parse --short HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  head_commit="$head_commit with uncommitted changes"
fi
echo "peer-w1: $jobs jobs, $rounds rounds; before = ${base_commit:0:7}, after = $head_commit; $(nproc) cores"

# One figure of a run's output: the "round 1 NAME  RATE jobs/s  BYTES B/job" line; field 1 the rate, 2 the bytes.
figure() {
  printf '%s\n' "$1" | grep "^round 1 $2 " | sed 's/.* \([0-9,]*\) jobs\/s *\([0-9,]*\) B\/job.*/\1 \2/' | tr -d ','
}

run() {
  local build="$1" round="$2" output dll
  [ "$build" = old ] && dll="$old_dll" || dll="$new_dll"
  output="$(dotnet "$dll" peer-w1 "$jobs" 1)"
  for variant in queue "Microsoft.Data.Sqlite" "C API" "C API, queue's settings"; do
    read -r rate bytes <<<"$(figure "$output" "$variant")"
    if [ -z "${rate:-}" ]; then
      echo "round $round, $build: no $variant figure in its output:" >&2
      printf '%s\n' "$output" >&2
      exit 1
    fi
    key="$build-$(printf '%s' "$variant" | tr -cd 'A-Za-z')"
    echo "$rate" >>"$work/$key.rates"
    echo "$bytes" >>"$work/$key.bytes"
    printf 'round %d  %-4s %-24s %8d jobs/s %7d B/job\n' "$round" "$build" "$variant" "$rate" "$bytes"
  done
  # The queue's rate over each C API's, measured in the same process, block by block.
  printf '%s\n' "$output" | sed -n 's/^W1 ratio queue\/C API[^:]*: \([0-9.]*\) (against[^:]*: \([0-9.]*\))$/\1 \2/p' >"$work/ratios"
  read -r plain settings <"$work/ratios"
  echo "$plain" >>"$work/$build-ratio-plain"
  echo "$settings" >>"$work/$build-ratio-settings"
  printf 'round %d  %-4s queue/C API in this process %s, with the queue'"'"'s settings %s\n' "$round" "$build" "$plain" "$settings"
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then run old "$round"; run new "$round"; else run new "$round"; run old "$round"; fi
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cat "$work"/old-CAPI.rates "$work"/new-CAPI.rates >"$work/CAPI.rates"
cat "$work"/old-CAPIqueuessettings.rates "$work"/new-CAPIqueuessettings.rates >"$work/CAPIaside.rates"
capi="$(median "$work/CAPI.rates")"
aside="$(median "$work/CAPIaside.rates")"
old_q="$(median "$work/old-queue.rates")"
echo
echo "| Variant | Runs (jobs/s) | Median jobs/s | Median B/enqueue | Ratio to before | Ratio to C API | Ratio to C API, queue's settings |"
echo "|---|---|---:|---:|---:|---:|---:|"
row() {
  local name="$1" key="$2" rates="$work/$2.rates" m b runs
  m="$(median "$rates")"
  b="$(median "$work/$key.bytes")"
  runs="$(paste -sd/ "$rates" | sed 's|/| / |g')"
  awk -v name="$name" -v runs="$runs" -v m="$m" -v b="$b" -v o="$old_q" -v c="$capi" -v a="$aside" \
    'BEGIN { printf "| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f |\n", name, runs, m, b, m / o, m / c, m / a }'
}
row "queue, before (${base_commit:0:7})" old-queue
row "queue, after ($head_commit)" new-queue
row "Microsoft.Data.Sqlite, prepared (old build's runs)" old-MicrosoftDataSqlite
row "Microsoft.Data.Sqlite, prepared (new build's runs)" new-MicrosoftDataSqlite
row "C API (old build's runs)" old-CAPI
row "C API (new build's runs)" new-CAPI
row "C API, queue's settings (old build's runs)" old-CAPIqueuessettings
row "C API, queue's settings (new build's runs)" new-CAPIqueuessettings
echo
echo "| Build | queue/C API, each run (same process) | Median | queue/C API with the queue's settings, each run | Median |"
echo "|---|---|---:|---|---:|"
for build in old new; do
  awk -v name="$build" -v a="$(paste -sd/ "$work/$build-ratio-plain" | sed 's|/| / |g')" -v am="$(median "$work/$build-ratio-plain")" \
    -v b="$(paste -sd/ "$work/$build-ratio-settings" | sed 's|/| / |g')" -v bm="$(median "$work/$build-ratio-settings")" \
    'BEGIN { printf "| %s | %s | %.2f | %s | %.2f |\n", name, a, am, b, bm }'
done
echo
echo "C API medians over all $((2 * rounds)) runs: $capi jobs/s; with the queue's settings $aside jobs/s."
echo "Ratios: the row's median jobs/s over the old queue's, and over those two."
