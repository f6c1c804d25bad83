"""multiprocessing Connection and Pipe(): every message sent and received.

All Connection traffic ends in Connection._send_bytes / _recv_bytes, so those
two are patched (on the class: Listener/Client connections inherit it).  The
bytes on the wire are never touched: a reader that is not traced reads exactly
what it would read untraced.  Instead both ends describe what they moved:

* the channel: the pipe's or socket's inode, which is the same number in every
  process that holds the descriptor (inherited by fork, passed to a spawned
  child, dup'ed by resource_sharer), so no id has to travel with the data;
* the content key: crc32 and length of the message, so a receive is paired
  with its send even when several processes write to one pipe.

A Pipe() created by user code also gets an OBJECT and a PIPE_OPEN record that
names the channels of its two ends (a socketpair's ends have two inodes).

Who is traced is decided per call: a send/recv called directly from user code,
or one that a traced queue operation asked for (through `send_msg` /
`recv_want`, keyed by thread).  The standard library's own traffic (Pool
workers, managers, resource sharer, queue internals) stays untraced.

Also here: a post-import hook, so multiprocessing is patched when the program
imports it and costs nothing in processes that never do.
"""
import _thread
import binascii
import os
import stat
import sys

from .import_hooks import after_import
from . import connections, events, names, patching, perturb, safety, sites, writer as _w

PIPE_SEND = events.PIPE_SEND
PIPE_RECV = events.PIPE_RECV
PIPE_OPEN = events.PIPE_OPEN
OBJECT = events.OBJECT

CHANNEL_BASE = 1 << 52
MANAGER_BASE = (1 << 52) | (1 << 51)

# Hand-offs between a traced queue operation and the Connection call it makes,
# keyed by thread ident (dict get/set/pop are atomic under the GIL):
send_msg = {}    # ident -> message id the thread's next _send_bytes carries
recv_want = {}   # ident -> None while a queue get waits, then the content key

_getframe = sys._getframe
_get_ident = _thread.get_ident
_crc32 = binascii.crc32
_is_user = sites.is_user_frame
_site = sites.site
_S_ISSOCK = stat.S_ISSOCK
_failed = safety.failed
_hide = safety.hide

_originals = {}


# --- identities ---------------------------------------------------------------

def channel_of(conn, link=False):
    """Channel id of a Connection (cached on it): its descriptor's (device,
    inode), below 2**53; -1 if it has none.

    With link=True: if the connection is a Unix socket (a Listener/Client
    connection, or a Pipe() end made where we did not see it), also write a
    PIPE_OPEN naming its peer's channel, so that its traffic pairs.  A client's
    peer has no inode until the listener accepts it: until the peer is found
    (a few tries) the channel is not cached, so the next send/recv asks again."""
    chan = conn.__dict__.get("_ct_chan")
    if chan:
        return chan
    handle = conn._handle
    if handle is None:
        return -1
    try:
        st = os.fstat(handle)
        chan = CHANNEL_BASE | ((st.st_dev & 0x7ff) << 40) | (st.st_ino & 0xffffffffff)
    except (OSError, TypeError, ValueError, OverflowError):
        st = None
        chan = -1
    settled = True
    if link and st is not None and _S_ISSOCK(st.st_mode) and _w.enabled:
        try:
            peer = unix_peer_inode(st.st_ino)
            if peer:
                peer_chan = CHANNEL_BASE | ((st.st_dev & 0x7ff) << 40) | (peer & 0xffffffffff)
                _w.point(PIPE_OPEN, chan, 0, chan, peer_chan)
            elif connections.tcp_channels(conn):
                chan = connections.tcp_channels(conn)[0]    # TCP: from the addresses (pairs across hosts)
            else:
                tries = conn.__dict__.get("_ct_tries", 0) + 1
                conn._ct_tries = tries
                settled = tries >= 8
        except Exception:
            _failed()
    if settled:
        try:
            conn._ct_chan = chan
        except Exception:
            _failed()
    return chan


