#!/bin/sh
# Starts shoald in a container. On an empty data dir with SHOAL_JOIN=host:port set, it asks
# that manager for the SHOAL_ROLE (worker|manager) join token and joins; otherwise it creates
# a cluster, or resumes the one in its data dir.
set -eu
data=/var/lib/shoal
name=$(hostname)
set -- --data-dir "$data" --listen-addr 0.0.0.0:4242 --advertise-addr "$name:4242" --hostname "$name"
if [ ! -f "$data/node.json" ] && [ -n "${SHOAL_JOIN:-}" ]; then
  echo "waiting for $SHOAL_JOIN to hand out the ${SHOAL_ROLE:-worker} token"
  until token=$(shoalctl -H "http://$SHOAL_JOIN" cluster join-token -q "${SHOAL_ROLE:-worker}" 2>/dev/null); do
    sleep 1
  done
  set -- "$@" --join-addr "$SHOAL_JOIN" --join-token "$token"
fi
exec shoald "$@"
