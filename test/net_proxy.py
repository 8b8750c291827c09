#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A TCP proxy that cuts the connection: the dropped link of a real network.

  net_proxy.py [HOST:]UPSTREAM_PORT CUT_BYTES CUTS
      listen on 127.0.0.1, print "port P", then for each client: connect to
      HOST (default 127.0.0.1):UPSTREAM_PORT and forward both ways; after CUT_BYTES more
      bytes from the client, reset both connections (SO_LINGER 0: an RST,
      as a host that vanished), CUTS times; after that, forward to the end.
      Prints "cut N" for each cut and "done" when a client and the
      upstream both closed normally.
"""
import select
import socket
import struct
import sys


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def main():
    host, _, port = sys.argv[1].rpartition(":")
    upstream = (host or "127.0.0.1", int(port))
    cut_bytes, cuts = int(sys.argv[2]), int(sys.argv[3])
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    print("port %d" % lsock.getsockname()[1], flush=True)
    made = 0
    while True:
        client, _ = lsock.accept()
        server = socket.create_connection(upstream)
        budget = cut_bytes if made < cuts else None
        open_ends = {client: server, server: client}
        try:
            budget = forward(client, server, open_ends, budget)
        except OSError as err:
            # One end reset (the other side gave up on this connection):
            # drop both and take the next client.
            print("reset by an end: %s" % err, flush=True)
            budget = -1
        if budget == 0:
            made += 1
            print("cut %d" % made, flush=True)
            reset(client)
            reset(server)
            continue
        client.close()
        server.close()
        if budget is None or budget > 0:
            print("done", flush=True)
            return


def forward(client, server, open_ends, budget):
    """Forward until both directions closed (returns BUDGET left, None for
    no limit) or the client sent BUDGET bytes (returns 0)."""
    while open_ends:
        ready, _, _ = select.select(list(open_ends), [], [])
        for s in ready:
            if s not in open_ends:
                continue
            data = s.recv(65536)
            if s is client and budget is not None and data:
                data = data[:budget]
                budget -= len(data)
                server.sendall(data)
                if budget == 0:
                    return 0
                continue
            if not data:
                # A half close: pass it on, keep the other direction.
                try:
                    open_ends.pop(s).shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            open_ends[s].sendall(data)
    return budget


if __name__ == "__main__":
    main()