def unix_peer_inode(ino):
    """Inode of the other end of the Unix socket with inode `ino` (Linux
    sock_diag netlink, about 10 us), or 0 where that is not available."""
    if not sys.platform.startswith("linux"):
        return 0
    import socket
    import struct
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)   # NETLINK_SOCK_DIAG
    try:
        s.settimeout(1.0)
        # unix_diag_req: family, protocol, pad, states (all), ino, show (UDIAG_SHOW_PEER), cookie (none)
        req = struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, 0xffffffff, ino, 4, 0xffffffff, 0xffffffff)
        # nlmsghdr: len, type (SOCK_DIAG_BY_FAMILY), flags (NLM_F_REQUEST), seq, pid
        s.sendto(struct.pack("=IHHII", 16 + len(req), 20, 1, 1, 0) + req, (0, 0))
        data = s.recv(8192)
    finally:
        s.close()
    length, kind = struct.unpack_from("=IH", data, 0)
    if kind != 20:
        return 0
    off, end = 16 + 16, min(length, len(data))     # after nlmsghdr and unix_diag_msg
    while off + 4 <= end:
        rta_len, rta_type = struct.unpack_from("=HH", data, off)
        if rta_len < 4:
            break
        if rta_type == 2:                             # UNIX_DIAG_PEER
            return struct.unpack_from("=I", data, off + 4)[0]
        off += (rta_len + 3) & ~3
    return 0


def content_key(buf):
    """(len & 0xFFFFF) << 32 | crc32 of a bytes-like object of itemsize 1.

    Messages above 8 KiB are hashed over their first and last 4 KiB only: the
    length and both ends tell messages apart well enough, and the cost stays
    bounded for big payloads."""
    n = len(buf)
    if n <= 8192:
        crc = _crc32(buf)
    else:
        crc = _crc32(buf[n - 4096:], _crc32(buf[:4096]))
    return ((n & 0xfffff) << 32) | crc


# --- call sites and labels ---------------------------------------------------

_skip_codes = None


def _context_codes():
    """Code objects of multiprocessing.context's factory methods (ctx.Queue(),
    ctx.Pipe()…): the creator is whoever called those."""
    global _skip_codes
    codes = set()
    context = sys.modules.get("multiprocessing.context")
    if context is not None:
        for cls in (getattr(context, "BaseContext", None),):
            for value in vars(cls).values() if cls is not None else ():
                code = getattr(value, "__code__", None)
                if code is not None:
                    codes.add(code)
        _skip_codes = frozenset(codes)
    return codes


def creator(depth, also_skip=()):
    """(frame, depth) of the code that asked for an object: `depth` is counted
    as in sites.site (1 = the caller of the function calling creator), and
    multiprocessing.context's factory methods (plus the code objects in
    `also_skip`) are stepped over."""
    skip = _skip_codes if _skip_codes is not None else _context_codes()
    f = _getframe(depth + 1)
    while f is not None and (f.f_code in skip or f.f_code in also_skip):
        f = f.f_back
        depth += 1
    return f, depth


def label_of(frame):
    """The name the creating statement gives the object (names.py):
    `q = Queue()` -> "q", `self.r, self.w = Pipe()` -> "self.r, self.w", or
    "".  A subclass's __init__ calling super().__init__ is stepped over."""
    hops = 0
    while frame.f_code.co_name == "__init__" and frame.f_back is not None and hops < 4:
        frame = frame.f_back
        hops += 1
    return names.assigned_name(frame)


def write_object(obj, type_name, frame, depth):
    """OBJECT record for a queue / pipe created by `frame` (at `depth`, counted
    from the caller of write_object's caller as in sites.site)."""
    label = label_of(frame)
    _w.point(OBJECT, obj, _site(depth + 1), _w.intern(type_name),
             _w.intern(label) if label else 0)


# --- Connection ---------------------------------------------------------------

