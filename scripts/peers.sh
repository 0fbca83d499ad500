#!/usr/bin/env bash
# Installs the benchmark's peers from Debian packages: nginx (the origin of the copier workloads and one of the
# `origin` workload's contenders), curl, rclone and aria2c. Idempotent: a tool already on PATH is skipped, and
# `apt-get update` runs only when a package is needed and apt has no candidate for it yet.
#
#   scripts/peers.sh
#
# nginx-light is preferred (static files, autoindex, sendfile: all the bench uses); nginx when the archive
# has no nginx-light. The packages' own service is never started: the bench runs nginx on loopback with a
# config it generates (bench/origins.ts).
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "peers.sh: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi

have_candidate() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

updated=0
ensure_index() {
  # An empty or stale package index has no candidate for the package: refresh it once per invocation.
  if [ "$updated" -eq 0 ] && ! have_candidate "$1"; then
    "${SUDO[@]}" apt-get update -qq
    updated=1
  fi
}

want=()
for tool in nginx curl rclone aria2c; do
  if command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ]; then
    echo "peers.sh: $tool already installed"
    continue
  fi
  case "$tool" in
    nginx)
      ensure_index nginx-light
      if have_candidate nginx-light; then want+=(nginx-light); else want+=(nginx); fi
      ;;
    aria2c) ensure_index aria2 && want+=(aria2) ;;
    *) ensure_index "$tool" && want+=("$tool") ;;
  esac
done

if [ "${#want[@]}" -gt 0 ]; then
  echo "peers.sh: installing ${want[*]}"
  # The package may start its own nginx.service on port 80 where systemd runs (containers' policy-rc.d
  # denies it); harmless, and the bench never uses it: it starts its own nginx on an ephemeral loopback port.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}"
fi
for tool in nginx curl rclone aria2c; do
  if command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ]; then :; else
    echo "peers.sh: $tool still missing" >&2
    exit 1
  fi
done
echo "peers.sh: nginx, curl, rclone, aria2c present"
