"""asyncio.Queue / LifoQueue / PriorityQueue, Lock, Event, Condition,
Semaphore / BoundedSemaphore, Barrier (3.11+): recorded like their
threading cousins (events.py), for objects the user's code creates
(decided at creation from the creating frame, named by the variable:
lock_objects; OBJECT a = "asyncio.Lock"...).

Where a task waits on one of them is its ASYNC_WAIT span (asyncio_waits),
whose a is the object's id.  Here, the operations, each written in the step
of the task that does it (ident = the loop thread; the task is the one whose
ASYNC_RUN contains the record):
- Queue: put_nowait / get_nowait (put() and get() end in them): QUEUE_PUT /
  QUEUE_GET of zero length with message ids paired as for thread queues
  (queue_messages); b=1 when it raised (QueueFull / QueueEmpty).
- Lock, Semaphore: ASYNC_HOLD spans per task, acquire -> release.  acquire
  is a coroutine: on 3.12+ its return is seen by sys.monitoring
  (asyncio_returns) and acquire stays the standard library's, so no frame of
  ours is in the chain a call graph walks (asyncio.format_call_graph...);
  elsewhere it is wrapped by a coroutine that awaits the original (an
  exception passing through keeps its untraced traceback: safety.hide).
  A release by a task that holds nothing (a semaphore used as a signal)
  is a LOCK_RELEASE point; for a Lock it ends the open hold.
- Event.set / clear: EVENT_SET (b=1 clear).  Condition.notify /
  notify_all: COND_NOTIFY (a = n, -1 all), as sync_primitives.
Objects asyncio makes for itself (a Condition's own Lock, a Barrier's
Condition) are not recorded.
"""
import sys

from . import asyncio_returns, events, safe_values, safety, sites, writer as _w
from .patching import wrap
from .queue_messages import QueueState, add, forget, prune, take
from .sync_primitives import _record_creation, patch_condition_notify
from .sync_records import point

ASYNC_HOLD = events.ASYNC_HOLD
QUEUE_PUT = events.QUEUE_PUT
QUEUE_GET = events.QUEUE_GET
LOCK_RELEASE = events.LOCK_RELEASE
EVENT_SET = events.EVENT_SET

_getframe = sys._getframe
_failed = safety.failed
_hide = safety.hide
_site = sites.site
_task_ids = {}
_current_task = None


def install(task_ids):
    """Called by asyncio_tasks once asyncio is imported."""
    global _task_ids, _current_task
    import asyncio
    from asyncio import locks, queues
    _task_ids = task_ids
    _current_task = asyncio.current_task
    patch_queue(queues)
    patch_lock(locks.Lock)
    patch_semaphore(locks.Semaphore, locks.BoundedSemaphore)
    watch_acquires((locks.Lock, locks.Semaphore, locks.BoundedSemaphore))
    _record_creation(locks.Event, lambda self: "asyncio.Event")
    patch_event(locks.Event)
    _record_creation(locks.Condition, lambda self: "asyncio.Condition")
    patch_condition_notify(locks.Condition)
    barrier = getattr(locks, "Barrier", None)
    if barrier is not None:
        _record_creation(barrier, lambda self: "asyncio.Barrier")


def _task_id():
    """Trace id of the task running now (0: none, or not recorded)."""
    try:
        task = _current_task()
    except RuntimeError:        # no running loop (a callback of a stopped loop)
        return 0
    tid = _task_ids.get(id(task), 0) if task is not None else 0
    return tid if tid > 0 else 0


# --------------------------------------------------------------------------
# Queues

def patch_queue(queues):
    Queue = queues.Queue
    Lifo = queues.LifoQueue
    Priority = queues.PriorityQueue

    def type_name(self):
        t = type(self)
        if safe_values.is_subclass(t, Priority):
            return "asyncio.PriorityQueue"
        if safe_values.is_subclass(t, Lifo):
            return "asyncio.LifoQueue"
        return "asyncio.Queue"
    _record_creation(Queue, type_name)
    Queue._ct_q = None

    def state(self, obj):
        st = self._ct_q
        if st is None:
            st = self._ct_q = QueueState(obj, safe_values.is_subclass(type(self), Lifo))
        return st

    def make_put(orig):
        def put_nowait(self, item):
            try:
                obj = self._ct_id
                if not obj or not _w.enabled:
                    return orig(self, item)
                k = e = st = None
                try:
                    st = state(self, obj)
                    m = _w.new_object_id()
                    k = id(item)
                    e = (m, item)
                    add(st, k, e)
                    site = _site(1)
                    t = _w.monotonic_ns()
                except Exception:
                    _failed()
                    return orig(self, item)
                try:
                    result = orig(self, item)
                except BaseException:
                    try:
                        forget(st, k, e)
                        _w.point_at(QUEUE_PUT, t, _w.get_ident(), obj, site, m, 1, end=t)
                    except Exception:
                        _failed()
                    raise
                try:
                    _w.point_at(QUEUE_PUT, t, _w.get_ident(), obj, site, m, 0, end=t)
                    if not len(st.table) & 63:
                        prune(st, self.__dict__.get("_queue"))
                except Exception:
                    _failed()
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return put_nowait
    wrap(Queue, "put_nowait", make_put)

    def make_get(orig):
        def get_nowait(self):
            try:
                obj = self._ct_id
                if not obj or not _w.enabled:
                    return orig(self)
                try:
                    item = orig(self)
                except BaseException:
                    try:
                        t = _w.monotonic_ns()
                        _w.point_at(QUEUE_GET, t, _w.get_ident(), obj, _site(1), 0, 1, end=t)
                    except Exception:
                        _failed()
                    raise
                try:
                    st = self._ct_q
                    m = take(st, item) if st is not None else 0
                    t = _w.monotonic_ns()
                    _w.point_at(QUEUE_GET, t, _w.get_ident(), obj, _site(1), m, 0, end=t)
                except Exception:
                    _failed()
                return item
            except BaseException as exc:
                _hide(exc)
                raise
        return get_nowait
    wrap(Queue, "get_nowait", make_get)


