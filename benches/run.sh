#!/usr/bin/env bash
# walab's benchmark: builds release, measures walab against what learners would otherwise use,
# and prints one table of same-run comparisons. Every server it starts listens on 127.0.0.1 and
# is stopped at the end; every step is bounded in time and in count.
#
#   benches/run.sh            # the whole table (about 3 minutes, after the build)
#   RUNS=5 LOAD_SECS=2 benches/run.sh   # quicker, noisier
#   BASELINE_WALAB=/path/to/older/walab benches/run.sh   # adds row 5 for an older build: before/after
#   SOAK=1 benches/run.sh     # then the soak bench (benches/soak.sh): hostile traffic, bounded?
#   ONLY=room benches/run.sh  # row 7 only (a room: ROOM_ATTENDEES=500 ROOM_ACTIVE=50 ROOM_SECS=10)
#
# Needs python3 with pip (boto3 and requests, and moto[server] for the peer baseline, are
# installed from PyPI when missing; without moto that row says so).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}             # alternating runs of the lab loop, each side
CHECK_RUNS=${CHECK_RUNS:-9}  # runs of `walab check`
LOAD_SECS=${LOAD_SECS:-5}    # seconds per load scenario
LOAD_CONNS=${LOAD_CONNS:-32} # simultaneous learners (keep-alive connections)
LOAD_MAX=${LOAD_MAX:-500000} # most requests per scenario
ONLY=${ONLY:-}               # empty: the whole table; "room": row 7 only
case "$ONLY" in "" | room) ;; *) echo "bench: ONLY is empty or room, not $ONLY" >&2; exit 2 ;; esac
export CARGO_TERM_COLOR=never AWS_EC2_METADATA_DISABLED=true

