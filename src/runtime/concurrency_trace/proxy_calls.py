"""Manager proxy calls on the wire: a PROXY_CALL span in the caller around
each request and its reply, a PROXY_SERVE span in the manager's server
thread from the request received to the reply sent, and one key both sides
derive without a byte added to the connection (so `flows` pairs them in
one trace, and `merge` across the traces of a server started in another
terminal or on another machine).

The call key mixes the request's content key (pipes.content_key of the
bytes the caller sent and the server received) with the channel of the
caller's end of the connection: the caller knows it as its own end, the
server as its peer (TCP: from both ends' addresses, connections.py; a Unix
socket: its inode, the server asks the kernel for its peer's).  Two calls
with equal keys are calls of one thread on one connection: they pair k-th
with k-th in time order.

How: the caller's connection to a manager (one per thread and manager,
made by BaseProxy._connect) and the connection a server thread serves
(Server.serve_client) get _send_bytes / _recv_bytes of their own as
instance attributes, which call the class's (pipes.py's) ones.  Connection
.send / .recv call self._send_bytes / self._recv_bytes, so these see the
exact bytes; no other connection is touched, nothing is pickled or
unpickled again (the server reads the referent's id and the method name off
the request's first pickle opcodes), and no method of the program's objects
runs.  The connections are the managers' own: the program never sees them.
"""
import os
import sys

from . import connections, events, patching, pipes, safety, sites, writer as _w
from .import_hooks import after_import

PROXY_CALL = events.PROXY_CALL
PROXY_SERVE = events.PROXY_SERVE
_M64 = (1 << 64) - 1
_MASK51 = (1 << 51) - 1

_getframe = sys._getframe
_failed = safety.failed
_hide = safety.hide
_content_key = pipes.content_key
_callmethod_codes = set()   # code objects of the original BaseProxy._callmethod
_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_saved = {}


def _mix(x):
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def call_key(content_key, caller_channel):
    """The key of one call: below 2**52, non-zero; 0 when a part is unknown."""
    if not content_key or caller_channel <= 0:
        return 0
    return (_mix(((content_key * 0x9E3779B97F4A7C15) ^ caller_channel) & _M64) >> 12) or 1


def _own_channel(conn):
    """Channel of this end (the caller's): TCP from the addresses, else the socket's inode."""
    tcp = connections.tcp_channels(conn)
    if tcp:
        return tcp[0]
    return pipes.channel_of(conn, True)


def _peer_channel(conn):
    """Channel of the other end (the server's view of the caller's end)."""
    tcp = connections.tcp_channels(conn)
    if tcp:
        return tcp[1]
    st = os.fstat(conn._handle)
    peer = pipes.unix_peer_inode(st.st_ino)
    if not peer:
        return -1
    return pipes.CHANNEL_BASE | ((st.st_dev & 0x7ff) << 40) | (peer & 0xffffffffff)


def server_referent_id(address, ident):
    """The id a client reaching the server at `address` gives the referent
    `ident` (manager_queues' formula), from the server's own address."""
    t = type(address)
    if not (t is str or t is bytes or (t is tuple and all(type(x) in (str, int, bytes) for x in address))):
        return 0
    if type(ident) is not str:
        return 0
    import hashlib
    digest = hashlib.blake2b(repr((address, ident)).encode("utf-8", "replace"), digest_size=8).digest()
    return pipes.MANAGER_BASE | (int.from_bytes(digest, "little") & _MASK51)


def _referent_id(proxy):
    """The id the proxy's other records use (queue, shared value, lock), else
    the Manager queue formula."""
    d = proxy.__dict__
    oid = d.get("_ct_qid") or d.get("_ct_id")
    if oid:
        return oid
    state = d.get("_ct_lock")
    if state is not None:
        return state.obj
    try:
        from . import manager_calls, shared_proxies
        handler = manager_calls._handler(type(proxy))
        if getattr(handler, "func", None) is shared_proxies._shared_call:
            return shared_proxies._proxy_id(proxy)
    except Exception:
        _failed()
    from . import manager_queues
    return manager_queues._qid(proxy)


def request_names(data):
    """(ident, method name) read off the first opcodes of a pickled request
    tuple (ident, methodname, args, kwds), or None.  Nothing is unpickled."""
    n = len(data)
    i = 0
    if n > 1 and data[0] == 0x80:       # PROTO
        i = 2
    if i < n and data[i] == 0x95:       # FRAME
        i += 9
    if i < n and data[i] == 0x28:       # MARK
        i += 1
    out = []
    while len(out) < 2 and i < n:
        op = data[i]
        if op == 0x8C:                  # SHORT_BINUNICODE
            length = data[i + 1] if i + 1 < n else 0
            start = i + 2
        elif op == 0x58:                # BINUNICODE
            length = int.from_bytes(bytes(data[i + 1:i + 5]), "little")
            start = i + 5
        else:
            return None
        if start + length > n or length > 256:
            return None
        out.append(bytes(data[start:start + length]).decode("utf-8", "replace"))
        i = start + length
        if i < n and data[i] == 0x94:   # MEMOIZE (protocol 4+)
            i += 1
        elif i < n and data[i] == 0x71: # BINPUT (protocols 1-3)
            i += 2
        elif i < n and data[i] == 0x72: # LONG_BINPUT
            i += 5
    return tuple(out) if len(out) == 2 else None


