#!/bin/sh
# Entry point of the Gongkai image. `entrypoint.sh web` (or worker, scheduler, migrate) runs that
# process type's line of deploy/Procfile — the one list of the process commands, which honcho,
# the Compose file and the Kubernetes manifests all use — from the application folder; any other
# arguments run as given (`entrypoint.sh gongkai register verify`).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
if [ "$#" -eq 1 ]; then
  case "$1" in
    *[!a-z0-9_-]* | "") ;;
    *)
      line=$(sed -n "s/^$1:[[:space:]]*//p" "$here/Procfile")
      if [ -n "$line" ]; then
        cd "$here/.."
        exec /bin/sh -c "exec $line"
      fi
      ;;
  esac
fi
exec "$@"
