#!/usr/bin/env bash
# Private network of the fault suite. `net.sh up N` makes a hub namespace shf-hub holding a
# bridge, N manager namespaces shf-m0.. (eth0 = 10.77.0.10+i/24) each joined to the bridge by a
# veth pair, and a veth shf-h (10.77.0.1/24) from the root namespace to the bridge, so the
# workload reaches every manager. The bridge lives in its own namespace because the host's
# bridged frames go through its iptables (br_netfilter), whose FORWARD policy Docker sets to
# DROP: the hub's own tables are empty, and the host's firewall is never touched.
# `net.sh down` deletes the namespaces (their veths, bridge and iptables rules go with them).
# Nothing leaves this machine: there is no route or NAT out of 10.77.0.0/24.
set -uo pipefail
HUB=shf-hub
case "${1:-}" in
up)
    set -e
    n=${2:?usage: net.sh up N}
    ip netns add "$HUB"
    ip -n "$HUB" link add br0 type bridge
    ip -n "$HUB" link set br0 up
    ip -n "$HUB" link set lo up
    ip link add shf-h type veth peer name up0 netns "$HUB"
    ip -n "$HUB" link set up0 master br0 up
    ip addr add 10.77.0.1/24 dev shf-h
    ip link set shf-h up
    for ((i = 0; i < n; i++)); do
        ns=shf-m$i
        ip netns add "$ns"
        ip -n "$HUB" link add "v$i" type veth peer name eth0 netns "$ns"
        ip -n "$HUB" link set "v$i" master br0 up
        ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
    ;;
down)
    for ns in $(ip netns list | awk '$1 ~ /^shf-(m[0-9]+|hub)$/ {print $1}'); do
        ip netns del "$ns"
    done
    ip link del shf-h 2>/dev/null || true
    ;;
*)
    echo "usage: net.sh up N | down" >&2
    exit 2
    ;;
esac
