#!/bin/sh
# `make bench`: every benchmark of issue 7, then bench/RESULTS.md rewritten from the results.
# Needs what `make setup widget` gives (the venv, backend/static/embed.js) plus wrk and
# /usr/bin/chromium from Debian. Everything listens on 127.0.0.1 only; every load is bounded
# (wrk -t1 -c16 -d5s per run, BENCH_ROUNDS alternated rounds). Takes a few minutes.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
WORK="$ROOT/bench/.work"
RES="$WORK/results"
start=$(date +%s)

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
test -x /usr/bin/chromium || { echo "bench: /usr/bin/chromium is missing" >&2; exit 1; }
test -f backend/static/embed.js || { echo "bench: run 'make widget' first" >&2; exit 1; }

mkdir -p "$WORK"
rm -rf "$RES"
mkdir -p "$RES"

# Peer widgets from npm (pinned by bench/package-lock.json).
if [ ! -f bench/node_modules/.installed ] || [ bench/package-lock.json -nt bench/node_modules/.installed ]; then
	npm ci --prefix bench --no-audit --no-fund --loglevel=error --ignore-scripts
	touch bench/node_modules/.installed
fi
# Isso 0.14 + gunicorn in their own venv.
if [ ! -f "$WORK/isso-venv/.installed" ] || [ bench/isso-requirements.txt -nt "$WORK/isso-venv/.installed" ]; then
	python3 -m venv "$WORK/isso-venv"
	"$WORK/isso-venv/bin/pip" install --quiet --disable-pip-version-check -r bench/isso-requirements.txt
	touch "$WORK/isso-venv/.installed"
fi

{
	echo "date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "cores=$(nproc)"
	echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel=$(uname -r)"
	echo "python=$("$PY" -c 'import sys; print(sys.version.split()[0])')"
	echo "wrk=$(wrk -v 2>&1 | head -1)"
	echo "chromium=$(/usr/bin/chromium --version 2>/dev/null | head -1)"
	echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/machine.txt"

cd bench
step() { echo "== bench: $*" >&2; "$PY" "$@"; }
step widget_size.py
step throughput.py
step app_cost.py
step server_cost.py
step profile_read.py
step scaling.py
step paint.py
# Cold start from the Lambda artifact, under Python 3.12 as deployed (issue 15): the artifact is
# built for this machine's architecture; without a Python 3.12 it falls back to the venv.
PY312=""
for candidate in "$HOME"/.pyenv/versions/3.12.*/bin/python3.12 "$(command -v python3.12 || true)"; do
	# A pyenv shim for a version that is not selected exists but fails: try each one.
	if [ -n "$candidate" ] && "$candidate" -c "" 2>/dev/null; then PY312=$candidate; break; fi
done
case "$(uname -m)" in aarch64 | arm64) ARCH=arm64 ;; *) ARCH=x86_64 ;; esac
if [ -n "$PY312" ] && "$PY" ../scripts/build_lambda.py --arch "$ARCH" --out "$WORK/lambda.zip" >&2; then
	echo "== bench: coldstart.py --artifact (Python 3.12, $ARCH) --runs 41" >&2
	STOCK=$(ls -td ../build/lambda/deps-"$ARCH"-py3.12-*/ | head -1)
	"$PY" coldstart.py --artifact "$WORK/lambda.zip" --stock "$STOCK" --python "$PY312" --runs 41 --paused --json > "$RES/coldstart.txt"
	"$PY" coldstart_breakdown.py --artifact "$WORK/lambda.zip" --python "$PY312" --runs 5 > "$RES/coldstart_breakdown.txt"
else
	echo "== bench: coldstart.py --runs 41 (no Python 3.12 or no artifact: from the venv)" >&2
	"$PY" coldstart.py --runs 41 --json > "$RES/coldstart.txt"
fi
tail -3 "$RES/coldstart.txt" >&2
step importtime.py > /dev/null
step cost.py
step page_view.py
cd ..
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RES/machine.txt"
echo "runtime_s=$(( $(date +%s) - start ))" >> "$RES/machine.txt"
"$PY" bench/report.py
echo "bench: wrote bench/RESULTS.md in $(( $(date +%s) - start )) s" >&2