say() { echo "bench: $*" >&2; }
say "building (release)"
# The bench target builds walab's binary too (cargo builds a package's binaries for its benches,
# into target/release), so row 7 alone needs only that.
[ -n "$ONLY" ] || cargo build --release --locked --quiet
cargo bench --locked --quiet --bench load --no-run 2>/dev/null
LOAD_BIN=$(cargo bench --locked --bench load --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
WALAB=$PWD/target/release/walab
[ -x "$LOAD_BIN" ] || { say "cannot find the load generator"; exit 1; }

WORK=$(mktemp -d)
export WALAB_DATA_DIR=$WORK/data WALAB_CONFIG_DIR=$WORK/config WALAB_INVALIDATION_SECS=0 WALAB_DEPLOY_SECS=0
SERVE_PID= MOTO_PID= BASE_PID= ROOM_PID=
cleanup() {
    [ -n "$ROOM_PID" ] && kill "$ROOM_PID" 2>/dev/null && wait "$ROOM_PID" 2>/dev/null
    [ -n "$BASE_PID" ] && kill "$BASE_PID" 2>/dev/null && wait "$BASE_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
hostport() { python3 -c 'import sys,urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).netloc)' "$1"; }

if [ -z "$ONLY" ]; then
if ! python3 -c 'import boto3, requests' 2>/dev/null; then
    say "installing boto3 and requests"
    python3 -m pip install --quiet boto3 requests
fi
HAVE_MOTO=1
if ! command -v moto_server >/dev/null; then
    say "installing moto[server] (the peer baseline)"
    python3 -m pip install --quiet 'moto[server]' || HAVE_MOTO=0
    command -v moto_server >/dev/null || HAVE_MOTO=0
fi

say "starting walab serve"
mkfifo "$WORK/serve.out"
"$WALAB" serve --listen 127.0.0.1:0 --json --fresh --invalidation-secs 0 --deploy-secs 0 \
    >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVE_PID=$!
exec 3<"$WORK/serve.out"
read -r -t 60 INFO <&3 || { say "walab serve did not start"; cat "$WORK/serve.log" >&2; exit 1; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval("d"+sys.argv[2]))' "$INFO" "$1"; }
AWS_URL=$(field '["aws_endpoint_url"]')
CF_URL=$(field '["cloudfront_endpoint"]')
POOL=$(field '["user_pool_id"]')
CLIENT=$(field '["app_client_id"]')
USER_NAME=$(field '["demo_user"]["username"]')
PASSWORD=$(field '["demo_user"]["password"]')

say "solving the lab (walab check --solve)"
timeout 120 "$WALAB" check --solve >/dev/null 2>"$WORK/solve.log" || { cat "$WORK/solve.log" >&2; exit 1; }
SECRET=$(AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test python3 -c '
import boto3, sys
c = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="us-east-1")
print(c.describe_user_pool_client(UserPoolId=sys.argv[2], ClientId=sys.argv[3])["UserPoolClient"]["ClientSecret"])
' "$AWS_URL" "$POOL" "$CLIENT")

say "row 1: the lab loop, walab vs the lab's Python scripts, $RUNS alternating runs each"
AWS_ENDPOINT_URL=$AWS_URL timeout 600 python3 benches/bench.py loop "$WALAB" "$CF_URL" "$USER_NAME" "$PASSWORD" \
    "$POOL" "$CLIENT" "$SECRET" "$RUNS" >"$WORK/loop.txt"
say "row 2: walab check on the solved lab, $CHECK_RUNS runs"
timeout 600 python3 benches/bench.py check "$WALAB" "$CHECK_RUNS" >"$WORK/check.txt"

say "row 2b: walab --target aws check through a proxy adding ${DELAY_MS:-100} ms per AWS call, ${LATENCY_RUNS:-7} runs each way"
timeout 900 python3 benches/latency.py "$WALAB" "$AWS_URL" "$USER_NAME" "$PASSWORD" "${LATENCY_RUNS:-7}" "${DELAY_MS:-100}" \
    >"$WORK/latency.txt"

say "rows 3 and 4: the walkthrough in a pseudo-terminal (first frame, key-to-redraw, idle, memory)"
timeout 300 python3 benches/walkthrough.py "$WALAB" "${TUI_RUNS:-9}" "${TUI_KEYS:-200}" "${IDLE_SECS:-10}" >"$WORK/tui.txt"

TOKEN=$(timeout 60 "$WALAB" token 2>/dev/null)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
load() { # NAME PID(server) EDGE AWS POOL CLIENT SECRET USER PASSWORD
    local before after
    before=$(cpu_ticks "$2")
    WALAB_LOAD_SCENARIOS=$1 WALAB_LOAD_EDGE=$3 WALAB_LOAD_AWS=$4 WALAB_LOAD_POOL=$5 WALAB_LOAD_CLIENT=$6 \
    WALAB_LOAD_SECRET=$7 WALAB_LOAD_USER=$8 WALAB_LOAD_PASSWORD=$9 WALAB_LOAD_TOKEN=$TOKEN \
    WALAB_LOAD_SECS=$LOAD_SECS WALAB_LOAD_CONNS=$LOAD_CONNS WALAB_LOAD_MAX=$LOAD_MAX \
        timeout $((LOAD_SECS * 4 + 30)) "$LOAD_BIN" | tr '\n' ' '
    after=$(cpu_ticks "$2")
    echo "server_cpu_secs=$(awk -v a="$after" -v b="$before" -v t="$TICKS" 'BEGIN{printf "%.2f", (a-b)/t}')"
}
EDGE=$(hostport "$CF_URL") AWS=$(hostport "$AWS_URL")
say "row 5: a room's load on walab serve ($LOAD_CONNS connections, ${LOAD_SECS}s per scenario)"
for scenario in cached uncached auth; do
    load $scenario "$SERVE_PID" "$EDGE" "$AWS" "$POOL" "$CLIENT" "$SECRET" "$USER_NAME" "$PASSWORD" >"$WORK/load-$scenario.txt"
done
if [ "$HAVE_MOTO" = 1 ]; then
    MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    say "starting moto_server on 127.0.0.1:$MOTO_PORT (the peer baseline)"
    moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
    MOTO_PID=$!
    for _ in $(seq 100); do
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$MOTO_PORT" \
            2>/dev/null && break
        sleep 0.2
    done
    MOTO=$(timeout 60 python3 benches/bench.py moto-setup "http://127.0.0.1:$MOTO_PORT")
    m() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$MOTO" "$1"; }
    say "AdminInitiateAuth on moto"
    load auth "$MOTO_PID" "" "127.0.0.1:$MOTO_PORT" "$(m pool)" "$(m client)" "$(m secret)" "$(m user)" \
        "$(m password)" >"$WORK/load-moto.txt"
    say "AdminInitiateAuth on walab again (same run, after moto)"
    load auth "$SERVE_PID" "$EDGE" "$AWS" "$POOL" "$CLIENT" "$SECRET" "$USER_NAME" "$PASSWORD" >"$WORK/load-auth2.txt"
fi

say "row 6: signing bound (RS256 on one thread), then sign-ins with durable commits and write latency at 1k and ${WRITE_USERS:-100000} users"
WALAB_LOAD_SCENARIOS=rsa WALAB_LOAD_SECS=2 timeout 30 "$LOAD_BIN" >"$WORK/rsa.txt"
WALAB_LOAD_SCENARIOS=writes WALAB_LOAD_AWS=$AWS WALAB_LOAD_CLIENT=$CLIENT WALAB_LOAD_SECRET=$SECRET \
    WALAB_LOAD_USERS=${WRITE_USERS:-100000} WALAB_LOAD_CONNS=$LOAD_CONNS timeout 900 "$LOAD_BIN" >"$WORK/writes.txt"
DB_BYTES=$(du -cb "$WORK"/data/local-lab/lab.sqlite3* 2>/dev/null | tail -1 | cut -f1)
fi # rows 1 to 6

# Other work on the machine skews every figure: the load average goes in the table with row 7.
LOAD_AVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "row 7: a room: ${ROOM_ATTENDEES:-500} attendees join, ${ROOM_ACTIVE:-50} run the lab loop and report for ${ROOM_SECS:-10}s (load average $LOAD_AVG_BEFORE)"
mkfifo "$WORK/room.out"
"$WALAB" serve --room --max-attendees "${ROOM_ATTENDEES:-500}" --listen 127.0.0.1:0 --json --state-dir "$WORK/room" \
    --invalidation-secs 0 --deploy-secs 0 \
    >"$WORK/room.out" 2>"$WORK/room.log" &
ROOM_PID=$!
exec 5<"$WORK/room.out"
read -r -t 60 ROOM_INFO <&5 || { say "walab serve --room did not start"; cat "$WORK/room.log" >&2; exit 1; }
rfield() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval("d"+sys.argv[2]))' "$ROOM_INFO" "$1"; }
ROOM_URL=$(rfield '["aws_endpoint_url"]')
ROOM_KEY=$(rfield '["room"]["instructor_key"]')
WALAB_LOAD_SCENARIOS=room WALAB_LOAD_AWS=$(hostport "$ROOM_URL") WALAB_LOAD_CODE=$(rfield '["room"]["code"]') \
    WALAB_LOAD_ROOM_KEY=$ROOM_KEY WALAB_LOAD_ATTENDEES=${ROOM_ATTENDEES:-500} WALAB_LOAD_ACTIVE=${ROOM_ACTIVE:-50} \
    WALAB_LOAD_SECS=${ROOM_SECS:-10} timeout 900 "$LOAD_BIN" >"$WORK/room.txt"
ROOM_RSS_MB=$(awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$ROOM_PID/status")
ROOM_JSON_MS=
for _ in 1 2 3; do # the slowest of three, each a whole `walab room --json`
    T0=$(date +%s%N)
    WALAB_ROOM_KEY=$ROOM_KEY "$WALAB" room --server "$ROOM_URL" --json >"$WORK/room-snapshot.json"
    MS=$(( ($(date +%s%N) - T0) / 1000000 ))
    if [ -z "$ROOM_JSON_MS" ] || [ "$MS" -gt "$ROOM_JSON_MS" ]; then ROOM_JSON_MS=$MS; fi
done
LOAD_AVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$ROOM_PID" 2>/dev/null; wait "$ROOM_PID" 2>/dev/null || true

if [ -n "${BASELINE_WALAB:-}" ] && [ -z "$ONLY" ]; then
    say "row 5 again on the baseline build $BASELINE_WALAB (before/after, same run)"
    mkfifo "$WORK/base.out"
    WALAB_DATA_DIR=$WORK/base-data WALAB_CONFIG_DIR=$WORK/base-config "$BASELINE_WALAB" serve --listen 127.0.0.1:0 \
        --json --fresh --invalidation-secs 0 --deploy-secs 0 >"$WORK/base.out" 2>"$WORK/base.log" &
    BASE_PID=$!
    exec 4<"$WORK/base.out"
    read -r -t 60 INFO <&4 || { say "the baseline walab serve did not start"; exit 1; }
    B_AWS=$(field '["aws_endpoint_url"]') B_CF=$(field '["cloudfront_endpoint"]') B_POOL=$(field '["user_pool_id"]')
    B_CLIENT=$(field '["app_client_id"]') B_USER=$(field '["demo_user"]["username"]')
    B_PASSWORD=$(field '["demo_user"]["password"]')
    WALAB_DATA_DIR=$WORK/base-data WALAB_CONFIG_DIR=$WORK/base-config timeout 120 "$BASELINE_WALAB" check --solve \
        >/dev/null 2>&1 || { say "the baseline lab could not be solved"; exit 1; }
    B_SECRET=$(AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test python3 -c '
import boto3, sys
c = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="us-east-1")
print(c.describe_user_pool_client(UserPoolId=sys.argv[2], ClientId=sys.argv[3])["UserPoolClient"]["ClientSecret"])
' "$B_AWS" "$B_POOL" "$B_CLIENT")
    NEW_TOKEN=$TOKEN
    TOKEN=$(WALAB_DATA_DIR=$WORK/base-data WALAB_CONFIG_DIR=$WORK/base-config timeout 60 "$BASELINE_WALAB" token 2>/dev/null)
    for scenario in cached uncached auth; do
        load $scenario "$BASE_PID" "$(hostport "$B_CF")" "$(hostport "$B_AWS")" "$B_POOL" "$B_CLIENT" "$B_SECRET" \
            "$B_USER" "$B_PASSWORD" >"$WORK/base-$scenario.txt"
    done
    TOKEN=$NEW_TOKEN
fi

# ---- the table --------------------------------------------------------------------------------
get() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$WORK/$1" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "-" }'; }
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "walab benchmark · $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores · ${CPU_MODEL:-unknown CPU} · $(uname -sr)"
echo
printf '| %-58s | %-44s | %-30s | %-16s |\n' "row" "walab" "baseline (same run)" "result / goal"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..32})" "$(printf -- '-%.0s' {1..18})"
if [ -z "$ONLY" ]; then
W=$(get loop.txt walab_total_ms) P=$(get loop.txt python_total_ms)
printf '| %-58s | %-44s | %-30s | %-16s |\n' "1. lab loop: token + request + request with token (median)" \
    "$W ms" "$P ms (boto3 + requests)" "$(ratio "$P" "$W")x faster / >=10x"
