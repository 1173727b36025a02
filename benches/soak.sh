#!/usr/bin/env bash
# walab's soak bench (issue 13): a hostile neighbour's traffic against a `walab serve` on
# loopback — the flood of unique URLs, slowloris, 100,000 sign-ins of one user, the 1 MB XML
# with 90,000 attributes — with the server's RSS, the state's growth and a normal edge GET's
# p99 measured throughout. Prints one Markdown table (the README's).
#
#   benches/soak.sh                       # everything (a few minutes in release)
#   SOAK_SIGNINS=20000 SOAK_SLOW=1500 benches/soak.sh
#   SOAK_PHASES=flood,xml benches/soak.sh
#   PROFILE=debug benches/soak.sh         # the debug build (slower; no release build needed)
#
# The server listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
export CARGO_TERM_COLOR=never AWS_EC2_METADATA_DISABLED=true
say() { echo "soak: $*" >&2; }

TARGET=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$PROFILE" = release ]; then
    say "building (release)"
    cargo build --release --locked --quiet
    BENCH_FLAGS=(--profile bench)
else
    cargo build --locked --quiet
    BENCH_FLAGS=(--profile dev)
fi
WALAB=$TARGET/$PROFILE/walab
SOAK_BIN=$(cargo bench --locked "${BENCH_FLAGS[@]}" --bench soak --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
[ -x "$SOAK_BIN" ] || { say "cannot find the soak bench's binary"; exit 1; }

WORK=$(mktemp -d)
export WALAB_DATA_DIR=$WORK/data WALAB_CONFIG_DIR=$WORK/config WALAB_INVALIDATION_SECS=0 WALAB_DEPLOY_SECS=0
SERVE_PID=
cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

say "starting walab serve"
STATE=$WORK/lab
mkfifo "$WORK/serve.out"
"$WALAB" serve --listen 127.0.0.1:0 --json --fresh --state-dir "$STATE" --invalidation-secs 0 --deploy-secs 0 \
    >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVE_PID=$!
exec 3<"$WORK/serve.out"
read -r -t 60 INFO <&3 || { say "walab serve did not start"; cat "$WORK/serve.log" >&2; exit 1; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval("d"+sys.argv[2]))' "$INFO" "$1"; }
hostport() { python3 -c 'import sys,urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).netloc)' "$1"; }
AWS_URL=$(field '["aws_endpoint_url"]')
export AWS_ENDPOINT_URL=$AWS_URL AWS_ACCESS_KEY_ID=soak AWS_SECRET_ACCESS_KEY=soak AWS_REGION=us-east-1
USER_NAME=$(field '["demo_user"]["username"]')
export WALAB_PASSWORD
WALAB_PASSWORD=$(field '["demo_user"]["password"]')

say "solving the lab, so that a token gets 200s"
timeout 300 "$WALAB" --target aws check --solve --yes >/dev/null 2>"$WORK/solve.log" || true
timeout 120 "$WALAB" --target aws config set username "$USER_NAME" 2>/dev/null
TOKEN=$(timeout 120 "$WALAB" --target aws token 2>"$WORK/token.log") || { cat "$WORK/token.log" >&2; exit 1; }
SECRET=$(python3 - "$STATE" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/lab.sqlite3")
for (body,) in db.execute("SELECT body FROM records WHERE kind = 'cognito.client'"):
    print(json.loads(body).get("secret", ""))
    break
EOF
)

say "soaking (phases: ${SOAK_PHASES:-all})"
WALAB_SOAK_EDGE=$(hostport "$(field '["cloudfront_endpoint"]')") WALAB_SOAK_AWS=$(hostport "$AWS_URL") \
WALAB_SOAK_PID=$SERVE_PID WALAB_SOAK_STATE=$STATE WALAB_SOAK_TOKEN=$TOKEN \
WALAB_SOAK_POOL=$(field '["user_pool_id"]') WALAB_SOAK_CLIENT=$(field '["app_client_id"]') \
WALAB_SOAK_SECRET=$SECRET WALAB_SOAK_USER=$USER_NAME WALAB_SOAK_PASSWORD=$WALAB_PASSWORD \
WALAB_SOAK_SIGNINS=${SOAK_SIGNINS:-100000} WALAB_SOAK_SLOW=${SOAK_SLOW:-1500} WALAB_SOAK_PHASES=${SOAK_PHASES:-} \
    timeout 3600 "$SOAK_BIN"
