#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A foreign STRM peer, written only from the wire-format table of
docs/net.md: DATA and EOS frames and CRC32C, nothing of Parallax's code.

  net_peer.py send PORT FILE [--block B] [--fault KIND:N] [--unknown N]
      connect to 127.0.0.1:PORT and send FILE as DATA frames of B bytes,
      then EOS. --fault breaks frame N (1-based): crc (a payload byte
      flipped after the CRC), truncate (close halfway through it), oversize
      (a length over 16 MiB), version (version 2), magic. --unknown N puts a
      frame of kind 7, CRC and all, before frame N. Prints "offset O" for
      the byte offset of the frame it broke.
  net_peer.py recv OUT
      listen on 127.0.0.1, print "port P", accept one sender, write the
      bytes of its DATA frames to OUT until EOS; skip HELLO and kinds it
      does not know after checking their CRC. Prints "frames N".
"""
import socket
import struct
import sys

POLY = 0x82F63B78  # CRC32C, reflected
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def header(kind, payload, version=1, length=None):
    n = len(payload) if length is None else length
    return b"STRM" + struct.pack("<HHII", version, kind, n, crc32c(payload))


def frame(kind, payload):
    return header(kind, payload) + payload


def send(port, path, block, fault, unknown):
    data = open(path, "rb").read()
    chunks = [data[i:i + block] for i in range(0, len(data), block)] or [b""]
    sock = socket.create_connection(("127.0.0.1", port))
    offset, seq = 0, 0
    for n, chunk in enumerate(chunks, 1):
        if unknown == n:
            f = frame(7, b"a kind this version does not know")
            sock.sendall(f)
            offset += len(f)
        seq += 1
        none = -(1 << 63)
        payload = struct.pack("<QqqII", seq, none, none, 0, 0) + chunk
        f = frame(0, payload)
        if fault and fault[1] == n:
            kind = fault[0]
            print("offset %d" % offset, flush=True)
            if kind == "crc":
                f = f[:-1] + bytes([f[-1] ^ 0x40])
            elif kind == "truncate":
                sock.sendall(f[:len(f) // 2])
                sock.close()
                return
            elif kind == "oversize":
                f = header(0, payload, length=(16 << 20) + 1) + payload
            elif kind == "version":
                f = header(0, payload, version=2) + payload
            elif kind == "magic":
                f = b"XTRM" + f[4:]
        sock.sendall(f)
        offset += len(f)
    seq += 1
    sock.sendall(frame(1, struct.pack("<QHH", seq, 1, 0)))
    sock.shutdown(socket.SHUT_WR)
    # Wait for the receiver to close: it has read everything then.
    while sock.recv(65536):
        pass
    sock.close()


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        more = conn.recv(n - len(buf))
        if not more:
            raise EOFError("closed %d bytes into %d" % (len(buf), n))
        buf += more
    return buf


def recv(path):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    print("port %d" % lsock.getsockname()[1], flush=True)
    conn, _ = lsock.accept()
    frames = 0
    with open(path, "wb") as out:
        while True:
            hdr = read_exact(conn, 16)
            if hdr[:4] != b"STRM":
                sys.exit("bad magic")
            version, flags, length, crc = struct.unpack("<HHII", hdr[4:])
            if version != 1:
                sys.exit("version %d" % version)
            payload = read_exact(conn, length)
            if crc32c(payload) != crc:
                sys.exit("CRC mismatch in frame %d" % (frames + 1))
            frames += 1
            kind = flags & 0xF
            if kind == 0:
                out.write(payload[32:])
            elif kind == 1:
                (etype,) = struct.unpack("<H", payload[8:10])
                if etype == 1:
                    break
    print("frames %d" % frames, flush=True)
    conn.close()


def main():
    if sys.argv[1] == "send":
        port, path = int(sys.argv[2]), sys.argv[3]
        block, fault, unknown = 65536, None, 0
        args = sys.argv[4:]
        while args:
            opt = args.pop(0)
            if opt == "--block":
                block = int(args.pop(0))
            elif opt == "--fault":
                kind, n = args.pop(0).split(":")
                fault = (kind, int(n))
            elif opt == "--unknown":
                unknown = int(args.pop(0))
        send(port, path, block, fault, unknown)
    else:
        recv(sys.argv[2])


if __name__ == "__main__":
    main()