for step in token request request_token; do
    printf '| %-58s | %-44s | %-30s | %-16s |\n' "   $step" "$(get loop.txt "walab_${step}_ms") ms" \
        "$(get loop.txt "python_${step}_ms") ms" "$(ratio "$(get loop.txt "python_${step}_ms")" "$(get loop.txt "walab_${step}_ms")")x"
done
CW=$(get check.txt check_wall_ms)
printf '| %-58s | %-44s | %-30s | %-16s |\n' "2. walab check, all 12 on a solved lab (median wall)" "$CW ms" \
    "$(get loop.txt walab_request_ms) ms (one walab request)" "$(ratio 300 "$CW")x under 300 ms"
for id in $(sed -n 's/^check_\(.*\)_ms=.*/\1/p' "$WORK/check.txt" | grep -v '^wall$'); do
    printf '| %-58s | %-44s | %-30s | %-16s |\n' "   $id (duration_ms, median)" "$(get check.txt "check_${id}_ms") ms" "" ""
done
LD=$(get latency.txt latency_delay_ms)
printf '| %-58s | %-44s | %-30s | %-16s |\n' "2b. walab --target aws check, ${LD} ms per AWS call (median)" \
    "$(get latency.txt latency_wall_delay_ms) ms: $(get latency.txt latency_round_trips) round trips, $(get latency.txt latency_calls) calls" \
    "$(get latency.txt latency_wall_0_ms) ms with no delay" "<= 6 round trips"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "    first run (nothing recorded yet), ${LD} ms per call" \
    "$(get latency.txt latency_first_wall_delay_ms) ms, $(get latency.txt latency_first_calls) calls" "" \
    "$(get latency.txt latency_passed) passed"