def _patch_connection(module):
    cls = getattr(module, "Connection", None)
    if cls is None or sys.platform == "win32":
        return   # PipeConnection handles have no inode: Windows pipes stay untraced
    if patching.is_wrapped(cls.__dict__.get("_send_bytes")):
        return
    orig_send = cls._send_bytes
    orig_recv = cls._recv_bytes
    orig_pipe = module.Pipe
    _originals.update(connection=module, Connection=cls, _send_bytes=orig_send,
                      _recv_bytes=orig_recv, Pipe=orig_pipe)

    # Schedule perturbation (perturb.py): a point before every send and
    # receive, so a run with --perturb also reorders Pipe and SimpleQueue
    # messages; off, one attribute check (this module may be imported
    # before perturb is installed, so the flag is read at each call).
    def _send_bytes(self, buf):
        try:
            if perturb.enabled:
                perturb.point_in_wrapper()
            off = _send_begins(self, buf)
            if not off:
                return orig_send(self, buf)
            try:
                return orig_send(self, buf)
            finally:
                try:
                    _w.finish_time(off)
                except Exception:
                    _failed()
        except BaseException as exc:
            _hide(exc)
            raise

    def _recv_bytes(self, maxsize=None):
        try:
            if perturb.enabled:
                perturb.point_in_wrapper()
            off, want = _recv_begins(self)
            if not off:
                return orig_recv(self, maxsize)
            try:
                buf = orig_recv(self, maxsize)
            except BaseException:
                try:
                    _w.finish(off, 0, 1)
                except Exception:
                    _failed()
                raise
            try:
                if buf is None:        # longer than maxsize: the caller raises
                    _w.finish(off, 0, 1)
                else:
                    with buf.getbuffer() as view:
                        key = content_key(view)
                    _w.finish(off, key, 0)
                    if want:
                        recv_want[_get_ident()] = key
            except Exception:
                _failed()
            return buf
        except BaseException as exc:
            _hide(exc)
            raise

    def Pipe(duplex=True):
        try:
            c1, c2 = orig_pipe(duplex)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            if _w.enabled:
                f, depth = creator(1)
                if f is not None and _is_user(f):
                    ch1, ch2 = channel_of(c1), channel_of(c2)
                    if ch1 > 0 and ch2 > 0:
                        write_object(ch1, "Pipe", f, depth)
                        _w.point(PIPE_OPEN, ch1, _site(depth), ch1, ch2)
        except Exception:
            _failed()
        return c1, c2

    for fn, orig in ((_send_bytes, orig_send), (_recv_bytes, orig_recv), (Pipe, orig_pipe)):
        patching.copy_identity(fn, orig)
    cls._ct_chan = 0
    cls._send_bytes = _send_bytes
    cls._recv_bytes = _recv_bytes
    module.Pipe = Pipe


def _send_begins(conn, buf):
    """The PIPE_SEND span of a traced send (0: untraced).  Frames: 0 here,
    1 _send_bytes, 2 its caller (Connection.send / send_bytes), 3 theirs."""
    try:
        m = 0
        if send_msg:
            m = send_msg.pop(_get_ident(), 0)
        site = 0
        if not m:
            if not (_w.enabled and _is_user(_getframe(3))):
                return 0
            site = _site(3)
        if _w.enabled:
            chan = conn.__dict__.get("_ct_chan") or channel_of(conn, True)
            if chan > 0:
                return _w.begin(PIPE_SEND, chan, site, content_key(buf), m)
    except Exception:
        _failed()
    return 0


def _recv_begins(conn):
    """(PIPE_RECV span or 0, whether a traced queue get asked for it)."""
    try:
        want = False
        site = 0
        if recv_want and recv_want.get(_get_ident(), 0) is None:
            want = True
        else:
            if not (_w.enabled and _is_user(_getframe(3))):
                return 0, False
            site = _site(3)
        if _w.enabled:
            chan = conn.__dict__.get("_ct_chan") or channel_of(conn, True)
            if chan > 0:
                return _w.begin(PIPE_RECV, chan, site, 0, 0), want
    except Exception:
        _failed()
    return 0, False


def copy_identity(fn, orig):
    return patching.copy_identity(fn, orig)


# --- patching on import: import_hooks.after_import ---------------------------


def install():
    after_import("multiprocessing.connection", _patch_connection)


def after_fork_in_child():
    send_msg.clear()
    recv_want.clear()


def uninstall():
    cls = _originals.get("Connection")
    if cls is not None:
        cls._send_bytes = _originals["_send_bytes"]
        cls._recv_bytes = _originals["_recv_bytes"]
        _originals["connection"].Pipe = _originals["Pipe"]
