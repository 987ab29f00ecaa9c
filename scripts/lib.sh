# Shared by scripts/*.sh: install what is missing, configure and build. Source it; do not run it.
# LEADSYNC_BUILD_DIR (default build/) and LEADSYNC_BUILD_TYPE (default Debug) may be set by the caller;
# LEADSYNC_BUILD_TARGETS (default: all) names the targets to build.

LEADSYNC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEADSYNC_BUILD_DIR="${LEADSYNC_BUILD_DIR:-$LEADSYNC_ROOT/build}"
LEADSYNC_BUILD_TYPE="${LEADSYNC_BUILD_TYPE:-Debug}"

# ccache (installed by install-deps.sh) keeps rebuilds short. Paths under the checkout are hashed
# relative to it, so two clones of the same commit share their compiled objects.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$LEADSYNC_ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"

# leadsync_build [extra cmake configure arguments...]
leadsync_build() {
  "$LEADSYNC_ROOT/scripts/install-deps.sh"
  local generator=() launcher=() targets=()
  if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  if [ -n "${LEADSYNC_BUILD_TARGETS:-}" ]; then
    # shellcheck disable=SC2206 # a space-separated list of target names
    targets=(--target ${LEADSYNC_BUILD_TARGETS})
  fi
  if [ ! -f "$LEADSYNC_BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$LEADSYNC_ROOT" -B "$LEADSYNC_BUILD_DIR" "${generator[@]}" "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE="$LEADSYNC_BUILD_TYPE" -DLEADSYNC_BUILD_TESTS=ON "$@"
  fi
  cmake --build "$LEADSYNC_BUILD_DIR" --parallel "$(nproc)" "${targets[@]}"
}

# The same, quietly: the build's output goes to a log file, whose end is shown if the build fails.
leadsync_build_quietly() {
  local log="$LEADSYNC_BUILD_DIR.log"
  echo "Building leadsync (first time: several minutes; log in $log)..."
  if ! leadsync_build >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "error: the build failed; the whole log is $log" >&2
    return 1
  fi
}
