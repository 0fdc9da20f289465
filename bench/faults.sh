#!/usr/bin/env bash
# Fault-injection suite (needs root): `./bench/faults.sh --episodes N --seed S [--managers 3|5]`.
# Builds shoald, shoalctl and shoal-faults, makes the private network of bench/faults/net.sh
# (namespaces shf-*, 10.77.0.0/24), runs the suite, and removes the network and every shoald it
# started at the end, also on Ctrl-C or failure. See README.md, "Faults".
set -uo pipefail
cd "$(dirname "$0")/.."
WORK=${SHOAL_FAULTS_DIR:-/tmp/shoal-faults}
managers=3
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[$i]}" in
    --managers) managers=${args[$((i + 1))]:-3} ;;
    --managers=*) managers=${args[$i]#--managers=} ;;
    esac
done

cleanup() {
    for f in "$WORK"/m*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        # Only a shoald we started (the pid may have been reused since).
        if grep -qa shoald "/proc/$pid/cmdline" 2>/dev/null; then
            kill -CONT "$pid" 2>/dev/null
            kill -9 "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
    bench/faults/net.sh down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cargo build -q --bin shoald --bin shoalctl --bin shoal-faults || exit 1
bench/faults/net.sh down
bench/faults/net.sh up "$managers" || exit 1
./target/debug/shoal-faults --work-dir "$WORK" "$@"
