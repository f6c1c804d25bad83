"""Queues: every put paired with the get that received it.

queue.Queue / LifoQueue / PriorityQueue / SimpleQueue (threads)
    Each traced put gets a message id; a side table keyed by id(item) (the
    item is alive while it is queued, and the table keeps it alive besides, so
    the id cannot be reused by another object) hands the id to the get that
    returns the same object, whatever the ordering discipline.  The same object
    queued several times keeps its ids in order (FIFO; LIFO for LifoQueue).
    Whether a queue is traced is decided once, at creation, from the creating
    frame: queues the standard library makes for itself (ThreadPoolExecutor's
    SimpleQueue, the Manager server's queues, ThreadPool's) stay silent.
    queue.SimpleQueue is usually the C _queue.SimpleQueue: queue.SimpleQueue
    becomes a subclass of it with the same repr and behaviour; the stdlib's own
    SimpleQueues are plain C instances as before (no cost at all).
    A blocking put/get first tries without blocking (same result): when that
    works it is one record; when it would wait, a span opens before waiting.

multiprocessing Queue / JoinableQueue / SimpleQueue
    The queue's id is its pipe's channel id (see pipes.py), so it is the same
    in every process with no change to what is pickled.  Queue.put only
    appends to a buffer that a feeder thread pickles and sends: the buffer is
    swapped for a deque subclass that moves the put's message id along with
    the object, so the feeder's PIPE_SEND carries it.  A get records the
    content key of the bytes it received.  Traced: queues created by user code
    (this process and its fork children) and any operation called directly by
    user code (a spawned child's unpickled queue).

Manager queues (client side)
    A proxy whose referent has put and get (Manager().Queue(), a registered
    queue): spans on the client with content keys of the items (plain data
    only: pickling anything else a second time could run user code).
"""
import _thread
import collections
import sys

from . import events, pipes, sites, writer as _w

QUEUE_PUT = events.QUEUE_PUT
QUEUE_GET = events.QUEUE_GET
QUEUE_TASK_DONE = events.QUEUE_TASK_DONE
QUEUE_JOIN = events.QUEUE_JOIN

_getframe = sys._getframe
_get_ident = _thread.get_ident
_is_user = sites.is_user_frame
_site = sites.site
_new_id = _w.new_object_id
_begin = _w.begin
_finish = _w.finish
_finish_time = _w.finish_time
_point_at = _w.point_at
_mono = _w.monotonic_ns
_NUMBERS = (int, float)
_deque = collections.deque
_send_msg = pipes.send_msg
_recv_want = pipes.recv_want
_copy_identity = pipes.copy_identity

_originals = {}




def _wrapped(cls, name):
    return getattr(cls.__dict__.get(name), "_ct_wrapped", False)


# --- the message-id table of one thread queue ----------------------------------
#
# table: id(item) -> (message id, item), or a deque of those when the same
# object is queued more than once.  The fast paths are one atomic dict
# operation each (setdefault on put, pop on get); anything with several steps
# runs under _slow and takes entries out of the table before changing them, so
# no entry is ever lost to a race.

_slow = _thread.allocate_lock()


def _reinsert(table, k, val):
    """Put entries back under k, merging with any that arrived meanwhile
    (those are newer: they go after).  Caller holds _slow."""
    while True:
        got = table.setdefault(k, val)
        if got is val:
            return
        other = table.pop(k, None)
        if other is None:
            continue
        if type(val) is tuple:
            val = _deque((val,))
        if type(other) is tuple:
            val.append(other)
        else:
            val.extend(other)


def _add_again(table, k, e):
    """put of an object that is already queued (or still in the table)."""
    with _slow:
        cur = table.pop(k, None)
        if cur is None:
            val = e
        elif type(cur) is tuple:
            val = _deque((cur, e))
        else:
            cur.append(e)
            val = cur
        _reinsert(table, k, val)


def _take(table, k, many, lifo):
    """get of an object queued more than once: `many` was popped from the table."""
    with _slow:
        if not many:
            return 0
        e = many.pop() if lifo else many.popleft()
        if many:
            _reinsert(table, k, many[0] if len(many) == 1 else many)
    return e[0]


