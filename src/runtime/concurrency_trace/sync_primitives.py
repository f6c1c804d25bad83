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
import _operator
import functools
import sys
import time

from . import safe_values, safety, writer
from .events import (BARRIER_WAIT, COND_NOTIFY, COND_WAIT, EVENT_SET, EVENT_WAIT, LOCK_TRY_FAIL,
                     LOCK_WAIT)
from .lock_objects import decide, init_codes, record_object
from .patching import wrap
from .sync_records import Holds, begin, finish, point, span

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_failed = safety.failed
_hide = safety.hide
_call = _operator.methodcaller("__call__")


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
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            f = decide(skip)
            if f is not None:
                try:
                    obj = _w.new_object_id()
                    if holds:
                        self._ct_holds = Holds()
                    self._ct_id = obj
                    record_object(obj, type_name(self), f)
                except Exception:
                    _failed()
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
            try:
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
                    _failed()
                orig(self, lock)
                self._ct_id = cid
            except BaseException as exc:
                _hide(exc)
                raise
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
            try:
                result = orig(self, n)
                cid = self._ct_id
                if cid:
                    f = _getframe(1)
                    if f.f_code is not notify_all_code[0]:
                        point(COND_NOTIFY, cid, f, n if type(n) is int else 1)
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return notify
    wrap(Condition, "notify", make_notify)

    def make_notify_all(orig):
        def notify_all(self):
            try:
                result = orig(self)
                cid = self._ct_id
                if cid:
                    point(COND_NOTIFY, cid, _getframe(1), -1)
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return notify_all
    orig_notify_all = wrap(Condition, "notify_all", make_notify_all)
    notify_all_code[0] = orig_notify_all.__code__
    if Condition.__dict__.get("notifyAll") is orig_notify_all:   # 3.8, 3.9: an alias
        Condition.notifyAll = Condition.notify_all


# --------------------------------------------------------------------------
# Semaphore / BoundedSemaphore

def patch_semaphore(Semaphore, BoundedSemaphore):
    """acquire / __enter__ / release.  The acquire is guarded as
    mp_lock_states' are: an acquire that took effect and then met an
    exception anywhere in the wrapper is released again (its result lands in
    `box` inside C: no bytecode in between), and the wrapper ends with a
    cheap C call inside its try so a signal that came during the
    bookkeeping is handled there; a release that met one before the real
    release still releases (that it ran, from `done`)."""
    _record_creation(Semaphore, lambda self: "BoundedSemaphore"
                     if safe_values.is_subclass(type(self), BoundedSemaphore) else "Semaphore",
                     (BoundedSemaphore.__init__,), holds=True)

    def make_acquire(orig):
        def acquire(self, blocking=True, timeout=None):
            box = []
            try:
                try:
                    obj = self._ct_id
                    if not obj or (not blocking and timeout is not None):
                        return orig(self, blocking, timeout)
                    f = _getframe(1)
                    if _attempt(self, orig, False, None, f, obj, box):
                        ok = True
                    elif not blocking:
                        point(LOCK_TRY_FAIL, obj, f)
                        ok = False
                    else:
                        off = begin(LOCK_WAIT, obj, f)
                        try:
                            ok = _attempt(self, orig, blocking, timeout, f, obj, box)
                        except BaseException:
                            finish(off, 0)
                            raise
                        finish(off, 1 if ok else 0)
                    _mono()     # a last check point: a pending signal is handled here
                    return ok
                except BaseException:
                    if box and box[-1]:
                        _undo(self)
                    raise
            except BaseException as exc:
                _hide(exc)
                raise
        return acquire
    wrap(Semaphore, "acquire", make_acquire)
    Semaphore.__enter__ = Semaphore.acquire
    orig_release = Semaphore.__dict__["release"]

    def _undo(self):
        orig_release(self)
        try:
            self._ct_holds.released(self._ct_id, None, 1)
        except Exception:
            _failed()

    def _attempt(self, orig, blocking, timeout, f, obj, box):
        """orig(self, blocking, timeout), the hold recorded."""
        box.extend(map(orig, (self,), (blocking,), (timeout,)))
        if box[-1]:
            self._ct_holds.acquired(obj, f)
            return True
        return box[-1]

    def make_release(orig):
        orig_code = orig.__code__

        def release(self, *args, **kwargs):     # release(n=1) from 3.9, release() before
            done = []
            try:
                try:
                    t = _mono()
                    done.extend(map(_call, (functools.partial(orig, self, *args, **kwargs),)))
                    obj = self._ct_id
                    if obj:
                        n = args[0] if args else kwargs.get("n", 1)
                        self._ct_holds.released(obj, _getframe(1), n if type(n) is int else 1, t)
                except BaseException as e:
                    if not done:
                        # came before the release began (no frame of it in the
                        # traceback): released
                        tb = e.__traceback__
                        while tb is not None and tb.tb_frame.f_code is not orig_code:
                            tb = tb.tb_next
                        if tb is None:
                            orig(self, *args, **kwargs)
                    raise
            except BaseException as exc:
                _hide(exc)
                raise
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

    wrap(Event, "wait", _wait_span(EVENT_WAIT))


def _wait_span(kind):
    """A maker of wait(timeout=None) that is a span of kind (end a = 1 if
    it returned true) when self._ct_id is set."""
    def make_wait(orig):
        def wait(self, timeout=None):
            try:
                obj = self._ct_id
                if not obj:
                    return orig(self, timeout)
                return span(kind, obj, _getframe(1), orig, self, timeout)
            except BaseException as exc:
                _hide(exc)
                raise
        return wait
    return make_wait


def patch_barrier_wait(Barrier):
    """wait: BARRIER_WAIT span, a = -1 at the start, the index at the end
    (-1 if it raised)."""
    def make_wait(orig):
        def wait(self, timeout=None):
            try:
                obj = self._ct_id
                if not obj:
                    return orig(self, timeout)
                off = begin(BARRIER_WAIT, obj, _getframe(1), -1)
                try:
                    index = orig(self, timeout)
                except BaseException:
                    finish(off, -1)
                    raise
                finish(off, index if type(index) is int else 0)
                return index
            except BaseException as exc:
                _hide(exc)
                raise
        return wait
    wrap(Barrier, "wait", make_wait)
