#!/usr/bin/env bash
# Installs the browser the Web UI test drives (test/integration/web-ui.test.ts): Debian's `chromium`, run
# headless through playwright-core. No downloaded browser: the package comes from the distribution's archive
# like the other peers (scripts/peers.sh). Idempotent: an installed chromium is only reported, and
# `apt-get update` runs only when apt has no candidate for the package yet.
#
#   scripts/browser.sh        prints each step; exits non-zero with a one-line reason if it cannot install
#
# The test finds the binary the same way (chromium or chromium-browser on PATH); the package's own
# sandbox wrapper is bypassed there with --no-sandbox, which running as root (CI containers) requires.
set -euo pipefail

say() { echo "browser.sh: $*"; }
fail() {
  echo "browser.sh: $*" >&2
  exit 1
}

find_chromium() {
  local c
  for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
  done
  return 1
}

if bin="$(find_chromium)"; then
  say "chromium already installed: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

command -v apt-get >/dev/null || fail "no chromium on PATH and no apt-get to install Debian's chromium package"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "installing chromium needs root or sudo"
  SUDO=(sudo)
fi

have_candidate() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

if ! have_candidate chromium; then
  say "apt has no candidate for chromium: apt-get update"
  "${SUDO[@]}" apt-get update -qq || fail "apt-get update failed"
fi
have_candidate chromium || fail "the package archive has no chromium package"
say "installing chromium $(apt-cache policy chromium | awk '/Candidate:/ {print $2}') (Debian package)"
# Recommends pull in fonts and desktop integration; the fonts matter for readable screenshots, the rest not.
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation \
  || fail "apt-get install chromium failed"
bin="$(find_chromium)" || fail "chromium installed but not on PATH"
say "chromium ready: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
