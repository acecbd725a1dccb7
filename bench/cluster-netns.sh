#!/usr/bin/env bash
# Runs a command (`benchsuite ...`) inside a network namespace made for it,
# with an interface (one end of a veth pair whose both ends stay in the
# namespace; this kernel has no dummy devices) whose address exists only
# there, and adds `-minio-ip ADDR`: MinIO distributed refuses peers on
# loopback addresses in a container, and benchmarks serve only on loopback
# or inside namespaces of their own. Everything the command starts
# (garage-web nodes on the namespace's own loopback, which is brought up,
# MinIO, the delaying proxies, the client, nginx, wrk) lives in the
# namespace, which is deleted at the end, even on failure. It has no route
# out: install MinIO before (`benchsuite install-minio`). Root only.
#
# With -fallback as the first argument (`make bench`), when no namespace
# can be made (not root, no `ip`, or `ip` fails) the command runs as it is,
# with `-netns-unavailable REASON` added instead, so that it reports MinIO
# distributed as not run and why; without it (`make bench-cluster`) that is
# an error.
set -euo pipefail
fallback=0
if [ "${1:-}" = "-fallback" ]; then
  fallback=1
  shift
fi
unavailable() {
  if [ "$fallback" = 1 ]; then
    echo "bench/cluster-netns.sh: $1; running without a network namespace (MinIO distributed is not run)" >&2
    shift
    exec "$@" -netns-unavailable "$reason"
  fi
  echo "bench/cluster-netns.sh: $1; run as root with iproute2, or run 'benchsuite cluster' without MinIO" >&2
  exit 1
}
if [ "$(id -u)" != 0 ]; then
  reason="not root (network namespaces need root)"
  unavailable "$reason" "$@"
fi
if ! command -v ip >/dev/null 2>&1; then
  reason="no ip command (iproute2)"
  unavailable "$reason" "$@"
fi
ns="gwbench-$$"
addr="10.213.$((RANDOM % 250 + 1)).1"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
setup() {
  ip netns add "$ns" &&
    ip -n "$ns" link set lo up &&
    ip -n "$ns" link add gwb0 type veth peer name gwb1 &&
    ip -n "$ns" addr add "$addr/24" dev gwb0 &&
    ip -n "$ns" link set gwb1 up &&
    ip -n "$ns" link set gwb0 up
}
if ! err=$(setup 2>&1); then
  cleanup
  reason="could not make a network namespace: $(echo "$err" | head -n 1)"
  unavailable "$reason" "$@"
fi
ip netns exec "$ns" "$@" -minio-ip "$addr"
