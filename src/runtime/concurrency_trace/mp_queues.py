"""multiprocessing Queue / JoinableQueue / SimpleQueue.

The queue's id is its pipe's channel id (see pipes.py), so it is the same in
every process with no change to what is pickled.  Queue.put only appends to
a buffer that a feeder thread pickles and sends: the buffer is swapped for a
deque subclass that moves the put's message id along with the object, so
the feeder's PIPE_SEND carries it.  A get records the content key of the
bytes it received.  Traced: queues created by user code (this process and
its fork children) and any operation called directly by user code (a spawned
child's unpickled queue).  Wrappers follow queues.py's rules (safety).
"""
import _thread
import collections
import sys

from . import events, patching, perturb, pipes, safe_values, safety, sites, writer as _w

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
_deque = collections.deque
_send_msg = pipes.send_msg
_recv_want = pipes.recv_want
_failed = safety.failed
_hide = safety.hide
# Schedule perturbation (perturb.py, installed before this module is
# imported): a point before a traced put / get; off, one global check.
_perturbing = perturb.enabled
_perturb_point = perturb.point_in_wrapper

_saved = {}


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


_pass = set()   # code of put_nowait / get_nowait: look past them for the caller


def _qid(q):
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


def _type_name(q):
    cls = type(q)
    name = safe_values.name_of(cls)
    if safe_values.module_of(cls).startswith("multiprocessing"):
        return "multiprocessing." + name
    return name


def _traced(q):
    """Whether an operation on q, called by a wrapper called by its caller,
    is recorded: the queue is the user's, or the caller is user code."""
    try:
        if not _w.enabled:
            return False
        if q.__dict__.get("_ct_user"):
            return True
        # frames: 0 here, 1 the wrapper, 2 the wrapper's caller
        f = _getframe(2)
        if f.f_code in _pass:
            f = f.f_back
        return f is not None and _is_user(f)
    except Exception:
        _failed()
        return False


def _put(q, orig, args):
    """A put on a multiprocessing queue, traced; called by a wrapper."""
    if _perturbing:
        _perturb_point()
    ident = _get_ident()
    off = m = 0
    try:
        m = _new_id()
        off = _begin(QUEUE_PUT, q.__dict__.get("_ct_qid") or _qid(q), _site(2), m, 0)
        _send_msg[ident] = m
    except Exception:
        _failed()
    try:
        orig(q, *args)
    except BaseException:
        try:
            _send_msg.pop(ident, None)
            if off:
                _finish(off, m, 1)
        except Exception:
            _failed()
        raise
    try:
        if _send_msg:
            _send_msg.pop(ident, None)   # not taken: a buffer from before the patch
        if off:
            _finish_time(off)
    except Exception:
        _failed()


def _get(q, orig, args):
    if _perturbing:
        _perturb_point()
    ident = _get_ident()
    off = 0
    try:
        off = _begin(QUEUE_GET, q.__dict__.get("_ct_qid") or _qid(q), _site(2), 0, 2)
        _recv_want[ident] = None
    except Exception:
        _failed()
    try:
        res = orig(q, *args)
    except BaseException:
        try:
            _recv_want.pop(ident, None)
            if off:
                _finish(off, 0, 3)
        except Exception:
            _failed()
        raise
    try:
        key = _recv_want.pop(ident, None) or 0
        if off:
            _finish(off, key, 2)
    except Exception:
        _failed()
    return res


def _span(kind, q, orig):
    """task_done / join: a span, a=1 if it raised."""
    off = 0
    try:
        off = _begin(kind, q.__dict__.get("_ct_qid") or _qid(q), _site(2), 0, 0)
    except Exception:
        _failed()
    try:
        result = orig(q)
    except BaseException:
        try:
            if off:
                _finish(off, 1, 0)
        except Exception:
            _failed()
        raise
    try:
        if off:
            _finish_time(off)
    except Exception:
        _failed()
    return result


def patch(module):
    Queue = module.Queue
    Joinable = module.JoinableQueue
    Simple = module.SimpleQueue
    if patching.is_wrapped(Queue.__dict__.get("put")):
        return
    _pass.update((Queue.put_nowait.__code__, Queue.get_nowait.__code__))
    init_codes = frozenset((Joinable.__init__.__code__,))

    def init_wrapper(orig):
        def __init__(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if _w.enabled:
                    f, depth = pipes.creator(1, init_codes)
                    if f is not None and _is_user(f):
                        self._ct_user = True
                        pipes.write_object(_qid(self), _type_name(self), f, depth)
            except Exception:
                _failed()
        return __init__

    def put_wrapper(orig):
        def put(self, obj, block=True, timeout=None):
            try:
                if not _traced(self):
                    return orig(self, obj, block, timeout)
                return _put(self, orig, (obj, block, timeout))
            except BaseException as exc:
                _hide(exc)
                raise
        return put

    def get_wrapper(orig):
        def get(self, block=True, timeout=None):
            try:
                if not _traced(self):
                    return orig(self, block, timeout)
                return _get(self, orig, (block, timeout))
            except BaseException as exc:
                _hide(exc)
                raise
        return get

    def simple_put_wrapper(orig):
        def put(self, obj):
            try:
                if not _traced(self):
                    return orig(self, obj)
                return _put(self, orig, (obj,))
            except BaseException as exc:
                _hide(exc)
                raise
        return put

    def simple_get_wrapper(orig):
        def get(self):
            try:
                if not _traced(self):
                    return orig(self)
                return _get(self, orig, ())
            except BaseException as exc:
                _hide(exc)
                raise
        return get

    def span_wrapper(kind):
        def make(orig):
            def wrapper(self):
                try:
                    if not _traced(self):
                        return orig(self)
                    return _span(kind, self, orig)
                except BaseException as exc:
                    _hide(exc)
                    raise
            return wrapper
        return make

    reset_name = "_reset" if "_reset" in Queue.__dict__ else "_after_fork"

    def reset_wrapper(orig):
        def _reset(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if type(self._buffer) is _deque and not self._buffer:
                    self._buffer = _Buffer()
            except Exception:
                _failed()
        return _reset

    plan = [
        (Queue, "__init__", init_wrapper), (Queue, reset_name, reset_wrapper),
        (Queue, "put", put_wrapper), (Queue, "get", get_wrapper),
        (Joinable, "put", put_wrapper),
        (Joinable, "task_done", span_wrapper(QUEUE_TASK_DONE)),
        (Joinable, "join", span_wrapper(QUEUE_JOIN)),
        (Simple, "__init__", init_wrapper),
        (Simple, "put", simple_put_wrapper), (Simple, "get", simple_get_wrapper),
    ]
    for cls, name, make in plan:
        _saved[(cls, name)] = patching.wrap(cls, name, make)
    for cls in (Queue, Simple):
        cls._ct_user = False
        cls._ct_qid = 0


def uninstall():
    for (cls, name), orig in _saved.items():
        setattr(cls, name, orig)
