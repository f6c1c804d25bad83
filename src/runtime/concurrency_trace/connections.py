"""TCP connections between traces: the channel ids of both ends, derived
from the addresses (the same numbers in the traces of both ends, on any
host), so that `merge` pairs what one part sent with what another received.

A TCP socket's inode means nothing on the other host, so a TCP end's
channel is a hash of the direction it sends in: this end's channel is
hash("tcp <this ip:port> > <peer ip:port>"), its peer's the hash of the
reverse; both sides compute both.  The addresses come from /proc/net/tcp
and tcp6 (the process's network namespace), found by the socket's inode:
no descriptor is duplicated or touched.  A connection through NAT shows
different addresses at its two ends and does not pair.

CONN_OPEN names both channels and the addresses (once per connection and
process), like PIPE_OPEN for a Unix socket.
"""
import os
import stat
import sys
import zlib

from . import events, writer as _w

CONN_OPEN = events.CONN_OPEN
CHANNEL_BASE = 1 << 52
_MASK51 = (1 << 51) - 1
_S_ISSOCK = stat.S_ISSOCK
_LINUX = sys.platform.startswith("linux")


def stream_channel(src, dst):
    """Channel id of the direction src -> dst ("ip:port" texts): 2**52 + 51
    bits of two crc32s, inside the channel range of events.py."""
    data = ("tcp %s>%s" % (src, dst)).encode("ascii", "replace")
    h = (zlib.crc32(data) << 19) ^ zlib.crc32(data[::-1], 0x2545F491)
    return CHANNEL_BASE | (h & _MASK51)


def _ip4(word):
    """/proc/net/tcp's address: 8 hex digits, the 4 bytes in host (little-endian) order."""
    b = bytes.fromhex(word)
    if sys.byteorder == "little":
        b = b[::-1]
    return "%d.%d.%d.%d" % tuple(bytearray(b))


def _ip6(words):
    """/proc/net/tcp6's address: 32 hex digits, four 32-bit words each in host order."""
    raw = bytes.fromhex(words)
    if sys.byteorder == "little":
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    if raw[:12] == b"\0" * 10 + b"\xff\xff":        # IPv4-mapped: as the IPv4 end sees it
        return "%d.%d.%d.%d" % tuple(bytearray(raw[12:]))
    groups = ["%x" % ((raw[i] << 8) | raw[i + 1]) for i in range(0, 16, 2)]
    return "[%s]" % ":".join(groups)


def _endpoint(field, six):
    addr, port = field.split(":")
    return "%s:%d" % (_ip6(addr) if six else _ip4(addr), int(port, 16))


def tcp_endpoints(ino):
    """(this "ip:port", peer "ip:port") of the TCP socket with inode `ino`,
    or None (not TCP, not Linux, not found)."""
    if not _LINUX or not ino:
        return None
    want = str(ino)
    for name, six in (("/proc/self/net/tcp", False), ("/proc/self/net/tcp6", True)):
        try:
            with open(name, "r") as f:
                f.readline()
                for line in f:
                    cols = line.split()
                    # sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ...
                    if len(cols) > 9 and cols[9] == want:
                        return _endpoint(cols[1], six), _endpoint(cols[2], six)
        except (OSError, ValueError, IndexError):
            continue
    return None


def tcp_channels(conn):
    """(this end's channel, the peer end's) of a Connection over TCP, or ()
    for anything else; cached on the connection.  The first time, a CONN_OPEN
    record names both and the addresses."""
    d = conn.__dict__
    hit = d.get("_ct_tcp")
    if hit is not None:
        return hit
    hit = ()
    handle = conn._handle
    if handle is not None:
        try:
            st = os.fstat(handle)
        except (OSError, TypeError, ValueError, OverflowError):
            st = None
        if st is not None and _S_ISSOCK(st.st_mode):
            ends = tcp_endpoints(st.st_ino)
            if ends is not None:
                this, peer = ends
                hit = (stream_channel(this, peer), stream_channel(peer, this))
                if _w.enabled:
                    _w.point(CONN_OPEN, hit[0], 0, hit[1], _w.intern("%s > %s" % (this, peer)))
    d["_ct_tcp"] = hit
    return hit

