#!/usr/bin/env python3
# Slow clients (slowloris) of an HTTP server on 127.0.0.1:PORT, for the
# exporter's tests and bench: COUNT connections from 127.0.0.1 ("same") or
# each from an address of its own, 127.0.1.1 on ("many"), that send a
# request line a byte every half second, each made again whenever closed,
# for SECS seconds or until SIGTERM.  Prints how many held a connection at
# the end that had taken at least 5 bytes.
#
#   tests/slow-clients.py PORT COUNT same|many SECS
import signal
import socket
import sys
import time

port, count, many, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == 'many', float(sys.argv[4])
line = b'GET /metrics?' + b'a' * 10000
socks, sent = [None] * count, [0] * count
end = time.monotonic() + secs


def stop(signum, frame):
    global end
    end = 0


signal.signal(signal.SIGTERM, stop)
while time.monotonic() < end:
    for i in range(count):
        if socks[i] is None:
            socks[i] = socket.socket()
            if many:
                socks[i].bind(('127.0.%d.%d' % (1 + i // 250, 1 + i % 250), 0))
            socks[i].setblocking(False)
            socks[i].connect_ex(('127.0.0.1', port))
            sent[i] = 0
            continue
        try:
            sent[i] += socks[i].send(line[sent[i]:sent[i] + 1])
        except BlockingIOError:
            pass
        except OSError:
            socks[i].close()
            socks[i] = None
    time.sleep(0.5)
print(sum(1 for s, n in zip(socks, sent) if s and n >= 5))
