#!/usr/bin/env bash
# Node death benchmark: a manager and, per trial, a worker; kill -9 the worker and print how
# long until it is marked down and until all its tasks run elsewhere (extra args pass through,
# e.g. --trials 5 --replicas 20).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins -q
./examples/images/build.sh >/dev/null
./target/release/shoal-node-death "$@"