def _call_site(methodname):
    """Site of the user's line that called the proxy method.  Frames: 0 here,
    1 the connection's _send_bytes, 2 Connection.send, 3 BaseProxy._callmethod,
    then the tracer's wrappers, then the proxy's method: generated ones
    (file "<string>", which sites would take for the user's) are stepped over."""
    k = 4
    f = _getframe(k)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
        k += 1
    if f is not None and f.f_code.co_name == methodname and f.f_code.co_filename == "<string>":
        f = f.f_back
        k += 1
    return sites.site(k) if f is not None else 0


# --- the connections -----------------------------------------------------------

def _hook_caller(conn):
    """The caller's end of a manager connection: a span per request/reply."""
    d = conn.__dict__
    if "_ct_proxy" in d:
        return
    cls = type(conn)
    send = cls._send_bytes
    recv = cls._recv_bytes
    state = [0, 0]      # open PROXY_CALL offset, this end's channel (0 unknown, -1 none)

    def _send_bytes(buf):
        try:
            off = 0
            try:
                if state[0]:                    # a reply never read (an interrupted call): ends here
                    _w.finish_time(state[0])
                    state[0] = 0
                f = _getframe(2)                # 0 here, 1 Connection.send, 2 BaseProxy._callmethod
                if _w.enabled and f is not None and f.f_code in _callmethod_codes:
                    loc = f.f_locals
                    proxy = loc.get("self")
                    method = loc.get("methodname")
                    if state[1] == 0:
                        state[1] = _own_channel(conn) or -1
                    key = call_key(_content_key(buf), state[1])
                    off = _w.begin(PROXY_CALL, _referent_id(proxy), _call_site(method),
                                   _w.intern(method) if type(method) is str else 0, key)
                    state[0] = off
            except RecursionError:
                if safety.KEEP_RECURSION_ERRORS:
                    raise
            except Exception:
                _failed()
            try:
                return send(conn, buf)
            except BaseException:
                if off:
                    try:
                        _w.finish_time(off)
                        state[0] = 0
                    except Exception:
                        _failed()
                raise
        except BaseException as exc:
            _hide(exc)
            raise

    def _recv_bytes(maxsize=None):
        try:
            try:
                return recv(conn, maxsize)
            finally:
                off = state[0]
                if off:
                    state[0] = 0
                    try:
                        _w.finish_time(off)
                    except Exception:
                        _failed()
        except BaseException as exc:
            _hide(exc)
            raise

    d["_send_bytes"] = patching.copy_identity(_send_bytes, send)
    d["_recv_bytes"] = patching.copy_identity(_recv_bytes, recv)
    d["_ct_proxy"] = True


def _hook_server(conn, server):
    """A server thread's connection: a span from each request to its reply."""
    d = conn.__dict__
    if "_ct_proxy" in d:
        return
    cls = type(conn)
    send = cls._send_bytes
    recv = cls._recv_bytes
    address = getattr(server, "address", None)
    state = [0, 0]      # open PROXY_SERVE offset, the caller's channel

    def _recv_bytes(maxsize=None):
        try:
            buf = recv(conn, maxsize)
            try:
                if _w.enabled and buf is not None:
                    if state[1] == 0:
                        state[1] = _peer_channel(conn) or -1
                    with buf.getbuffer() as view:
                        key = call_key(_content_key(view), state[1])
                        names = request_names(view)
                    ident, method = names if names else (None, None)
                    state[0] = _w.begin(PROXY_SERVE, server_referent_id(address, ident), 0,
                                        _w.intern(method) if method else 0, key)
            except RecursionError:
                if safety.KEEP_RECURSION_ERRORS:
                    raise
            except Exception:
                _failed()
            return buf
        except BaseException as exc:
            _hide(exc)
            raise

    def _send_bytes(buf):
        try:
            off = state[0]
            if off:
                state[0] = 0
                try:
                    _w.finish_time(off)
                except Exception:
                    _failed()
            return send(conn, buf)
        except BaseException as exc:
            _hide(exc)
            raise

    d["_send_bytes"] = patching.copy_identity(_send_bytes, send)
    d["_recv_bytes"] = patching.copy_identity(_recv_bytes, recv)
    d["_ct_proxy"] = True


# --- patches -------------------------------------------------------------------

def _patch(mg):
    BaseProxy = mg.BaseProxy
    Server = mg.Server
    if patching.is_wrapped(BaseProxy.__dict__.get("_connect")):
        return
    fn = BaseProxy.__dict__.get("_callmethod")
    while fn is not None:
        code = getattr(fn, "__code__", None)
        if code is not None and not code.co_filename.startswith(_PKG_DIR):
            _callmethod_codes.add(code)
        fn = getattr(fn, "__wrapped__", None)

    def make_connect(orig):
        def _connect(self):
            try:
                result = orig(self)
                try:
                    if _w.enabled:
                        conn = vars(self._tls).get("connection")
                        if conn is not None:
                            _hook_caller(conn)
                except Exception:
                    _failed()
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return _connect

    def make_serve(orig):
        def serve_client(self, conn):
            try:
                try:
                    if _w.enabled:
                        _hook_server(conn, self)
                except Exception:
                    _failed()
                return orig(self, conn)
            except BaseException as exc:
                _hide(exc)
                raise
        return serve_client

    _saved[(BaseProxy, "_connect")] = patching.wrap(BaseProxy, "_connect", make_connect)
    _saved[(Server, "serve_client")] = patching.wrap(Server, "serve_client", make_serve)


def install():
    after_import("multiprocessing.managers", _patch)


def uninstall():
    for (cls, name), orig in _saved.items():
        setattr(cls, name, orig)
    _saved.clear()