def _forget(table, k, e):
    """A put that raised: its entry must not pair with a later get."""
    with _slow:
        cur = table.pop(k, None)
        if cur is None or cur is e:
            return
        if type(cur) is tuple:
            _reinsert(table, k, cur)
            return
        for i, x in enumerate(cur):
            if x is e:
                del cur[i]
                break
        if cur:
            _reinsert(table, k, cur[0] if len(cur) == 1 else cur)


def _prune(q, table):
    """Drop entries whose item left the queue without get() (q.queue.clear(),
    shutdown(immediate=True), a subclass's own get), once the table holds
    clearly more than the queue."""
    items = getattr(q, "queue", None)
    mutex = getattr(q, "mutex", None)
    if mutex is None or type(items) not in (_deque, list):
        return
    with mutex:
        if len(table) <= 2 * len(items) + 64:
            return
        live = {id(x) for x in items}
        with _slow:
            for k in list(table):
                if k not in live:
                    table.pop(k, None)


def _make_put(orig, full):
    """put(self, item, block=True, timeout=None) for a thread queue class whose
    original put is `orig`.  A blocking put first tries without blocking (the
    same result when there is room): then one record, at the put's start.  If
    it has to wait, a span is opened before waiting.  An invalid timeout goes
    straight to the real call, which raises as it would.  `full` is the Full
    of orig's own module (test suites import fresh copies of queue)."""

    def put(self, item, block=True, timeout=None):
        st = self._ctrace
        if st is None or not _w.enabled:
            return orig(self, item, block, timeout)
        table = st[1]
        try:
            k = id(item)
            m = _new_id()
            e = (m, item)
            if table.setdefault(k, e) is not e:
                _add_again(table, k, e)
            site = _site(1)
            t0 = _mono()
        except Exception:
            return orig(self, item, block, timeout)
        must_wait = False
        try:
            if block and (timeout is None or (type(timeout) in _NUMBERS and timeout >= 0)):
                try:
                    orig(self, item, False, None)
                except full:
                    must_wait = True
            else:
                orig(self, item, block, timeout)
        except BaseException:
            try:
                _forget(table, k, e)
                _point_at(QUEUE_PUT, t0, _get_ident(), st[0], site, m, 1, _mono())
            except Exception:
                pass
            raise
        if must_wait:
            return _put_waiting(self, st, item, block, timeout, orig, m, k, e, site, t0)
        try:
            _point_at(QUEUE_PUT, t0, _get_ident(), st[0], site, m, 0, t0)
            if not len(table) & 63:
                _prune(self, table)
        except Exception:
            pass

    return put


def _put_waiting(q, st, item, block, timeout, orig, m, k, e, site, t0):
    try:
        off = _point_at(QUEUE_PUT, t0, _get_ident(), st[0], site, m, 0, 0)
    except Exception:
        return orig(q, item, block, timeout)
    try:
        orig(q, item, block, timeout)
    except BaseException:
        try:
            _forget(st[1], k, e)
            _finish(off, m, 1)
        except Exception:
            pass
        raise
    try:
        _finish_time(off)
    except Exception:
        pass


def _make_get(orig, empty):
    """get(self, block=True, timeout=None): as _make_put; a get that did not
    wait is one record at its end (after the put's start, always)."""

    def get(self, block=True, timeout=None):
        st = self._ctrace
        if st is None or not _w.enabled:
            return orig(self, block, timeout)
        try:
            site = _site(1)
        except Exception:
            return orig(self, block, timeout)
        must_wait = False
        try:
            if block and (timeout is None or (type(timeout) in _NUMBERS and timeout >= 0)):
                try:
                    item = orig(self, False, None)
                except empty:
                    must_wait = True
            else:
                item = orig(self, block, timeout)
        except BaseException:
            try:
                t = _mono()
                _point_at(QUEUE_GET, t, _get_ident(), st[0], site, 0, 1, t)
            except Exception:
                pass
            raise
        if must_wait:
            return _get_waiting(self, st, block, timeout, orig, site)
        try:
            table = st[1]
            v = table.pop(id(item), None)
            if v is None:
                m = 0
            elif type(v) is tuple:
                m = v[0]
            else:
                m = _take(table, id(item), v, st[2])
            t = _mono()
            _point_at(QUEUE_GET, t, _get_ident(), st[0], site, m, 0, t)
        except Exception:
            pass
        return item

    return get


