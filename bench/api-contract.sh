#!/usr/bin/env bash
# The OpenAPI document as the contract: starts one shoald on a fresh data dir, issues a client
# bundle, and runs schemathesis (PyPI) over mTLS against /v1/openapi.json with the allowances
# of bench/api/schemathesis.toml. Prints schemathesis's summary; exits non-zero on a failure.
#   ./bench/api-contract.sh [--max-examples N] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=30
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) examples=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--max-examples N] [--seed S]" >&2; exit 2 ;;
  esac
done
command -v schemathesis >/dev/null || { echo "needs schemathesis: pip install schemathesis" >&2; exit 1; }
cargo build --bins -q
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
./target/debug/shoald --data-dir "$work/data" --listen-addr "127.0.0.1:$port" --hostname contract \
  >"$work/shoald.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
ctl() { ./target/debug/shoalctl -H "unix://$work/data/control.sock" "$@"; }
for _ in $(seq 100); do ctl node ls >/dev/null 2>&1 && break; sleep 0.1; done
ctl cluster client-bundle --out "$work/bundle" >/dev/null
curl -sfk --cert "$work/bundle/cert.pem" --key "$work/bundle/key.pem" \
  "https://127.0.0.1:$port/v1/openapi.json" -o "$work/openapi.json"
# Streams (events, logs) never end, and the Raft and dispatcher endpoints are for managers and
# agents speaking their own protocols, not for generated requests.
schemathesis --config-file bench/api/schemathesis.toml run "$work/openapi.json" \
  --url "https://127.0.0.1:$port" --tls-verify false \
  --request-cert "$work/bundle/cert.pem" --request-cert-key "$work/bundle/key.pem" \
  --max-examples "$examples" --seed "$seed" --generation-deterministic --workers 2 \
  --exclude-path-regex '^/v1/(raft|dispatcher|events|services/\{id\}/logs)'
