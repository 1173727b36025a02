#!/usr/bin/env python3
"""walab check from far away: a latency-injecting TCP proxy between `walab --target aws` and a
`walab serve` lab, and `walab --target aws check` timed through it with and without the delay, in
the same run, alternating.

The proxy holds every HTTP request that walab sends to the AWS endpoint for DELAY ms before it
passes it on (one delay per request, on the way in; answers flow back at once): each AWS call then
costs at least DELAY, as it does for a learner DELAY ms of round trip away from the region. TCP
and TLS set-up are not delayed (the SDK keeps connections alive). The CloudFront edge and the API
Gateway URL are not behind the proxy: they are the lab's own requests, not AWS API calls. The
proxy counts the requests; round trips = (wall with delay - wall without) / DELAY.

  latency.py WALAB AWS_ENDPOINT_URL USERNAME PASSWORD [RUNS] [DELAY_MS]

Prints key=value lines: latency_calls, latency_wall_0_ms, latency_wall_delay_ms, latency_round_trips,
latency_first_wall_delay_ms, latency_first_calls (the first run, with no value recorded yet).
"""
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ", b"PATCH ", b"OPTIONS ")


class Proxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.delay = 0.0
        self.requests = 0
        self.port = None
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        if not ready.wait(10):
            raise SystemExit("latency.py: the proxy did not start")

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)

        async def start():
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            await server.serve_forever()

        self.loop.run_until_complete(start())

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return

        async def inbound():
            while chunk := await reader.read(65536):
                if chunk.startswith(METHODS):
                    self.requests += 1
                    if self.delay:
                        await asyncio.sleep(self.delay)
                up_writer.write(chunk)
                await up_writer.drain()
            up_writer.close()

        async def outbound():
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(inbound(), outbound())
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            up_writer.close()


def check(walab, env):
    started = time.monotonic()
    out = subprocess.run([walab, "--target", "aws", "check", "--json"], env=env, capture_output=True, timeout=300)
    wall = (time.monotonic() - started) * 1000
    try:
        report = json.loads(out.stdout)
    except ValueError:
        raise SystemExit(f"latency.py: walab check printed no JSON: {out.stderr.decode()[-2000:]}")
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    return wall, statuses


def main():
    walab, aws_url, username, password = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 7
    delay_ms = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    parsed = urllib.parse.urlsplit(aws_url)
    proxy = Proxy(parsed.hostname, parsed.port)
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.port}",
        AWS_ACCESS_KEY_ID="AKIDWALABBENCH",
        AWS_SECRET_ACCESS_KEY="walab-bench",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        WALAB_USERNAME=username,
        WALAB_PASSWORD=password,
    )
    # The first run records what it reads (the stacks' values, the client secret); later runs, as
    # a learner's second `walab check`, start from them.
    proxy.delay, proxy.requests = delay_ms / 1000, 0
    first_wall, first = check(walab, env)
    first_calls = proxy.requests
    walls = {0: [], delay_ms: []}
    calls = []
    verdicts = set()
    for _ in range(runs):
        for delay in (0, delay_ms):
            proxy.delay, proxy.requests = delay / 1000, 0
            wall, statuses = check(walab, env)
            walls[delay].append(wall)
            calls.append(proxy.requests)
            verdicts.add(tuple(sorted(statuses.items())))
    if len(verdicts) != 1:
        raise SystemExit(f"latency.py: the verdicts differ between runs: {verdicts}")
    (statuses,) = verdicts
    passed = sum(1 for _, s in statuses if s == "passed")
    w0, wd = statistics.median(walls[0]), statistics.median(walls[delay_ms])
    print(f"latency_delay_ms={delay_ms}")
    print(f"latency_runs={runs}")
    print(f"latency_passed={passed}/{len(statuses)}")
    print(f"latency_calls={statistics.median(calls):.0f}")
    print(f"latency_wall_0_ms={w0:.0f}")
    print(f"latency_wall_delay_ms={wd:.0f}")
    print(f"latency_round_trips={(wd - w0) / delay_ms:.1f}")
    print(f"latency_first_wall_delay_ms={first_wall:.0f}")
    print(f"latency_first_calls={first_calls}")
    print(f"latency_first_passed={sum(1 for s in first.values() if s == 'passed')}/{len(first)}")


if __name__ == "__main__":
    main()
