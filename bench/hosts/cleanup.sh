#!/bin/sh
# Remove what a killed bench/hosts run left behind: ferry-h* namespaces (and their processes), ferry-v* veths,
# the ferry-br bridge. Touches nothing else. Run as root.
set -u
for ns in $(ip netns list | awk '{print $1}' | grep -E '^ferry-h[0-9]+$'); do
  for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
  ip netns del "$ns"
done
for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^ferry-v[0-9]+$'); do ip link del "$l"; done
ip link del ferry-br 2>/dev/null
exit 0
