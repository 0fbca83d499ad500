#!/usr/bin/env bash
# Builds the real servers ferry is tested against from pinned Go modules, once per machine.
#
#   scripts/tools.sh [TOOL ...]     TOOL: temporal (default), minio, aisnode, all
#
# Binaries are cached per tool and version in the user's cache directory
# ($FERRY_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/ferry/tools/<tool>-<version>/), so a fresh clone
# on the same machine finds them without rebuilding, and linked into the git-ignored .tools/bin of this
# working tree. Re-running is cheap: a tool whose pinned version is already built is skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FERRY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/tools}"
BIN="$ROOT/.tools/bin"

# --- pins: tool -> "module@version binary [link-name]" -------------------------------------------------------------
# Temporal CLI: v1.5.1 is the newest tag that builds here. Every tag from v1.6.0 on requires
# github.com/temporalio/cli/cliext through a `replace => ./cliext` directive; that nested module is not in
# the parent module's zip and the module proxy reachable from these machines refuses it (403), so even a
# wrapper module cannot supply it without vendoring foreign source.
#
# MinIO: the proxy serves exactly one version of github.com/minio/minio -- its @v/list names only this
# pseudo-version (commit of 2026-02-12). MinIO tags releases RELEASE.<date>, which is not semver, so a
# pseudo-version is the only form `go install` takes anyway. No replace directives; builds with Go 1.26.
#
# AIStore: aisnode is a package of the main module github.com/NVIDIA/aistore (cmd/aisnode has no go.mod of
# its own). v1.5.0 (2026-08-21) is the newest tag the proxy serves; its go.mod has no replace directives.
# It is built through a wrapper module (see WRAP below).
#
# AIStore CLI (`ais`): NOT pinned. github.com/NVIDIA/aistore/cmd/cli is a separate module with no tags of
# its own (only pseudo-versions; its go.mod has no replace directives), and the proxy reachable here answers
# 403 to its @v/list and to every version asked for (the pseudo-versions of the v1.4.x/v1.5.0 release
# commits included), so there is nothing to `go install` or to require from a wrapper. Tests that want the
# real CLI look for $FERRY_AIS_BIN or .tools/bin/ais and skip that step, saying so, when it is absent.
# (Were it available: `go install .../cmd/cli` names the binary `cli`; the pin would link it as `ais`,
# which the optional third field below supports.)
declare -A PIN=(
  [temporal]="github.com/temporalio/cli/cmd/temporal@v1.5.1 temporal"
  [minio]="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c minio"
  [aisnode]="github.com/NVIDIA/aistore/cmd/aisnode@v1.5.0 aisnode"
)
# Release builds stamp their version with -ldflags; `go install` alone would report 0.0.0-DEV.
# aisnode: main.build/buildtime as its Makefile sets them (short commit of the v1.5.0 tag, commit time), so
# the cluster reports version 5.0.6b7de24 like a release build instead of "5.0." with an empty build.
declare -A LDFLAGS=(
  [temporal]="-X github.com/temporalio/cli/temporalcli.Version=1.5.1"
  [aisnode]="-X main.build=6b7de24 -X main.buildtime=2026-08-21T19:42:21Z"
)
# Build tags per tool (comma-separated), part of the cached build's recorded spec.
#
# aisnode: none. AIStore's Makefile adds cloud backends (aws, gcp, azure, oci) only when asked
# (AIS_BACKEND_PROVIDERS / TAGS), so a tag-less build is an ais://-only cluster with local mountpaths --
# what ferry needs. The S3-compatible front end (<proxy>/s3) is always compiled in and needs no tag. The
# Makefile's default 'mono' only swaps the monotonic clock for a go:linkname to runtime.nanotime (a
# micro-optimisation); 'nethttp' swaps the intra-cluster transport from fasthttp to net/http; 'dsort' and
# 'etl' add optional extensions (ETL needs Kubernetes anyway); 'debug' adds assertions. None is needed.
declare -A TAGS=()