FF=$(get tui.txt tui_first_frame_ms) FV=$(get tui.txt tui_version_ms)
printf '| %-58s | %-44s | %-30s | %-16s |\n' "3. walkthrough start-up to first frame (median, pty)" "$FF ms" \
    "$FV ms (walab --version: process start)" "$(ratio 50 "$FF")x under 50 ms"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   key-to-redraw while every check runs (p99 of $(get tui.txt tui_keys))" \
    "$(get tui.txt tui_key_p99_ms) ms (p50 $(get tui.txt tui_key_p50_ms) ms)" "" "$(ratio 16 "$(get tui.txt tui_key_p99_ms)")x under 16 ms"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "4. walkthrough idle CPU over $(get tui.txt tui_idle_secs) s" \
    "$(get tui.txt tui_idle_cpu_secs) s of CPU" "" "goal ~0"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   walkthrough resident memory" "$(get tui.txt tui_rss_mb) MB" "" \
    "$(ratio 30 "$(get tui.txt tui_rss_mb)")x under 30 MB"
row5() { # LABEL FILE GOAL
    local rps ok err cpu secs
    rps=$(get "$2" rps) ok=$(get "$2" ok) err=$(get "$2" errors) cpu=$(get "$2" server_cpu_secs) secs=$(get "$2" secs)
    printf '| %-58s | %-44s | %-30s | %-16s |\n' "$1" \
        "$rps req/s ($ok ok, $err errors; server CPU $(ratio "$cpu" "$secs") cores)" "$4" "$(ratio "$rps" "$3")x goal ($3/s)"
}
row5 "5. cached authenticated GETs through the edge" load-cached.txt 20000 ""
row5 "   uncached GETs (authorizer + origin, unique query)" load-uncached.txt 5000 ""
row5 "   AdminInitiateAuth (tokens/s)" load-auth.txt 1000 ""
if [ "$HAVE_MOTO" = 1 ]; then
    MR=$(get load-moto.txt rps) A2=$(get load-auth2.txt rps)
    printf '| %-58s | %-44s | %-30s | %-16s |\n' "   AdminInitiateAuth vs moto_server (peer)" "$A2 req/s" \
        "$MR req/s ($(get load-moto.txt errors) errors)" "$(ratio "$A2" "$MR")x moto / >=20x"
