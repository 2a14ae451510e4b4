#!/usr/bin/env python3
"""Floods one connection with 2,000 lines the user table refuses (`connect nobody`,
`connect <yourself>`, `goodbye` outside a chat), with the command budget lifted, and prints how
many refusals the server sent one by one and how many it counted instead.

    python3 bench/table_refusals.py target/release/server
"""

import re
import socket
import os
import subprocess
import tempfile
import sys

IGNORED = re.compile(rb"\(server\): ([0-9,]+) more lines? like that (?:were|was) ignored$")


def main():
    binary = sys.argv[1]
    # Its identity key in a folder of its own (not ~/.config).
    home = tempfile.mkdtemp(prefix="labchat-bench-")
    server = subprocess.Popen([binary, "0", "--no-advertise", "--command-rate", "1000000"],
                              env={**os.environ, "XDG_CONFIG_HOME": home},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for line in server.stdout:
            if line.startswith("Listening on port"):
                port = int(line.split()[3].rstrip("."))
                break
        sock = socket.create_connection(("127.0.0.1", port))
        lines = sock.makefile("rb")
        lines.readline()  # Welcome to labchat! ...
        lines.readline()  # You have 30 seconds to send a name.
        sock.sendall(b"flooder\n")
        lines.readline()  # Hello flooder! ...
        for command in [b"connect nobody", b"connect flooder", b"goodbye"]:
            # The status at the end marks where the answers to the flood end.
            sock.sendall((command + b"\n") * 2000 + b"status\n")
            told = counted = 0
            while True:
                line = lines.readline().rstrip(b"\n")
                repeats = IGNORED.match(line)
                if repeats:
                    counted += int(repeats.group(1).replace(b",", b""))
                elif line.endswith(b" online:"):
                    lines.readline()  # the one row
                    break
                else:
                    told += 1
            print(f"2,000 x {command.decode()!r}: {told} refusals sent, {counted} counted",
                  flush=True)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