def _get_waiting(q, st, block, timeout, orig, site):
    try:
        off = _begin(QUEUE_GET, st[0], site, 0, 0)
    except Exception:
        return orig(q, block, timeout)
    try:
        item = orig(q, block, timeout)
    except BaseException:
        try:
            _finish(off, 0, 1)
        except Exception:
            pass
        raise
    try:
        _finish(off, _message_of(st, item), 0)
    except Exception:
        pass
    return item


def _message_of(st, item):
    """The message id of the put that queued `item` (taken out of the table)."""
    table = st[1]
    v = table.pop(id(item), None)
    if v is None:
        return 0
    if type(v) is tuple:
        return v[0]
    return _take(table, id(item), v, st[2])


def _new_state(q, type_name, depth, lifo):
    """Tracing state for a thread queue created by user code, or None."""
    try:
        if not _w.enabled:
            return None
        f = _getframe(depth + 1)
        if not _is_user(f):
            return None
        obj = _new_id()
        pipes.write_object(obj, type_name, f, depth + 1)
        return (obj, {}, lifo)
    except Exception:
        return None


def _patch_queue(module):
    Queue = module.Queue
    if _wrapped(Queue, "put"):
        return
    Lifo = module.LifoQueue
    orig_init = Queue.__init__
    orig_put = Queue.put
    orig_get = Queue.get
    orig_task_done = Queue.task_done
    orig_join = Queue.join
    _originals.update(queue=module, Queue=Queue, init=orig_init, put=orig_put, get=orig_get,
                      task_done=orig_task_done, join=orig_join)

    def __init__(self, maxsize=0):
        orig_init(self, maxsize)
        st = _new_state(self, type(self).__name__, 1, isinstance(self, Lifo))
        if st is not None:
            self._ctrace = st

    put = _make_put(orig_put, module.Full)
    get = _make_get(orig_get, module.Empty)

    def task_done(self):
        st = self._ctrace
        if st is None or not _w.enabled:
            return orig_task_done(self)
        return _traced_call(QUEUE_TASK_DONE, st[0], orig_task_done, self)

    def join(self):
        st = self._ctrace
        if st is None or not _w.enabled:
            return orig_join(self)
        return _traced_call(QUEUE_JOIN, st[0], orig_join, self)

    for fn, orig in ((__init__, orig_init), (put, orig_put), (get, orig_get),
                     (task_done, orig_task_done), (join, orig_join)):
        _copy_identity(fn, orig)
    Queue._ctrace = None
    Queue.__init__ = __init__
    Queue.put = put
    Queue.get = get
    Queue.task_done = task_done
    Queue.join = join
    _patch_simple_queue(module)


def _traced_call(kind, obj, orig, *args):
    """A span around orig(*args); a=1 if it raised (task_done, join)."""
    try:
        off = _begin(kind, obj, _site(2), 0, 0)
    except Exception:
        return orig(*args)
    try:
        result = orig(*args)
    except BaseException:
        try:
            _finish(off, 1, 0)
        except Exception:
            pass
        raise
    try:
        _finish_time(off)
    except Exception:
        pass
    return result