else
    printf '| %-58s | %-44s | %-30s | %-16s |\n' "   AdminInitiateAuth vs moto_server (peer)" "" "moto[server] not installable" ""
fi
if [ -n "${BASELINE_WALAB:-}" ]; then
    for scenario in cached uncached auth; do
        printf '| %-58s | %-44s | %-30s | %-16s |\n' "   before/after: $scenario (this build vs BASELINE_WALAB)" \
            "$(get "load-$scenario.txt" rps) req/s" "$(get "base-$scenario.txt" rps) req/s (baseline)" \
            "$(ratio "$(get "load-$scenario.txt" rps)" "$(get "base-$scenario.txt" rps)")x"
    done
fi
SIGNS=$(get rsa.txt signs_per_cpu_sec)
AUTH_CPU=$(get load-auth.txt server_cpu_secs) AUTH_SECS=$(get load-auth.txt secs) AUTH_RPS=$(get load-auth.txt rps)
BOUND_ALL=$(awk -v s="$SIGNS" -v n="$(nproc)" 'BEGIN{printf "%.0f", s*n/2}')
BOUND_USED=$(awk -v s="$SIGNS" -v c="$AUTH_CPU" -v t="$AUTH_SECS" 'BEGIN{ if (t>0) printf "%.0f", s*(c/t)/2; else print 0 }')
printf '| %-58s | %-44s | %-30s | %-16s |\n' "6. sign-ins with durable commits (AdminInitiateAuth)" "$AUTH_RPS/s on $(ratio "$AUTH_CPU" "$AUTH_SECS") cores" \
    "$BOUND_USED/s (2 RS256 on those cores)" "$(awk -v a="$AUTH_RPS" -v b="$BOUND_USED" 'BEGIN{ if (b>0) printf "%.0f%%", 100*a/b }') of bound / >=90%"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   RSA bound: RS256 signatures per CPU-second" "$SIGNS/s" "$BOUND_ALL sign-ins/s on $(nproc) cores" ""
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   SignUp latency with 1k users (p50, p99, one at a time)" \
    "$(get writes.txt small_p50_ms) ms, $(get writes.txt small_p99_ms) ms" "" ""
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   SignUp latency with $(get writes.txt large_users) users (p50, p99)" \
    "$(get writes.txt large_p50_ms) ms, $(get writes.txt large_p99_ms) ms" "$(get writes.txt small_p50_ms) ms at 1k" \
    "$(ratio "$(get writes.txt large_p50_ms)" "$(get writes.txt small_p50_ms)")x (flat ~1x)"
