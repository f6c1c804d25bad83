"""Queues: every put paired with the get that received it.

queue.Queue / LifoQueue / PriorityQueue (here) / SimpleQueue (simple_queues)
    Each traced put gets a message id, handed to the get that returns the
    same object (queue_messages).  Whether a queue is traced is decided once,
    at creation, from the creating frame: queues the standard library makes
    for itself (ThreadPoolExecutor's SimpleQueue, the Manager server's queues,
    ThreadPool's) stay silent.
    A blocking put/get first tries without blocking (same result): when that
    works it is one record; when it would wait, a span opens before waiting.

multiprocessing Queue / JoinableQueue / SimpleQueue: mp_queues.
Manager queues (client side): manager_queues.

Every wrapper calls the original once with the program's arguments (argument
errors are the original's), re-raises with the untraced traceback
(safety.hide), and keeps its bookkeeping apart (safety.failed): an
exception that arrives in the middle (a signal handler's, Ctrl-C) goes on
to the program, after the real put or get took effect or before it did,
as it would untraced just after or before the call.
"""
import _thread
import sys

from . import events, patching, perturb, pipes, safe_values, safety, sites, writer as _w
from .import_hooks import after_import
from .queue_messages import QueueState, add_more, forget, prune, take, take_more

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
_failed = safety.failed
_hide = safety.hide
_KEEP_RECURSION = safety.KEEP_RECURSION_ERRORS

_originals = {}
# Schedule perturbation (perturb.py, installed before this module is
# imported): a point before a traced put / get; off, one global check.
_perturbing = perturb.enabled
_perturb_point = perturb.point_in_wrapper


def _make_put(orig, full, depth=1):
    """put(self, item, block=True, timeout=None) of a thread queue class
    whose original put is `orig` (a function with this signature, or the C
    SimpleQueue.put).  `full` is the Full of orig's own module (test suites
    import fresh copies of queue).  *args: arguments that do not bind go to
    the original untouched, which raises its own error.  One function, no
    helper frames on the common path: the recursion limit is reached where
    it is untraced, plus this frame."""

    def put(self, *args, **kwargs):
        try:
            st = self._ctrace
            if st is None or not _w.enabled:
                return orig(self, *args, **kwargs)
            if _perturbing:
                _perturb_point()
            if len(args) == 1 and not kwargs:
                item = args[0]
                block = True
                timeout = None
            else:
                bound = bind_put(args, kwargs)
                if bound is None:
                    return orig(self, *args, **kwargs)
                item, block, timeout = bound
            k = e = None
            try:
                m = _new_id()
                k = id(item)
                e = (m, item)
                if st.table.setdefault(k, e) is not e:
                    add_more(st, k, e)
                site = _site(depth)
                t0 = _mono()
            except RecursionError:
                if _KEEP_RECURSION:
                    raise
                return orig(self, *args, **kwargs)
            except Exception:
                _failed()
                return orig(self, *args, **kwargs)
            wait = False
            try:
                if block and (timeout is None or (type(timeout) in _NUMBERS and timeout >= 0)):
                    try:
                        orig(self, item, False, None)
                    except full:
                        wait = True
                else:
                    orig(self, item, block, timeout)
            except BaseException:
                try:
                    forget(st, k, e)
                    _point_at(QUEUE_PUT, t0, _get_ident(), st.obj, site, m, 1, _mono())
                except Exception:
                    _failed()
                raise
            if wait:
                return _put_waiting(self, st, item, block, timeout, orig, m, k, e, site, t0)
            try:
                _point_at(QUEUE_PUT, t0, _get_ident(), st.obj, site, m, 0, t0)
                if not len(st.table) & 63:
                    prune(st, self.__dict__.get("queue"))
            except RecursionError:
                if _KEEP_RECURSION:
                    raise
            except Exception:
                _failed()
        except BaseException as exc:
            if exc.__class__ is not RecursionError:     # (calling hide there fails again)
                _hide(exc)
            raise
    return put


def _put_waiting(q, st, item, block, timeout, orig, m, k, e, site, t0):
    off = 0
    try:
        st.waiting.add(m)
        off = _point_at(QUEUE_PUT, t0, _get_ident(), st.obj, site, m, 0, 0)
    except Exception:
        _failed()
    try:
        orig(q, item, block, timeout)
    except BaseException:
        try:
            st.waiting.discard(m)
            forget(st, k, e)
            if off:
                _finish(off, m, 1)
        except Exception:
            _failed()
        raise
    try:
        st.waiting.discard(m)
        if off:
            _finish_time(off)
    except Exception:
        _failed()


def _make_get(orig, empty, depth=1):
    """get(self, block=True, timeout=None): as _make_put; a get that did not
    wait is one record at its end (after the put's start, always)."""

    def get(self, *args, **kwargs):
        try:
            st = self._ctrace
            if st is None or not _w.enabled:
                return orig(self, *args, **kwargs)
            if _perturbing:
                _perturb_point()
            if not args and not kwargs:
                block = True
                timeout = None
            else:
                bound = bind_get(args, kwargs)
                if bound is None:
                    return orig(self, *args, **kwargs)
                block, timeout = bound
            try:
                site = _site(depth)
            except RecursionError:
                if _KEEP_RECURSION:
                    raise
                return orig(self, *args, **kwargs)
            except Exception:
                _failed()
                return orig(self, *args, **kwargs)
            wait = False
            try:
                if block and (timeout is None or (type(timeout) in _NUMBERS and timeout >= 0)):
                    try:
                        item = orig(self, False, None)
                    except empty:
                        wait = True
                else:
                    item = orig(self, block, timeout)
            except BaseException:
                try:
                    t = _mono()
                    _point_at(QUEUE_GET, t, _get_ident(), st.obj, site, 0, 1, t)
                except Exception:
                    _failed()
                raise
            if wait:
                return _get_waiting(self, st, block, timeout, orig, site)
            try:
                v = st.table.pop(id(item), None)
                m = v[0] if type(v) is tuple else (0 if v is None else take_more(st, id(item), v))
                t = _mono()
                _point_at(QUEUE_GET, t, _get_ident(), st.obj, site, m, 0, t)
            except RecursionError:
                if _KEEP_RECURSION:
                    raise
            except Exception:
                _failed()
            return item
        except BaseException as exc:
            if exc.__class__ is not RecursionError:
                _hide(exc)
            raise
    return get