def _patch_simple_queue(module):
    Base = module.SimpleQueue
    if getattr(Base, "_ct_wrapped", False):
        return
    base_new = Base.__new__
    base_put = Base.put
    base_get = Base.get
    python_base = base_new is object.__new__

    class SimpleQueue(Base):
        __slots__ = ("_ctrace",)
        _ct_wrapped = True

        def __new__(cls, *args, **kwargs):
            st = None
            if cls is SimpleQueue:
                st = _new_state(None, "SimpleQueue", 1, False)
                if st is None:
                    return Base(*args, **kwargs)   # the stdlib's own: untouched
            elif _w.enabled:
                st = _new_state(None, cls.__name__, 1, False)
            self = base_new(cls) if python_base else base_new(cls, *args, **kwargs)
            self._ctrace = st
            return self

        put = _make_put(base_put, module.Full)
        get = _make_get(base_get, module.Empty)

        def put_nowait(self, item):
            return traced_put(self, item, False, None)

        def get_nowait(self):
            return traced_get(self, False, None)

    if not python_base:
        base_reduce_ex = Base.__reduce_ex__
        message = "cannot pickle '%s.%s' object" % (Base.__module__, Base.__qualname__)

        def __reduce_ex__(self, protocol):
            if type(self) is SimpleQueue:
                raise TypeError(message)     # what the C type's instances say
            return base_reduce_ex(self, protocol)

        SimpleQueue.__reduce_ex__ = __reduce_ex__
    traced_put = SimpleQueue.__dict__["put"]
    traced_get = SimpleQueue.__dict__["get"]
    for name in ("put", "put_nowait", "get", "get_nowait"):
        _copy_identity(SimpleQueue.__dict__[name], getattr(Base, name))
    SimpleQueue.__module__ = Base.__module__
    SimpleQueue.__qualname__ = Base.__qualname__
    SimpleQueue.__doc__ = Base.__doc__
    _originals["SimpleQueue"] = Base
    module.SimpleQueue = SimpleQueue


# --- multiprocessing queues ------------------------------------------------------

class _Buffer(_deque):
    """multiprocessing.Queue's buffer, carrying each put's message id in step
    with the object: the id is appended before the object (so the feeder,
    which pops without the lock, always finds it) and popped after it into
    send_msg, where the feeder's send picks it up."""
    __slots__ = ("ids",)

    def __init__(self, *args):
        _deque.__init__(self, *args)
        self.ids = _deque()

    def append(self, obj):
        m = _send_msg.pop(_get_ident(), 0) if _send_msg else 0
        self.ids.append(m)
        _deque.append(self, obj)

    def popleft(self):
        obj = _deque.popleft(self)
        ids = self.ids
        m = ids.popleft() if ids else 0
        if m:
            _send_msg[_get_ident()] = m
        elif _send_msg:
            _send_msg.pop(_get_ident(), None)
        return obj

    def clear(self):
        _deque.clear(self)
        self.ids.clear()


_mp_pass = set()   # code of put_nowait / get_nowait: look past them for the caller


def _mp_qid(q):
    qid = q.__dict__.get("_ct_qid")
    if qid:
        return qid
    qid = pipes.channel_of(q._reader)
    if qid <= 0:
        qid = pipes.channel_of(q._writer)
    if qid <= 0:
        qid = _new_id()   # no inode (Windows): known in this process only
    q._ct_qid = qid
    return qid


def _mp_type_name(q):
    cls = type(q)
    if cls.__module__.startswith("multiprocessing"):
        return "multiprocessing." + cls.__name__
    return cls.__name__


def _mp_traced(q):
    try:
        return _w.enabled and (q._ct_user or _mp_called_by_user())
    except Exception:
        return False


def _mp_called_by_user():
    # frames: 0 here, 1 _mp_traced, 2 the wrapper, 3 the wrapper's caller
    f = _getframe(3)
    if f.f_code in _mp_pass:
        f = f.f_back
    return f is not None and _is_user(f)


def _mp_put(q, orig, *args):
    """A put on a multiprocessing queue, traced (called by a wrapper)."""
    ident = _get_ident()
    try:
        m = _new_id()
        off = _begin(QUEUE_PUT, q.__dict__.get("_ct_qid") or _mp_qid(q), _site(2), m, 0)
        _send_msg[ident] = m
    except Exception:
        return orig(q, *args)
    try:
        orig(q, *args)
    except BaseException:
        try:
            _send_msg.pop(ident, None)
            _finish(off, m, 1)
        except Exception:
            pass
        raise
    try:
        if _send_msg:
            _send_msg.pop(ident, None)   # not taken: a buffer from before the patch
        _finish_time(off)
    except Exception:
        pass


def _mp_get(q, orig, *args):
    ident = _get_ident()
    try:
        off = _begin(QUEUE_GET, q.__dict__.get("_ct_qid") or _mp_qid(q), _site(2), 0, 2)
        _recv_want[ident] = None
    except Exception:
        return orig(q, *args)
    try:
        res = orig(q, *args)
    except BaseException:
        try:
            _recv_want.pop(ident, None)
            _finish(off, 0, 3)
        except Exception:
            pass
        raise
    try:
        key = _recv_want.pop(ident, None) or 0
        _finish(off, key, 2)
    except Exception:
        pass
    return res