printf '| %-58s | %-44s | %-30s | %-16s |\n' "   store size after them" "$(awk -v b="$DB_BYTES" 'BEGIN{printf "%.1f MB", b/1e6}')" \
    "$(get writes.txt fill_rps) sign-ups/s while filling" ""
fi # rows 1 to 6
R() { printf '| %-58s | %-44s | %-30s | %-16s |\n' "$@"; }
R "7. a room: $(get room.txt attendees) attendees join (p50, p99)" \
    "$(get room.txt join_p50_ms) ms, $(get room.txt join_p99_ms) ms ($(get room.txt join_secs) s in all)" "" ""
R "   $(get room.txt active) attendees' lab loop at once: edge p99" \
    "$(get room.txt edge_p99_ms) ms (p50 $(get room.txt edge_p50_ms) ms)" "" "$(ratio 100 "$(get room.txt edge_p99_ms)")x under 100 ms"
R "   sign-ins/s during it" "$(get room.txt sign_in_rps)/s ($(get room.txt errors) errors)" "" ""
R "   reports sent, signed (POST p50, p99)" \
    "$(get room.txt reports) ($(get room.txt report_errors) failed): $(get room.txt report_post_p50_ms) ms, $(get room.txt report_post_p99_ms) ms" "" ""
R "   report to the dashboard's snapshot (p50, p99)" \
    "$(get room.txt report_p50_ms) ms, $(get room.txt report_p99_ms) ms ($(get room.txt report_unseen) never shown)" \
    "dashboard asks every 1 s" ""
R "   report to the dashboard's snapshot, slowest of all" "$(get room.txt report_max_ms) ms" "" \
    "$(ratio 2000 "$(get room.txt report_max_ms)")x under 2 s"
R "   snapshot during the loop (p50, slowest of $(get room.txt snapshots))" \
    "$(get room.txt snapshot_p50_ms) ms, $(get room.txt snapshot_max_ms) ms" "" ""
R "   room server resident memory (peak)" "$ROOM_RSS_MB MB" "" "$(ratio 200 "$ROOM_RSS_MB")x under 200 MB"
R "   walab room --json (whole command, slowest of 3)" "$ROOM_JSON_MS ms" "" "$(ratio 500 "$ROOM_JSON_MS")x under 500 ms"
R "   load average (1, 5, 15 min) before, after" "$LOAD_AVG_BEFORE · $LOAD_AVG_AFTER" "" ""
echo
echo "The load generator runs on the same $(nproc) cores as the server (1 client thread, $LOAD_CONNS keep-alive"
echo "connections); 'server CPU' is the cores walab serve used. Rows 3 and 4 run the walkthrough in a"
echo "pseudo-terminal at 120x40 (benches/walkthrough.py); it joins the bench's walab serve."

# The soak bench (issue 13), optional: SOAK=1 benches/run.sh, or benches/soak.sh on its own.
if [ "${SOAK:-0}" = 1 ]; then
    echo
    say "soak: the flood, slowloris, sign-ins and the 1 MB XML (benches/soak.sh)"
    PROFILE=release benches/soak.sh
fi