def bind_put(args, kwargs):
    """(item, block, timeout) of put(item, block=True, timeout=None) called
    with these arguments; None when they do not bind so."""
    names = ("item", "block", "timeout")
    values = [None, True, None]
    if len(args) > 3:
        return None
    values[:len(args)] = args
    for key in kwargs:
        if key not in names or names.index(key) < len(args):
            return None
        values[names.index(key)] = kwargs[key]
    if not args and "item" not in kwargs:
        return None
    return values


def bind_get(args, kwargs):
    """(block, timeout) of get(block=True, timeout=None) called with these
    arguments; None when they do not bind so."""
    n = len(args)
    if n > 2:
        return None
    block = args[0] if n >= 1 else True
    timeout = args[1] if n == 2 else None
    for key in kwargs:
        if key == "block" and n < 1:
            block = kwargs[key]
        elif key == "timeout" and n < 2:
            timeout = kwargs[key]
        else:
            return None
    return block, timeout


def _get_waiting(q, st, block, timeout, orig, site):
    off = 0
    try:
        off = _begin(QUEUE_GET, st.obj, site, 0, 0)
    except Exception:
        _failed()
    try:
        item = orig(q, block, timeout)
    except BaseException:
        try:
            if off:
                _finish(off, 0, 1)
        except Exception:
            _failed()
        raise
    try:
        m = take(st, item)
        if off:
            _finish(off, m, 0)
    except Exception:
        _failed()
    return item


def _new_state(type_name, depth, lifo):
    """Tracing state for a thread queue created by user code, or None."""
    try:
        if not _w.enabled:
            return None
        f = _getframe(depth + 1)
        if not _is_user(f):
            return None
        obj = _new_id()
        pipes.write_object(obj, type_name, f, depth + 1)
        return QueueState(obj, lifo)
    except Exception:
        _failed()
        return None


def _patch_queue(module):
    Queue = module.Queue
    if patching.is_wrapped(Queue.__dict__.get("put")):
        return
    Lifo = module.LifoQueue
    orig_init = Queue.__init__
    orig_task_done = Queue.task_done
    orig_join = Queue.join
    _originals.update(queue=module, Queue=Queue, init=orig_init, put=Queue.put, get=Queue.get,
                      task_done=orig_task_done, join=orig_join)

    def make_init(orig):
        def __init__(self, maxsize=0):
            try:
                orig(self, maxsize)
                st = _new_state(safe_values.type_name(self), 1,
                                safe_values.is_subclass(type(self), Lifo))
                if st is not None:
                    self._ctrace = st
            except BaseException as exc:
                _hide(exc)
                raise
        return __init__

    def make_task_done(orig):
        def task_done(self):
            try:
                st = self._ctrace
                if st is None or not _w.enabled:
                    return orig(self)
                return _traced_call(QUEUE_TASK_DONE, st.obj, orig, self)
            except BaseException as exc:
                _hide(exc)
                raise
        return task_done

    def make_join(orig):
        def join(self):
            try:
                st = self._ctrace
                if st is None or not _w.enabled:
                    return orig(self)
                return _traced_call(QUEUE_JOIN, st.obj, orig, self)
            except BaseException as exc:
                _hide(exc)
                raise
        return join

    Queue._ctrace = None
    patching.wrap(Queue, "__init__", make_init)
    patching.wrap(Queue, "put", lambda orig: _make_put(orig, module.Full))
    patching.wrap(Queue, "get", lambda orig: _make_get(orig, module.Empty))
    patching.wrap(Queue, "task_done", make_task_done)
    patching.wrap(Queue, "join", make_join)
    from . import simple_queues
    simple_queues.patch(module, _originals)


def _traced_call(kind, obj, orig, *args):
    """A span around orig(*args); a=1 if it raised (task_done, join)."""
    off = 0
    try:
        off = _begin(kind, obj, _site(2), 0, 0)
    except Exception:
        _failed()
    try:
        result = orig(*args)
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


# --- install --------------------------------------------------------------------

def install():
    from . import manager_queues, mp_queues
    after_import("queue", _patch_queue)
    after_import("multiprocessing.queues", mp_queues.patch)
    after_import("multiprocessing.managers", manager_queues.patch)


def uninstall():
    Queue = _originals.get("Queue")
    if Queue is not None:
        for name in ("put", "get", "task_done", "join"):
            setattr(Queue, name, _originals[name])
        Queue.__init__ = _originals["init"]
        if "SimpleQueue" in _originals:
            patching.replace_global(_originals["SimpleQueue.module"], "SimpleQueue",
                                    _originals["SimpleQueue"])
    from . import manager_queues, mp_queues
    mp_queues.uninstall()
    manager_queues.uninstall()
