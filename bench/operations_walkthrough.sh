#!/bin/bash
# The operations walkthrough: every command of docs/operations.md, run for real. Backup while
# serving, restores, recovery, key rotation and loss on SQLite, then a PostgreSQL backup and
# restore (the server on 127.0.0.1:5432, user postgres). Run it with the virtualenv's `weiquan`
# on PATH; it works in ${WALK_DIR:-/tmp/weiquan-walk} and on port 18760.
export COLUMNS=100
R=${WALK_DIR:-/tmp/weiquan-walk}; rm -rf $R; mkdir -p $R/srv; cd $R
export WEIQUAN_ENV=development WEIQUAN_DATA_DIR=$R/srv/var WEIQUAN_LOG_STATE_DIR=$R/state
export WEIQUAN_DATABASE_URL=sqlite:///$R/srv/var/weiquan.db
run() { echo "\$ $*"; "$@" 2>&1; echo "[exit $?]"; }
serve() { weiquan serve --port 18760 > $R/serve.log 2>&1 & echo $! > $R/serve.pid
  for i in $(seq 120); do curl -s -o /dev/null localhost:18760/healthz && break; sleep 0.5; done; }
stop() { kill -INT $(cat $R/serve.pid); while kill -0 $(cat $R/serve.pid) 2>/dev/null; do sleep 0.3; done; }
wait_ok() { for i in $(seq 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' localhost:18760/healthz)" = 200 ] && return; sleep 1; done; }
complaints() { U=http://127.0.0.1:18760
  T=$(curl -s $U/api/v1/auth/token -H 'content-type: application/json' -d '{"username":"alice","password":"weiquan-demo-2026"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
  S=$(curl -s $U/api/v1/shops -H "Authorization: Bearer $T" | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["shop_id"])')
  for i in $(seq $1); do curl -s -o /dev/null $U/api/v1/cases -H "Authorization: Bearer $T" -H 'content-type: application/json' -d "{\"shop_id\":\"$S\",\"category\":\"quality\",\"title\":\"耳机右耳无声\",\"description\":\"收到的耳机右耳没有声音，要求退款。\",\"claims\":[{\"kind\":\"refund\",\"amount_fen\":29900}]}"; done; sleep 3; }
mkdir -p srv/var
echo "### setup"; run weiquan db upgrade; run weiquan demo
serve; wait_ok
echo "### healthz"; echo '$ curl -s localhost:18760/healthz'; curl -s localhost:18760/healthz | python3 -m json.tool
echo "### online backup"; run weiquan backup $R/backups/b1
run ls -l $R/backups/b1
complaints 3
echo '$ curl -s localhost:18760/log/checkpoint'; curl -s localhost:18760/log/checkpoint
stop
echo "### restore older copy in place"; run weiquan restore $R/backups/b1
run weiquan restore --replace $R/backups/b1
run ls $R/srv/var
run weiquan worker --once
run weiquan serve --port 18760
run weiquan log recover
echo "### undo the restore"
STAMP=$(ls $R/srv/var | sed -n 's/^tlog.pre-restore-//p')
for d in tlog evidence keys; do [ -e srv/var/$d.pre-restore-$STAMP ] && { rm -rf srv/var/$d; mv srv/var/$d.pre-restore-$STAMP srv/var/$d; }; done
cp srv/var/weiquan.db.pre-restore-$STAMP srv/var/weiquan.db
run weiquan worker --once
echo "### log-only rollback and recover"
cp -a srv/var/tlog $R/tlog-copy
serve; complaints 2; stop
rm -rf srv/var/tlog; cp -a $R/tlog-copy srv/var/tlog
run weiquan worker --once
run weiquan log recover
run weiquan worker --once
echo "### database-only restore"
run weiquan backup $R/backups/b2
serve; complaints 2; stop
cp srv/var/weiquan.db $R/weiquan.db.newer
cp $R/backups/b2/database.sqlite3 srv/var/weiquan.db
serve; sleep 8
echo '$ curl -s localhost:18760/healthz'; curl -s -w '\nHTTP %{http_code}\n' localhost:18760/healthz | python3 -c 'import sys; t=sys.stdin.read(); b,_,c=t.rpartition("\n\nHTTP") if "\n\nHTTP" in t else t.rpartition("\nHTTP"); import json; print(json.dumps(json.loads(b), indent=1, ensure_ascii=False)); print("HTTP"+c)'
stop
grep -m2 "worker round failed" $R/serve.log
cp $R/weiquan.db.newer srv/var/weiquan.db
run weiquan worker --once
echo "### key rotation"
run weiquan keys rotate-log-key
run weiquan worker --once
run ls srv/var/keys
echo "### lost key"
cat srv/var/keys/*.vkey > $R/published-keys.txt
rm -rf srv/var/keys
run weiquan worker --once
run weiquan keys replace-lost-log-key $(sed 's/^/--previous-key /' $R/published-keys.txt)
run weiquan worker --once
echo "### postgresql"
psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS weiquan_walk' -c 'DROP DATABASE IF EXISTS weiquan_walk_restored' -c 'CREATE DATABASE weiquan_walk' -c 'CREATE DATABASE weiquan_walk_restored'
export WEIQUAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/weiquan_walk WEIQUAN_DATA_DIR=$R/pg/var WEIQUAN_LOG_STATE_DIR=$R/pg/state
mkdir -p $R/pg/var
weiquan db upgrade >/dev/null 2>&1; weiquan demo >/dev/null 2>&1; weiquan worker --once > /dev/null 2>&1
run weiquan backup $R/backups/pg1
export WEIQUAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/weiquan_walk_restored WEIQUAN_DATA_DIR=$R/pg2/var WEIQUAN_LOG_STATE_DIR=$R/pg2/state
run weiquan restore $R/backups/pg1
run weiquan worker --once
psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE weiquan_walk' -c 'DROP DATABASE weiquan_walk_restored'