def _patch_mp_queues(module):
    Queue = module.Queue
    Joinable = module.JoinableQueue
    Simple = module.SimpleQueue
    if _wrapped(Queue, "put"):
        return
    _mp_pass.update((Queue.put_nowait.__code__, Queue.get_nowait.__code__))
    init_codes = frozenset((Joinable.__init__.__code__,))
    saved = {}

    def init_wrapper(orig):
        def __init__(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            try:
                if _w.enabled:
                    f, depth = pipes.creator(1, init_codes)
                    if f is not None and _is_user(f):
                        self._ct_user = True
                        pipes.write_object(_mp_qid(self), _mp_type_name(self), f, depth)
            except Exception:
                pass
        return __init__

    def put_wrapper(orig):
        def put(self, obj, block=True, timeout=None):
            if not _mp_traced(self):
                return orig(self, obj, block, timeout)
            return _mp_put(self, orig, obj, block, timeout)
        return put

    def get_wrapper(orig):
        def get(self, block=True, timeout=None):
            if not _mp_traced(self):
                return orig(self, block, timeout)
            return _mp_get(self, orig, block, timeout)
        return get

    def simple_put_wrapper(orig):
        def put(self, obj):
            if not _mp_traced(self):
                return orig(self, obj)
            return _mp_put(self, orig, obj)
        return put

    def simple_get_wrapper(orig):
        def get(self):
            if not _mp_traced(self):
                return orig(self)
            return _mp_get(self, orig)
        return get

    def span_wrapper(orig, kind):
        def wrapper(self):
            if not _mp_traced(self):
                return orig(self)
            return _traced_call(kind, self.__dict__.get("_ct_qid") or _mp_qid(self), orig, self)
        return wrapper

    reset_name = "_reset" if "_reset" in Queue.__dict__ else "_after_fork"

    def reset_wrapper(orig):
        def _reset(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            try:
                if type(self._buffer) is _deque and not self._buffer:
                    self._buffer = _Buffer()
            except Exception:
                pass
        return _reset

    plan = [
        (Queue, "__init__", init_wrapper), (Queue, reset_name, reset_wrapper),
        (Queue, "put", put_wrapper), (Queue, "get", get_wrapper),
        (Joinable, "put", put_wrapper),
        (Joinable, "task_done", lambda o: span_wrapper(o, QUEUE_TASK_DONE)),
        (Joinable, "join", lambda o: span_wrapper(o, QUEUE_JOIN)),
        (Simple, "__init__", init_wrapper),
        (Simple, "put", simple_put_wrapper), (Simple, "get", simple_get_wrapper),
    ]
    for cls, name, make in plan:
        orig = cls.__dict__[name]
        fn = make(orig)
        _copy_identity(fn, orig)
        saved[(cls, name)] = orig
        setattr(cls, name, fn)
    for cls in (Queue, Simple):
        cls._ct_user = False
        cls._ct_qid = 0
    _originals["mp"] = saved


# --- Manager queue proxies (client side) -------------------------------------------

_QMETHODS = frozenset(("put", "get", "put_nowait", "get_nowait", "task_done", "join"))
_queue_like_types = {}
_SCALARS = frozenset((type(None), bool, int, float, complex, str, bytes))


def _queue_like(proxy):
    t = type(proxy)
    v = _queue_like_types.get(t)
    if v is None:
        exposed = getattr(t, "_exposed_", None) or ()
        v = _queue_like_types[t] = "put" in exposed and "get" in exposed
    return v


def _manager_qid(proxy):
    qid = proxy.__dict__.get("_ct_qid")
    if not qid:
        import hashlib
        token = proxy._token
        digest = hashlib.blake2b(repr((token.address, token.id)).encode("utf-8", "replace"),
                                 digest_size=8).digest()
        qid = pipes.MANAGER_BASE | (int.from_bytes(digest, "little") & ((1 << 51) - 1))
        proxy._ct_qid = qid
    return qid


def _plain(x, budget):
    """Remaining budget if x is plain data (pickles to the same bytes after a
    round trip through the manager), else -1."""
    t = type(x)
    if t in _SCALARS:
        return budget - 1
    if t is tuple or t is list:
        budget -= 1
        for y in x:
            budget = _plain(y, budget)
            if budget < 0:
                return -1
        return budget
    if t is dict:
        budget -= 1
        for k, v in x.items():
            budget = _plain(v, _plain(k, budget))
            if budget < 0:
                return -1
        return budget
    return -1


def _item_key(x):
    """Content key of an item sent through a Manager queue: plain data only
    (anything else could run user code when pickled a second time)."""
    if _plain(x, 2000) < 0:
        return 0
    import pickle
    return pipes.content_key(pickle.dumps(x, 4))


def _patch_managers(module):
    BaseProxy = module.BaseProxy
    if _wrapped(BaseProxy, "_callmethod"):
        return
    orig_call = BaseProxy._callmethod
    orig_init = BaseProxy.__init__
    managers_file = orig_call.__code__.co_filename
    _originals.update(BaseProxy=BaseProxy, _callmethod=orig_call, proxy_init=orig_init)

    def __init__(self, token, *args, **kwargs):
        orig_init(self, token, *args, **kwargs)
        try:
            if _w.enabled and _queue_like(self):
                f = _getframe(1)
                depth = 1
                while f is not None and f.f_code.co_filename == managers_file:
                    f = f.f_back
                    depth += 1
                if f is not None and _is_user(f):
                    pipes.write_object(_manager_qid(self), "Manager." + str(token.typeid),
                                       f, depth)
        except Exception:
            pass

    def _callmethod(self, methodname, args=(), kwds={}):
        if methodname not in _QMETHODS or not _w.enabled:
            return orig_call(self, methodname, args, kwds)
        try:
            if not _queue_like(self):
                return orig_call(self, methodname, args, kwds)
            f = _getframe(1)
            depth = 1
            if f.f_code.co_name == methodname:      # the proxy's own method
                f = f.f_back
                depth = 2
            if f is None or not _is_user(f):
                return orig_call(self, methodname, args, kwds)
            qid = _manager_qid(self)
            if methodname in ("put", "put_nowait"):
                item = args[0] if args else kwds.get("item", kwds.get("obj"))
                kind, a = QUEUE_PUT, _item_key(item)
            elif methodname in ("get", "get_nowait"):
                kind, a = QUEUE_GET, 0
            else:
                kind, a = (QUEUE_TASK_DONE if methodname == "task_done" else QUEUE_JOIN), 0
            flags = 2 if kind in (QUEUE_PUT, QUEUE_GET) else 0
            off = _begin(kind, qid, _site(depth), a, flags)
        except Exception:
            return orig_call(self, methodname, args, kwds)
        try:
            result = orig_call(self, methodname, args, kwds)
        except BaseException:
            try:
                if flags:
                    _finish(off, a, flags | 1)
                else:
                    _finish(off, 1, 0)
            except Exception:
                pass
            raise
        try:
            if kind == QUEUE_GET:
                _finish(off, _item_key(result), 2)
            else:
                _finish_time(off)
        except Exception:
            pass
        return result

    for fn, orig in ((__init__, orig_init), (_callmethod, orig_call)):
        _copy_identity(fn, orig)
    BaseProxy.__init__ = __init__
    BaseProxy._callmethod = _callmethod


# --- install --------------------------------------------------------------------

def install():
    pipes.after_import("queue", _patch_queue)
    pipes.after_import("multiprocessing.queues", _patch_mp_queues)
    pipes.after_import("multiprocessing.managers", _patch_managers)


def after_fork_in_child():
    global _slow
    _slow = _thread.allocate_lock()


def uninstall():
    Queue = _originals.get("Queue")
    if Queue is not None:
        for name in ("put", "get", "task_done", "join"):
            setattr(Queue, name, _originals[name])
        Queue.__init__ = _originals["init"]
        _originals["queue"].SimpleQueue = _originals["SimpleQueue"]
    for (cls, name), orig in _originals.get("mp", {}).items():
        setattr(cls, name, orig)
    BaseProxy = _originals.get("BaseProxy")
    if BaseProxy is not None:
        BaseProxy._callmethod = _originals["_callmethod"]
        BaseProxy.__init__ = _originals["proxy_init"]
