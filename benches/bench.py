#!/usr/bin/env python3
"""Timing helpers for benches/run.sh (not a test; numbers only make sense as ratios in one run).

  bench.py loop WALAB CF_URL USER PASSWORD POOL CLIENT SECRET RUNS
      the lab loop (token, request without, request with) done by walab and by the lab's
      Python scripts, alternating, RUNS times each; prints `key=value` lines.
  bench.py check WALAB RUNS
      `walab check` wall time (RUNS times) and `walab check --json` per-check durations.
  bench.py moto-setup ENDPOINT
      creates a pool, a secret-bearing client and a confirmed user in moto; prints them.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv, env=None, expect=0):
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        sys.stderr.write(f"bench: {argv[0]} {argv[1]} exited {done.returncode}: {done.stderr.decode()[-400:]}\n")
        sys.exit(1)
    return elapsed, done.stdout.decode()


def loop(walab, url, user, password, pool, client, secret, runs):
    env = dict(os.environ)
    py_env = dict(env, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    walab_times, python_times = [], []
    for i in range(runs * 2):
        if i % 2 == 0:
            t1, token = timed([walab, "token"], env)
            t2, _ = timed([walab, "request", url], env)
            t3, _ = timed([walab, "request", url, token.strip()], env)
            walab_times.append((t1, t2, t3))
        else:
            py = sys.executable
            t1, token = timed([py, f"{HERE}/lab_token.py", user, password, pool, client, secret], py_env)
            t2, _ = timed([py, f"{HERE}/lab_request.py", url], py_env)
            t3, out = timed([py, f"{HERE}/lab_request.py", url, token.strip()], py_env)
            if not out.startswith("200"):
                sys.stderr.write(f"bench: the lab's request script got {out[:80]!r}\n")
                sys.exit(1)
            python_times.append((t1, t2, t3))

    def med(rows, i=None):
        return statistics.median(sum(r) if i is None else r[i] for r in rows) * 1000

    for name, rows in (("walab", walab_times), ("python", python_times)):
        print(f"{name}_total_ms={med(rows):.1f}")
        for i, step in enumerate(("token", "request", "request_token")):
            print(f"{name}_{step}_ms={med(rows, i):.1f}")
    print(f"runs={runs}")


def check(walab, runs):
    walls, per_check = [], {}
    for i in range(runs):
        wall, _ = timed([walab, "check"])
        walls.append(wall * 1000)
        _, out = timed([walab, "check", "--json"])
        report = json.loads(out)
        for c in report["checks"]:
            per_check.setdefault(c["id"], []).append(c["duration_ms"])
        if report["failed"]:
            sys.stderr.write(f"bench: a check failed on the solved lab: {out[:400]}\n")
            sys.exit(1)
    print(f"check_wall_ms={statistics.median(walls):.1f}")
    print(f"check_runs={runs}")
    for cid, values in per_check.items():
        print(f"check_{cid}_ms={statistics.median(values):.1f}")


def moto_setup(endpoint):
    import boto3

    c = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    pool = c.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    client = c.create_user_pool_client(
        UserPoolId=pool,
        ClientName="bench",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    user, password = "learner@example.com", "Bench-Passw0rd!"
    c.admin_create_user(UserPoolId=pool, Username=user, TemporaryPassword=password, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool, Username=user, Password=password, Permanent=True)
    print(json.dumps({"pool": pool, "client": client["ClientId"], "secret": client["ClientSecret"],
                      "user": user, "password": password}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "loop":
        loop(*args[:7], int(args[7]))
    elif command == "check":
        check(args[0], int(args[1]))
    elif command == "moto-setup":
        moto_setup(args[0])
    else:
        sys.exit(f"unknown command {command}")
