# SPDX-License-Identifier: MIT
"""Chunks that carry their own number, for it_nats.sh.

  nats_chunks.py make N FILE          N chunks of 4096 bytes: an 8-byte
                                      little-endian index, then bytes
                                      derived from it
  nats_chunks.py check N FILE...      every chunk intact; prints
                                      "chunks=C distinct=D missing=M
                                      repeated=R in-order=yes|no" over all
                                      FILEs together, then per FILE
                                      "FILE: chunks=C repeated=R"
"""
import struct
import sys

SIZE = 4096


def chunk(i):
    head = struct.pack("<Q", i)
    body = bytes(((i * 7 + k) & 0xFF) for k in range(256)) * 16
    return head + body[: SIZE - len(head)]


def make(n, path):
    with open(path, "wb") as f:
        for i in range(n):
            f.write(chunk(i))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) % SIZE:
        sys.exit(f"{path}: {len(data)} bytes is not a whole number of chunks")
    out = []
    for off in range(0, len(data), SIZE):
        c = data[off : off + SIZE]
        i = struct.unpack("<Q", c[:8])[0]
        if c != chunk(i):
            sys.exit(f"{path}: chunk at byte offset {off} is corrupt")
        out.append(i)
    return out


def check(n, paths):
    seen = {}
    in_order = True
    per = []
    for p in paths:
        ids = read(p)
        in_order = in_order and ids == sorted(ids)
        per.append((p, len(ids), len(ids) - len(set(ids))))
        for i in ids:
            seen[i] = seen.get(i, 0) + 1
    total = sum(seen.values())
    missing = sum(1 for i in range(n) if i not in seen)
    repeated = total - len(seen)
    print(f"chunks={total} distinct={len(seen)} missing={missing} "
          f"repeated={repeated} in-order={'yes' if in_order else 'no'}")
    for p, c, r in per:
        print(f"{p}: chunks={c} repeated={r}")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        make(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "check":
        check(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit(__doc__)
