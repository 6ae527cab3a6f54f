#!/bin/sh
# `make dev` on a fresh machine: a fresh clone, empty pip, uv and npm caches (temporary ones,
# so the shared caches stay as they are), timed from `make dev` to the first answer of
# /healthz (set-up, widget build and server start). The server binds 127.0.0.1 on a free port
# and is stopped at the end; at most 300 s.
#
#     sh bench/dev_setup.sh [REPO [BRANCH]]      # default: this checkout's repository, HEAD
set -eu
cd "$(dirname "$0")/.."
REPO=${1:-$(pwd)}
BRANCH=${2:-$(git rev-parse --abbrev-ref HEAD)}
WORK=$(mktemp -d /tmp/parley-dev-setup.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
git clone -q -b "$BRANCH" "$REPO" "$WORK/clone"
export PIP_CACHE_DIR="$WORK/pip-cache" UV_CACHE_DIR="$WORK/uv-cache" npm_config_cache="$WORK/npm-cache"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
(cd "$WORK/clone" && exec setsid make dev PORT="$PORT" > "$WORK/dev.log" 2>&1) &
pid=$!
ok=no
for _ in $(seq 1 1500); do
	if curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1; then ok=yes; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
end=$(date +%s.%N)
kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$ok" != yes ]; then
	grep -v "is ignored" "$WORK/dev.log" | tail -20 >&2
	echo "dev_setup: make dev did not answer /healthz" >&2
	exit 1
fi
echo "venv packages: $(ls "$WORK/clone/.venv/lib/"python3*/site-packages | grep -c dist-info)," \
	"npm packages: $(ls "$WORK/clone/node_modules" | grep -vc '^\.')"
echo "make_dev_to_healthz_s=$(echo "$end - $start" | bc)"
