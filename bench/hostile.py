#!/usr/bin/env python3
"""bench/hostile.py: how fast a normal HTTP client is served while hostile
clients hold the server, on loopback. Not a test; not run by CI.

    python3 bench/hostile.py PORT [--slowloris N] [--period S] [--flood N]
                             [--secs S] [--label NAME]

Against a server already listening on 127.0.0.1:PORT (bench/hostile.sh
starts svcc-testd and nginx in turn). Phases, each with a probe every
100 ms (`GET /` with `Connection: close`, a fresh connection, 15 s
timeout; the latency is connect to last byte):

  baseline   3 s, nothing else
  slowloris  N clients (default 3000) send an unfinished request head,
             then one byte each every PERIOD s (default 5), spread evenly;
             a connection the server closes is opened again at once
  after      3 s after the slowloris clients are gone
  flood      N connects (default 20000) as fast as possible, in 2
             processes, held open and silent; not re-opened
  after      3 s after the flood

Prints one line per phase: probes, failures, p50 / p99 / max latency (ms),
and how many attacker connections the server closed.
"""
import argparse
import multiprocessing as mp
import resource
import socket
import time

PROBE_EVERY = 0.1


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def probe(port):
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.settimeout(15)
        s.sendall(b"GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        s.close()
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return time.monotonic() - t0, ok


def probe_for(port, secs):
    out = []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        out.append(probe(port))
        time.sleep(PROBE_EVERY)
    return out


def open_nb(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    return s


def slowloris(port, n, period, stop, closed):
    raise_nofile()
    head = b"GET / HTTP/1.1\r\nHost: x\r\n"
    socks = [[open_nb(port), False] for _ in range(n)]
    gap = period / n
    i = 0
    while not stop.is_set():
        entry = socks[i]
        try:
            entry[0].send(b"a" if entry[1] else head)
            entry[1] = True
        except BlockingIOError:
            pass  # not connected yet (queued in the backlog): next round
        except OSError:
            closed.value += 1
            entry[0].close()
            socks[i] = [open_nb(port), False]
        i = (i + 1) % n
        time.sleep(gap)
    for s, _ in socks:
        s.close()


def flood(port, n, stop, closed):
    raise_nofile()
    socks = [open_nb(port) for _ in range(n)]
    while not stop.is_set():
        time.sleep(0.5)
    gone = 0
    for s in socks:
        try:
            if s.recv(1) == b"":
                gone += 1
        except BlockingIOError:
            pass
        except OSError:
            gone += 1
        s.close()
    closed.value += gone


def summary(name, probes, closed=None):
    lat = sorted(t * 1000 for t, _ in probes)
    fails = sum(1 for _, ok in probes if not ok)

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    extra = "" if closed is None else f", attackers closed by the server: {closed}"
    print(
        f"{name:10} probes {len(probes):4}, failed {fails:3}, "
        f"p50 {pct(0.5):8.1f} ms, p99 {pct(0.99):8.1f} ms, max {lat[-1] if lat else 0:8.1f} ms{extra}",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--slowloris", type=int, default=3000)
    ap.add_argument("--period", type=float, default=5.0)
    ap.add_argument("--flood", type=int, default=20000)
    ap.add_argument("--secs", type=float, default=20.0)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    print(f"== {a.label} (port {a.port})", flush=True)
    summary("baseline", probe_for(a.port, 3))

    stop = mp.Event()
    closed = mp.Value("i", 0)
    p = mp.Process(target=slowloris, args=(a.port, a.slowloris, a.period, stop, closed))
    p.start()
    time.sleep(2)  # let the attack take its slots
    got = probe_for(a.port, a.secs)
    stop.set()
    p.join()
    summary("slowloris", got, closed.value)
    time.sleep(0.5)
    summary("after", probe_for(a.port, 3))

    stop = mp.Event()
    closed = mp.Value("i", 0)
    procs = [
        mp.Process(target=flood, args=(a.port, a.flood // 2, stop, closed)) for _ in range(2)
    ]
    for q in procs:
        q.start()
    got = probe_for(a.port, a.secs)
    stop.set()
    for q in procs:
        q.join()
    summary("flood", got, closed.value)
    time.sleep(0.5)
    summary("after", probe_for(a.port, 3))


if __name__ == "__main__":
    main()
