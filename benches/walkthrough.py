"""Rows 3 and 4 of the bench: the walkthrough as a person feels it, in a pseudo-terminal.

Start-up to first frame (against the same binary's `--version` as the process-start
baseline), key-to-redraw while checks run, CPU over an idle stretch, and resident memory.
Standard library only. Prints key=value lines for benches/run.sh.
"""

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time


def spawn(argv, cols=120, rows=40):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def read_until(fd, needle, limit):
    """Reads until `needle` has appeared; returns the seconds it took, or None."""
    start, seen = time.perf_counter(), b""
    while time.perf_counter() - start < limit:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return None
            seen += chunk
            if needle in seen:
                return time.perf_counter() - start
    return None


def drain(fd, quiet=0.2):
    """Reads until the terminal has been quiet for `quiet` seconds."""
    while select.select([fd], [], [], quiet)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


def stop(pid, fd):
    try:
        os.write(fd, b"q")
    except OSError:
        pass
    deadline = time.time() + 5
    while time.time() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        drain(fd, 0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(walab, runs, keys, idle_secs):
    starts, versions = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([walab, "--version"], stdout=subprocess.DEVNULL, check=True)
        versions.append(time.perf_counter() - t)
        t = time.perf_counter()
        pid, fd = spawn([walab])
        took = read_until(fd, b"Steps", 10)
        if took is None:
            sys.stderr.write("bench: the walkthrough drew no first frame\n")
            sys.exit(1)
        starts.append(time.perf_counter() - t)
        drain(fd)
        stop(pid, fd)

    # Key-to-redraw: each R starts every check; the j or k right after it must redraw at once.
    pid, fd = spawn([walab])
    read_until(fd, b"Steps", 10)
    drain(fd)
    delays = []
    for i in range(keys):
        os.write(fd, b"R")
        drain(fd, 0.005)
        t = time.perf_counter()
        os.write(fd, b"j" if i % 2 == 0 else b"k")
        if select.select([fd], [], [], 2)[0]:
            delays.append(time.perf_counter() - t)
            os.read(fd, 65536)
    drain(fd, 1.0)

    # Idle: nothing running, nothing pressed.
    before = cpu_secs(pid)
    time.sleep(idle_secs)
    idle_cpu = cpu_secs(pid) - before
    rss = rss_kb(pid)
    stop(pid, fd)

    delays.sort()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))] if delays else float("nan")
    print(f"tui_first_frame_ms={statistics.median(starts) * 1000:.1f}")
    print(f"tui_version_ms={statistics.median(versions) * 1000:.1f}")
    print(f"tui_runs={runs}")
    print(f"tui_key_p50_ms={statistics.median(delays) * 1000:.2f}")
    print(f"tui_key_p99_ms={p99 * 1000:.2f}")
    print(f"tui_keys={len(delays)}")
    print(f"tui_idle_cpu_secs={idle_cpu:.3f}")
    print(f"tui_idle_secs={idle_secs}")
    print(f"tui_rss_mb={rss / 1024:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
