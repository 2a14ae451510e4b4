#!/usr/bin/env python3
"""A bystander's round trip while another client asks for `status` as fast as it can.

    cargo build --release -p server
    python3 bench/status_loop.py target/release/server            # with the status loop
    python3 bench/status_loop.py target/release/server --quiet    # without it, for comparison
    python3 bench/status_loop.py target/release/server -- --status-rate 1000000   # no limit

Starts the server (with --max-per-host and --max-per-network lifted: every client is on
127.0.0.1), registers 2,000 idle users and a pair, alice and bob, then measures 3,000 round
trips (alice -> bob -> alice) while a separate process (this script with --looper, so that Python's lock does not couple
the two) sends `status` in a loop and reads what comes back. Prints the round trip p50, p99
and max, and the looper's answers and refusals a second. Figures only; it checks nothing.
"""
import re
import socket
import os
import subprocess
import tempfile
import sys
import threading
import time

IDLE = 2000
ROUNDS = 3000


def register(port, name):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lines = sock.makefile("rb")
    lines.readline()  # Welcome to labchat! ...
    lines.readline()  # You have 30 seconds to send a name.
    sock.sendall(name.encode() + b"\n")
    hello = lines.readline()
    assert b"Hello" in hello, hello
    return sock, lines


IGNORED = re.compile(rb"\(server\): ([0-9,]+) more lines? like that (?:were|was) ignored$")


def looper(port, seconds):
    sock, _ = register(port, "looper")
    counts = {"answers": 0, "refusals": 0}

    def read():
        pending = b""
        while True:
            try:
                data = sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            *complete, pending = (pending + data).split(b"\n")
            for line in complete:
                if line.endswith(b"users online:"):
                    counts["answers"] += 1
                elif b"too often" in line:
                    counts["refusals"] += 1
                else:
                    # Repeats of a refusal are told as one count.
                    repeats = IGNORED.match(line)
                    if repeats:
                        counts["refusals"] += int(repeats.group(1).replace(b",", b""))

    threading.Thread(target=read, daemon=True).start()
    started = time.time()
    cut_off = ""
    while time.time() - started < seconds:
        try:
            sock.sendall(b"status\n" * 16)
        except OSError as err:
            # The server cuts off a client whose unread answers pass --backlog-limit.
            cut_off = f"; cut off by the server after {time.time() - started:.1f} s ({err})"
            break
    took = time.time() - started
    print(f"looper: {counts['answers'] / took:.0f} answers/s, "
          f"{counts['refusals'] / took:.0f} refusals/s{cut_off}", flush=True)


def main():
    if sys.argv[1] == "--looper":
        looper(int(sys.argv[2]), float(sys.argv[3]))
        return
    binary = sys.argv[1]
    quiet = "--quiet" in sys.argv
    extra = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    # Never on the LAN, and its identity key in a folder of its own (not ~/.config).
    home = tempfile.mkdtemp(prefix="labchat-bench-")
    server = subprocess.Popen([binary, "0", "--no-advertise", "--max-per-host", "100000", "--max-per-network", "100000", *extra],
                              env={**os.environ, "XDG_CONFIG_HOME": home},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for line in server.stdout:
            if line.startswith("Listening on port"):
                port = int(line.split()[3].rstrip("."))
                break
        idle = [register(port, f"idle{i}") for i in range(IDLE)]
        alice, alice_lines = register(port, "alice")
        bob, bob_lines = register(port, "bob")
        alice.sendall(b"connect bob\n")
        alice_lines.readline()
        bob_lines.readline()
        loop = None
        if not quiet:
            loop = subprocess.Popen([sys.executable, __file__, "--looper", str(port), "6"])
            time.sleep(0.5)
        rtts = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            alice.sendall(b"msg p\n")
            bob_lines.readline()
            bob.sendall(b"msg q\n")
            alice_lines.readline()
            rtts.append((time.perf_counter() - started) * 1e6)
        rtts.sort()
        print(f"{IDLE} idle users, status loop {'off' if quiet else 'on'}: round trip "
              f"p50 {rtts[ROUNDS // 2]:.0f} us, p99 {rtts[ROUNDS * 99 // 100]:.0f} us, "
              f"max {rtts[-1]:.0f} us", flush=True)
        if loop:
            loop.wait()
        del idle
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
