#!/bin/sh
# Remove what a killed multi-host run (bench/hosts, test/integration/hosts-*) left behind: the fh<pid>-<n>*
# namespaces (and their processes), veths and bridges — and the ferry-h*/ferry-v*/ferry-br names of older
# versions. A new run removes the leftovers of runs whose process is gone by itself; this script removes
# every run's, so do not use it while a run is in progress. Touches nothing else. Run as root.
set -u
for ns in $(ip netns list | awk '{print $1}' | grep -E '^(fh[0-9a-z]+-[0-9]h[0-9]+|ferry-h[0-9]+)$'); do
  for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
  ip netns del "$ns"
done
for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(fh[0-9a-z]+-[0-9](br|v[0-9]+)|ferry-v[0-9]+|ferry-br)$'); do
  ip link del "$l" 2>/dev/null
done
exit 0
