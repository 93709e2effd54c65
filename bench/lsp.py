#!/usr/bin/env python3
"""bench/lsp.py [SVCC] [CONFIG]: re-check latency of `svcc lsp` after a
keystroke. Opens CONFIG (default: Debian's stock dovecot.conf) in a real
`svcc lsp` process, then sends N full-text didChange notifications (one
character typed into a comment each time) and times each from the send to
the publishDiagnostics that answers it. That is what an editor waits for:
the server's re-check of the file and its whole include tree plus the pipe
round trip. The server's own time for each (SVCC_LSP_TIMING=1: from the
notification read to its diagnostics built, on stderr) is printed too.
Prints min/median/p90 in ms."""
import json, os, subprocess, sys, time

svcc = sys.argv[1] if len(sys.argv) > 1 else "target/release/svcc"
conf = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/usr/share/dovecot/dovecot.conf")
n = int(os.environ.get("N", "200"))
timing_log = open(os.environ.get("TIMING_LOG", "/tmp/svcc-lsp-timing.log"), "w+")
p = subprocess.Popen([svcc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=timing_log, env=dict(os.environ, SVCC_LSP_TIMING="1"))

def send(msg):
    body = json.dumps(msg).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()

def recv():
    length = 0
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit("svcc lsp exited")
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(p.stdout.read(length))

def wait_diagnostics(uri):
    while True:
        m = recv()
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            return m

send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None, "rootUri": None}})
while recv().get("id") != 1:
    pass
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
uri = "file://" + conf
text = open(conf).read()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "dovecot", "version": 1, "text": text}}})
wait_diagnostics(uri)
times = []
for i in range(n):
    text += "#" if i % 40 else "\n#"
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": text}]}})
    # The root re-check publishes every file of the tree; the edited one is enough.
    wait_diagnostics(uri)
    times.append((time.perf_counter() - t) * 1000)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
send({"jsonrpc": "2.0", "method": "exit", "params": None})
p.wait(timeout=10)
times.sort()
print(f"svcc lsp re-check after a keystroke, {conf}: n={n} min {times[0]:.2f} ms, "
      f"median {times[len(times)//2]:.2f} ms, p90 {times[int(len(times)*0.9)]:.2f} ms")
timing_log.seek(0)
server = sorted(float(l.split(" handled in ")[1].split()[0])
                for l in timing_log if "textDocument/didChange handled in" in l)
if server:
    print(f"  server time per re-check: n={len(server)} min {server[0]:.2f} ms, "
          f"median {server[len(server)//2]:.2f} ms, p90 {server[int(len(server)*0.9)]:.2f} ms, "
          f"max {server[-1]:.2f} ms")
