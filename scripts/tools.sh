#!/usr/bin/env bash
# Builds the real servers ferry is tested against from pinned Go modules, once per machine.
#
#   scripts/tools.sh [TOOL ...]     TOOL: temporal (default), minio, ais, aisnode, all
#
# Binaries are cached per tool and version in the user's cache directory
# ($FERRY_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/ferry/tools/<tool>-<version>/), so a fresh clone
# on the same machine finds them without rebuilding, and linked into the git-ignored .tools/bin of this
# working tree. Re-running is cheap: a tool whose pinned version is already built is skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FERRY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/tools}"
BIN="$ROOT/.tools/bin"

# --- pins: tool -> "module@version binary" -------------------------------------------------------------
# Temporal CLI: v1.5.1 is the newest tag that builds here. Every tag from v1.6.0 on requires
# github.com/temporalio/cli/cliext through a `replace => ./cliext` directive; that nested module is not in
# the parent module's zip and the module proxy reachable from these machines refuses it (403), so even a
# wrapper module cannot supply it without vendoring foreign source.
declare -A PIN=(
  [temporal]="github.com/temporalio/cli/cmd/temporal@v1.5.1 temporal"
)
# Release builds stamp their version with -ldflags; `go install` alone would report 0.0.0-DEV.
declare -A LDFLAGS=(
  [temporal]="-X github.com/temporalio/cli/temporalcli.Version=1.5.1"
)

log() { printf 'tools: %s\n' "$*" >&2; }

build_one() {
  local tool="$1"
  local spec="${PIN[$tool]:-}"
  if [[ -z "$spec" ]]; then
    log "unknown tool '$tool' (known: ${!PIN[*]})"
    exit 2
  fi
  local modver="${spec%% *}" binary="${spec##* }"
  local version="${modver##*@}"
  local dest="$CACHE/$tool-$version"
  mkdir -p "$BIN"
  if [[ -x "$dest/bin/$binary" ]]; then
    log "$tool $version: cached at $dest/bin/$binary"
  else
    if ! command -v go >/dev/null 2>&1; then
      log "Go is required to build $tool $version (go install $modver) but 'go' is not on PATH."
      log "Install Go >= 1.25 (https://go.dev/dl/), or point TEMPORAL_ADDRESS at an existing Temporal server."
      exit 3
    fi
    log "$tool $version: building with 'go install $modver' (first time on this machine; takes minutes)"
    local start=$SECONDS tmp
    mkdir -p "$CACHE"
    tmp="$(mktemp -d "$CACHE/.build-$tool.XXXXXX")"
    # CGO off: static binaries that do not depend on this machine's libc.
    if ! GOBIN="$tmp/bin" CGO_ENABLED=0 go install -trimpath -ldflags "${LDFLAGS[$tool]:-}" "$modver"; then
      rm -rf "$tmp"
      log "$tool $version: 'go install $modver' failed (see above)"
      exit 4
    fi
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$tmp" "$dest" # atomic on one filesystem: a half-built tool is never mistaken for a cached one
    log "$tool $version: built in $((SECONDS - start))s -> $dest/bin/$binary"
  fi
  ln -sfn "$dest/bin/$binary" "$BIN/$binary"
}

tools=("$@")
[[ ${#tools[@]} -eq 0 ]] && tools=(temporal)
if [[ "${tools[0]}" == all ]]; then tools=("${!PIN[@]}"); fi
for t in "${tools[@]}"; do build_one "$t"; done
