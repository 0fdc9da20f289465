#!/usr/bin/env bash
# Leader failover benchmark: 3 managers, kill -9 the leader 10 times (extra args pass through,
# e.g. --trials 20), print how long until a survivor accepts a write.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins -q
./target/release/shoal-failover "$@"
