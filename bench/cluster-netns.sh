#!/usr/bin/env bash
# Runs a command (`benchsuite cluster ...`) inside a network namespace made
# for it, with an interface (one end of a veth pair whose both ends stay in
# the namespace; this kernel has no dummy devices) whose address exists
# only there, and adds
# `-minio-ip ADDR`: MinIO distributed refuses peers on loopback addresses in
# a container, and benchmarks serve only on loopback or inside namespaces
# of their own. Everything the command starts (garage-web nodes on the
# namespace's own loopback, MinIO, the delaying proxies, the client) lives
# in the namespace, which is deleted at the end, even on failure. Root only.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "bench/cluster-netns.sh: network namespaces need root; run as root, or run 'benchsuite cluster' without MinIO" >&2
  exit 1
fi
ns="gwbench-$$"
addr="10.213.$((RANDOM % 250 + 1)).1"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add gwb0 type veth peer name gwb1
ip -n "$ns" addr add "$addr/24" dev gwb0
ip -n "$ns" link set gwb1 up
ip -n "$ns" link set gwb0 up
ip netns exec "$ns" "$@" -minio-ip "$addr"
