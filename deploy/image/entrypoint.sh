#!/bin/sh
# Starts shoald in a container. With SHOAL_JOIN=host:port set on an empty data dir, it waits
# for the SHOAL_ROLE (worker|manager) join token in /tokens (written there by the first
# manager) and joins; otherwise it creates a cluster, or resumes the one in its data dir. The
# first manager (SHOAL_JOIN unset) writes the cluster's join tokens to /tokens once it serves.
set -eu
data=/var/lib/shoal
name=$(hostname)
set -- --data-dir "$data" --listen-addr 0.0.0.0:4242 --advertise-addr "$name:4242" --hostname "$name"
if [ -z "${SHOAL_JOIN:-}" ] && [ -d /tokens ]; then
  (
    for role in worker manager; do
      until shoalctl -H "unix://$data/control.sock" cluster join-token -q "$role" >"/tokens/$role.tmp" 2>/dev/null; do
        sleep 1
      done
      mv "/tokens/$role.tmp" "/tokens/$role"
    done
  ) &
fi
if [ ! -f "$data/node.json" ] && [ -n "${SHOAL_JOIN:-}" ]; then
  role=${SHOAL_ROLE:-worker}
  echo "waiting for the $role join token in /tokens/$role"
  until [ -s "/tokens/$role" ]; do sleep 1; done
  set -- "$@" --join-addr "$SHOAL_JOIN" --join-token "$(cat "/tokens/$role")"
fi
exec shoald "$@"
