# Sourced by the scripts that compare a base commit's build with the current tree's (telemetry-cost.sh,
# enqueue-ab.sh): a temporary work folder removed on exit with the base commit's worktree, and a Release build that
# leaves no build server or MSBuild node behind. Call ab_begin NAME first; the folder is then "$work".

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
