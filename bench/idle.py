"""Memory per idle connection: N clients connect (with --tls: and finish a
handshake; with --request: and complete one keep-alive HTTP request), then
stay open and silent. Prints the RSS of the server's processes (the pid and
its children) per idle connection, and how long a new client then waits for
an answer (connect, GET, response), median of 20.

    python3 bench/idle.py PORT N PID OUT [--tls] [--request]

OUT gets one line: KiB-per-connection before-KiB after-KiB new-client-ms.
"""
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import time

port, n, pid, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
use_tls, request = "--tls" in sys.argv, "--request" in sys.argv
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 1000)), hard))
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def rss():
    pids = [pid] + subprocess.run(["ps", "--ppid", pid, "-o", "pid="], capture_output=True, text=True).stdout.split()
    total = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p.strip()}/status"):
                if line.startswith("VmRSS"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if use_tls:
        s = ctx.wrap_socket(s, server_hostname="localhost")
    if request:
        s.sendall(GET)
        got = b""
        while not got.endswith(b"hello\n"):
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("the server closed a keep-alive connection")
            got += chunk
    return s


# Warm up (the first connections allocate the server's one-time state).
for _ in range(20):
    connect().close()
time.sleep(1.5)
before = rss()
conns = [connect() for _ in range(n)]
time.sleep(1.0)
after = rss()
waits = []
for _ in range(20):
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if use_tls:
        s = ctx.wrap_socket(s, server_hostname="localhost")
    s.sendall(GET)
    got = b""
    while not got.endswith(b"hello\n"):
        got += s.recv(4096)
    waits.append((time.monotonic() - t) * 1000)
    s.close()
open(out, "w").write("%.2f %d %d %.2f\n" % ((after - before) / n, before, after, statistics.median(waits)))
