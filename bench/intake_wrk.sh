#!/usr/bin/env bash
# Intake throughput measured with wrk (a C load generator, so the client barely competes with the
# server for the CPU): bench/intake.py with `--client wrk`, which starts the server, sends the
# realistic complaint with a fresh Idempotency-Key per request (5 s warm-up, then SECONDS
# measured, 16 connections), counts the rows stored and prints created/s, p50/p99, the CPU per
# complaint of each process and how busy the machine was. Needs Debian's `wrk`.
#
# Usage: bench/intake_wrk.sh [WORKERS] [SECONDS] [more bench/intake.py options, e.g. --body short]
# WEIQUAN_BENCH_URL=postgresql... (or any value starting with postgres) selects PostgreSQL, whose
# server WEIQUAN_BENCH_POSTGRES names; PYTHON selects the interpreter (default .venv/bin/python).
set -euo pipefail
workers=${1:-1}; seconds=${2:-30}; shift $(( $# < 2 ? $# : 2 ))
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
database=sqlite
[[ ${WEIQUAN_BENCH_URL:-} == postgres* ]] && database=postgres
exec "$python" "$root/bench/intake.py" --client wrk --only "$database" --workers "$workers" \
  --seconds "$seconds" --concurrency 16 "$@"
