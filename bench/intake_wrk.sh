#!/usr/bin/env bash
# Intake throughput measured with wrk (a C load generator, so the client barely competes with the
# server for the CPU). Needs Debian's `wrk`. Usage: bench/intake_wrk.sh [workers] [seconds]
set -euo pipefail
workers=${1:-1}; seconds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd); bin="$root/.venv/bin"
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
export WEIQUAN_ENV=development WEIQUAN_DATABASE_URL="${WEIQUAN_BENCH_URL:-sqlite:///$tmp/bench.db}" \
       WEIQUAN_DATA_DIR="$tmp/var"
"$bin/weiquan" db upgrade >/dev/null && "$bin/weiquan" demo >/dev/null
port=$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# As deployed, so the log pump's work is counted: `weiquan serve` starts its worker process.
"$bin/weiquan" serve --port "$port" --workers "$workers" >/dev/null 2>&1 & server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
token=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"alice","password":"weiquan-demo-2026"}' | "$bin/python" -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
shop=$(curl -s "http://127.0.0.1:$port/api/v1/shops" -H "Authorization: Bearer $token" \
  | "$bin/python" -c 'import sys,json; print(json.load(sys.stdin)[0]["shop_id"])')
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"shop_id":"$shop","category":"quality","title":"耳机右耳无声","description":"收到的耳机右耳没有声音，要求退款。","claims":[{"kind":"refund","amount_fen":29900}]}'
LUA
echo "workers=$workers database=${WEIQUAN_DATABASE_URL%%:*}"
wrk -t1 -c16 -d"${seconds}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$port/api/v1/cases" \
  | grep -E "Requests/sec|50%|75%|90%|99%|Non-2xx|Max"