# Tools built inside a throw-away wrapper module instead of `go install module/pkg@version`:
#   tool -> "module-root [go-mod-edit-flag ...]"
# The wrapper is `module ferry.localhost/tools/<tool>`, requires module-root at the pinned version (plus
# any extra `go mod edit` flags, e.g. -require=... or -replace=old=new@version -- always published module
# versions, never local source), is seeded with module-root's own go.sum, and `go install`s the pinned
# package in module mode.
#
# aisnode needs this: `go install pkg@version` also loads the module's deprecation notice from
# <proxy>/github.com/!n!v!i!d!i!a/aistore/@v/list, and the proxy reachable here answers that with 403 (it
# serves the tagged versions one by one but refuses the listing), so `go install ...@v1.5.0` fails before
# building. A module whose go.mod pins the version needs no listing. The build list is the same as a
# direct install, since aistore's go.mod has no replace or exclude directives that the wrapper would drop.
declare -A WRAP=(
  [aisnode]="github.com/NVIDIA/aistore"
)

log() { printf 'tools: %s\n' "$*" >&2; }

# go_install TOOL MODULE/PKG@VERSION WORKDIR [GO-INSTALL-ARGS...]: directly, or through a wrapper module.
go_install() {
  local tool="$1" modver="$2" work="$3"
  shift 3
  local wrap="${WRAP[$tool]:-}"
  if [[ -z "$wrap" ]]; then
    go install "$@" "$modver"
    return
  fi
  local -a edits
  read -r -a edits <<<"$wrap"
  local root="${edits[0]}" version="${modver##*@}" pkg="${modver%@*}" depdir
  edits=("${edits[@]:1}")
  mkdir -p "$work/src"
  depdir="$(cd "$work/src" && go mod download -json "$root@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$depdir" ]] || return 1
  (
    cd "$work/src" &&
      go mod init "ferry.localhost/tools/$tool" 2>/dev/null &&
      go mod edit "-require=$root@$version" "${edits[@]}" &&
      cp "$depdir/go.sum" go.sum && chmod u+w go.sum &&
      GOFLAGS="${GOFLAGS:-} -mod=mod" go install "$@" "$pkg"
  )
}

build_one() {
  local tool="$1"
  local spec="${PIN[$tool]:-}"
  if [[ -z "$spec" ]]; then
    log "unknown tool '$tool' (known: ${!PIN[*]})"
    exit 2
  fi
  local modver binary link
  read -r modver binary link <<<"$spec"
  link="${link:-$binary}"
  local version="${modver##*@}"
  local dest="$CACHE/$tool-$version"
  local ldflags="${LDFLAGS[$tool]:-}" tags="${TAGS[$tool]:-}"
  # What the cached build was made from; a change of flags, tags or wrapper rebuilds.
  local stamp="$modver ldflags=[$ldflags] tags=[$tags] wrap=[${WRAP[$tool]:-}]"
  local built=""
  [[ -f "$dest/spec" ]] && built="$(<"$dest/spec")"
  mkdir -p "$BIN"
  # A build from before specs were recorded has none: trust it, as this script always did.
  if [[ -x "$dest/bin/$binary" && ( -z "$built" || "$built" == "$stamp" ) ]]; then
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
    if ! GOBIN="$tmp/bin" CGO_ENABLED=0 go_install "$tool" "$modver" "$tmp" \
      -trimpath -ldflags "$ldflags" ${tags:+-tags "$tags"}; then
      rm -rf "$tmp"
      log "$tool $version: 'go install $modver' failed (see above)"
      exit 4
    fi
    rm -rf "$tmp/src"
    printf '%s\n' "$stamp" >"$tmp/spec"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$tmp" "$dest" # atomic on one filesystem: a half-built tool is never mistaken for a cached one
    log "$tool $version: built in $((SECONDS - start))s -> $dest/bin/$binary"
  fi
  ln -sfn "$dest/bin/$binary" "$BIN/$link"
}

tools=("$@")
[[ ${#tools[@]} -eq 0 ]] && tools=(temporal)
if [[ "${tools[0]}" == all ]]; then tools=("${!PIN[@]}"); fi
for t in "${tools[@]}"; do build_one "$t"; done
