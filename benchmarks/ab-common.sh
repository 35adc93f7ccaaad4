# Sourced by the scripts that compare a base commit's build with the current tree's (telemetry-cost.sh,
# enqueue-ab.sh): a temporary work folder removed on exit with the base commit's worktree, and a Release build that
# leaves no build server or MSBuild node behind. Call ab_begin NAME first; the folder is then "$work". The callers
# define usage() before sourcing this.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ab_begin() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/sqlitequeue-$1.XXXXXX")"
  trap ab_cleanup EXIT
}

ab_cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}

build() {
  local project="$1" log="$2"
  if ! dotnet build -c Release "$project" -nodeReuse:false -p:UseSharedCompilation=false >"$log" 2>&1; then
    echo "build of $project failed; its last lines:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# Every argument must be a positive whole number.
ab_positive() {
  local n
  for n in "$@"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "not a positive number: $n" >&2; usage; }
  done
}

# Sets base_commit to the full id of the commit named $1, or stops.
ab_base_commit() {
  base_commit="$(git rev-parse --verify --quiet "$1^{commit}")" || { echo "no such commit: $1" >&2; exit 2; }
}