# --------------------------------------------------------------------------
# Lock / Semaphore holds

def _held(self, obj, site):
    """An acquire succeeded: open the running task's ASYNC_HOLD."""
    tid = _task_id()
    holds = self._ct_holds
    if holds is None:
        holds = self._ct_holds = {}
    holds.setdefault(tid, []).append(_w.begin(ASYNC_HOLD, obj, site, tid))


def _released(self, obj, f, single):
    """A release: end the running task's hold, else (a Lock: one holder)
    the open one; otherwise a LOCK_RELEASE point."""
    holds = self._ct_holds
    stack = holds.get(_task_id()) if holds else None
    if not stack and single and holds:
        stack = next((s for s in holds.values() if s), None)
    if stack:
        off = stack.pop()
        if off >= _w._first_off:        # (a hold begun in the parent of a forked child: its file)
            _w.finish_time(off)
    else:
        point(LOCK_RELEASE, obj, f, 1)


def _make_acquire(orig):
    async def acquire(self):
        try:
            obj = self._ct_id
            if not obj or not _w.enabled:
                return await orig(self)
            try:
                site = _site(1)
            except Exception:
                _failed()
                site = 0
            result = await orig(self)
            try:
                _held(self, obj, site)
            except Exception:
                _failed()
            return result
        except BaseException as exc:
            _hide(exc)
            raise
    return acquire


def _acquired(frame):
    """asyncio_returns: the standard library's acquire (frame) returns."""
    try:
        self = frame.f_locals.get("self")
        if self is None:
            return
        obj = self._ct_id
        if obj and _w.enabled:
            _held(self, obj, _site(1))
    except Exception:
        _failed()


def watch_acquires(classes):
    """The holds' begins: acquire's return seen by sys.monitoring where it
    can be (3.12+), else a wrapper of acquire."""
    own = [cls for cls in classes if "acquire" in cls.__dict__]
    codes = [getattr(cls.__dict__["acquire"], "__code__", None) for cls in own]
    if None not in codes and asyncio_returns.watch(codes, _acquired, lambda: wrap_acquires(own)):
        return
    wrap_acquires(own)


def wrap_acquires(classes):
    for cls in classes:
        wrap(cls, "acquire", _make_acquire)


def _make_release(single):
    def make(orig):
        def release(self):
            try:
                orig(self)
                obj = self._ct_id
                if obj:
                    try:
                        _released(self, obj, _getframe(1), single)
                    except Exception:
                        _failed()
            except BaseException as exc:
                _hide(exc)
                raise
        return release
    return make


def patch_lock(Lock):
    _record_creation(Lock, lambda self: "asyncio.Lock")
    Lock._ct_holds = None
    wrap(Lock, "release", _make_release(True))


def patch_semaphore(Semaphore, Bounded):
    _record_creation(Semaphore, lambda self: "asyncio.BoundedSemaphore"
                     if safe_values.is_subclass(type(self), Bounded) else "asyncio.Semaphore",
                     (Bounded.__dict__["__init__"],) if "__init__" in Bounded.__dict__ else ())
    Semaphore._ct_holds = None
    # BoundedSemaphore.release checks its bound, then calls Semaphore.release.
    wrap(Semaphore, "release", _make_release(False))


# --------------------------------------------------------------------------
# Event

def patch_event(Event):
    def make_set(orig, clear):
        def set(self):
            try:
                result = orig(self)
                obj = self._ct_id
                if obj:
                    point(EVENT_SET, obj, _getframe(1), 0, clear)
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return set
    wrap(Event, "set", lambda orig: make_set(orig, 0))
    wrap(Event, "clear", lambda orig: make_set(orig, 1))
