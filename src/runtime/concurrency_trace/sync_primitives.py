"""threading.Condition / Semaphore / BoundedSemaphore / Event / Barrier.

The classes are patched (so subclasses inherit); an instance the user's code
creates gets a trace id in _ct_id (0: untraced, the class default).  The
signal patchers (patch_condition_signals, patch_event_signals,
patch_barrier_wait) serve every class whose _ct_id gives its trace id:
multiprocessing's and the Manager proxies' as well (mp_locks,
manager_locks).  Records: COND_WAIT span / COND_NOTIFY point; the LOCK_*
records of a lock for a semaphore (holds per thread, a release by a thread
that holds none is a LOCK_RELEASE point); EVENT_WAIT span / EVENT_SET point
(b=1 clear); BARRIER_WAIT span (end a = index, -1 broken).
"""
import sys
import time

from . import writer
from .events import BARRIER_WAIT, COND_NOTIFY, COND_WAIT, EVENT_SET, EVENT_WAIT
from .lock_objects import decide, init_codes, record_object
from .lock_records import Holds, begin, contended, debug, finish, point, span, wrap

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns


def install(make_rlock):
    """Patch threading's classes; make_rlock(cid) makes the traced RLock of
    a Condition created without a lock (its records carry the Condition's id)."""
    import threading
    patch_condition(threading.Condition, make_rlock)
    patch_semaphore(threading.Semaphore, threading.BoundedSemaphore)
    _record_creation(threading.Event, lambda self: "Event")
    patch_event_signals(threading.Event)
    _record_creation(threading.Barrier, lambda self: "Barrier")
    patch_barrier_wait(threading.Barrier)


def _record_creation(cls, type_name, also_skip=(), holds=False):
    """cls.__init__ gives an instance the user's code creates a trace id
    (and a Holds if holds) and records its OBJECT; type_name(self)."""
    cls._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            f = decide(skip)
            if f is not None:
                try:
                    obj = _w.new_object_id()
                    if holds:
                        self._ct_holds = Holds()
                    self._ct_id = obj
                    record_object(obj, type_name(self), f)
                except Exception:
                    debug()
        return __init__
    orig_init = wrap(cls, "__init__", make_init)
    skip |= init_codes(orig_init, cls.__init__, *also_skip)


# --------------------------------------------------------------------------
# Condition

def patch_condition(Condition, make_rlock):
    Condition._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self, lock=None):
            f = decide(skip)
            if f is None:
                return orig(self, lock)
            cid = 0
            try:
                cid = _w.new_object_id()
                record_object(cid, "Condition", f)
                if lock is None:
                    lock = make_rlock(cid)
            except Exception:
                debug()
            orig(self, lock)
            self._ct_id = cid
        return __init__
    orig_init = wrap(Condition, "__init__", make_init)
    skip |= init_codes(orig_init, Condition.__init__)
    patch_condition_signals(Condition)


def patch_condition_signals(Condition):
    """wait: COND_WAIT span; notify / notify_all: COND_NOTIFY (a = n, -1 all)."""
    wrap(Condition, "wait", _wait_span(COND_WAIT))
    patch_condition_notify(Condition)


def patch_condition_notify(Condition):
    """notify / notify_all: COND_NOTIFY (a = n, -1 all); notify called by
    notify_all is not a second record."""
    notify_all_code = [None]

    def make_notify(orig):
        def notify(self, n=1):
            result = orig(self, n)
            cid = self._ct_id
            if cid:
                f = _getframe(1)
                if f.f_code is not notify_all_code[0]:
                    point(COND_NOTIFY, cid, f, n if type(n) is int else 1)
            return result
        return notify
    wrap(Condition, "notify", make_notify)

    def make_notify_all(orig):
        def notify_all(self):
            result = orig(self)
            cid = self._ct_id
            if cid:
                point(COND_NOTIFY, cid, _getframe(1), -1)
            return result
        return notify_all
    orig_notify_all = wrap(Condition, "notify_all", make_notify_all)
    notify_all_code[0] = orig_notify_all.__code__
    if Condition.__dict__.get("notifyAll") is orig_notify_all:   # 3.8, 3.9: an alias
        Condition.notifyAll = Condition.notify_all


# --------------------------------------------------------------------------
# Semaphore / BoundedSemaphore

def patch_semaphore(Semaphore, BoundedSemaphore):
    _record_creation(Semaphore, lambda self: "BoundedSemaphore"
                     if isinstance(self, BoundedSemaphore) else "Semaphore",
                     (BoundedSemaphore.__init__,), holds=True)

    def make_acquire(orig):
        def acquire(self, blocking=True, timeout=None):
            obj = self._ct_id
            if not obj or (not blocking and timeout is not None):
                return orig(self, blocking, timeout)
            f = _getframe(1)
            if orig(self, False, None):
                self._ct_holds.acquired(obj, f)
                return True
            ok = contended(obj, f, blocking, orig, self, blocking, timeout)
            if ok:
                self._ct_holds.acquired(obj, f)
            return ok
        return acquire
    wrap(Semaphore, "acquire", make_acquire)
    Semaphore.__enter__ = Semaphore.acquire

    def make_release(orig):
        def release(self, *args, **kwargs):     # release(n=1) from 3.9, release() before
            t = _mono()
            orig(self, *args, **kwargs)
            obj = self._ct_id
            if obj:
                n = args[0] if args else kwargs.get("n", 1)
                self._ct_holds.released(obj, _getframe(1), n if type(n) is int else 1, t)
        return release
    wrap(Semaphore, "release", make_release)
    if "release" in BoundedSemaphore.__dict__:
        wrap(BoundedSemaphore, "release", make_release)


# --------------------------------------------------------------------------
# Event / Barrier

def patch_event_signals(Event):
    """set / clear: EVENT_SET (b = 1 clear); wait: EVENT_WAIT span."""
    def make_set(orig, clear):
        def set(self):
            result = orig(self)
            obj = self._ct_id
            if obj:
                point(EVENT_SET, obj, _getframe(1), 0, clear)
            return result
        return set
    wrap(Event, "set", lambda orig: make_set(orig, 0))
    wrap(Event, "clear", lambda orig: make_set(orig, 1))

    wrap(Event, "wait", _wait_span(EVENT_WAIT))


def _wait_span(kind):
    """A maker of wait(timeout=None) that is a span of kind (end a = 1 if
    it returned true) when self._ct_id is set."""
    def make_wait(orig):
        def wait(self, timeout=None):
            obj = self._ct_id
            if not obj:
                return orig(self, timeout)
            return span(kind, obj, _getframe(1), orig, self, timeout)
        return wait
    return make_wait


def patch_barrier_wait(Barrier):
    """wait: BARRIER_WAIT span, a = -1 at the start, the index at the end
    (-1 if it raised)."""
    def make_wait(orig):
        def wait(self, timeout=None):
            obj = self._ct_id
            if not obj:
                return orig(self, timeout)
            off = begin(BARRIER_WAIT, obj, _getframe(1), -1)
            try:
                index = orig(self, timeout)
            except BaseException:
                finish(off, -1)
                raise
            finish(off, index if type(index) is int else (1 if index else 0))
            return index
        return wait
    wrap(Barrier, "wait", make_wait)
