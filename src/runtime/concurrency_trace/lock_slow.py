"""The parts of the traced threading.Lock / RLock that are not the hot path,
shared by its pure-Python methods (lock_hot.py) and the C accelerator's
configuration: acquires that wait or were given arguments (acquire_slow), the
tracer-failure rule, the probes of the real lock's __enter__ / __exit__.

An acquire that may wait or that was given arguments calls the real acquire
through box.extend(map(...)), which stores the result before any check of
the interpreter can run: the caller's exception handler knows whether the
lock was taken (box[0] is True) and undoes it if an exception propagates.
See lock_hot's docstring for the exception-safety rules.
"""
import _thread
import builtins
import functools
import itertools
import os
import struct
import sys
import time

from . import writer
from .events import LOCK_HOLD, LOCK_TRY_FAIL, LOCK_WAIT
from .guard import raised_by_program
from .lock_records import site_cache, site_for

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_ident = _thread.get_ident
_record_into = writer._record_into
_map = map
_starmap = itertools.starmap
_partial = functools.partial
_FALSE1 = (False,)
_ONCE = ((),)
_NUMBERS = (bool, int, float)

STRIP = sys.version_info >= (3, 11)
DEBUG = bool(os.environ.get("CONCURRENCY_TRACE_DEBUG"))
# Tracer code lives under src/runtime (co_filename has the form of __file__).
PREFIX = os.path.dirname(os.path.dirname(__file__)) + os.sep
PREFIX_LEN = len(PREFIX)
# The exceptions tracer code may fail with (guard.tracer_failed's rule), but
# RecursionError: the program is at the limit, and its next call would raise
# it untraced (3.8 would let it recurse 50 levels further, then abort).  It
# is passed on, the acquire undone.
FAILURES = frozenset([c for c in vars(builtins).values() if isinstance(c, type)
                      and issubclass(c, Exception) and c is not RecursionError] + [struct.error])


def _accepts(call):
    try:
        call()
        return True
    except TypeError:
        return False


# 3.15: __enter__ takes no arguments and __exit__ exactly three (before, both
# were acquire / release with any); the wrappers check as the real lock does.
ENTER_TAKES_ARGS = _accepts(lambda: _thread.allocate_lock().__enter__(False))


def _exit_takes_any():
    held = _thread.allocate_lock()
    held.acquire()
    return _accepts(lambda: held.__exit__())


EXIT_TAKES_ANY = _exit_takes_any()


def tracer_failure(e):
    """Whether e is the tracer's own failure rather than the program's
    exception (guard's rule; RecursionError is the program's, see FAILURES)."""
    if e.__class__ not in FAILURES:
        return False
    try:
        return not raised_by_program(e)
    except BaseException:
        return False


def never_empty(off, end=0):
    """A claimed slot is never left empty (readers would wait for it): marked
    dropped if nothing was written there (writer.abandon); a record written
    there is closed at end, if given."""
    try:
        _w.abandon(off)
        if end:
            _w._put_end1(off, end)
    except BaseException:
        pass


def _count_lost():
    try:
        _w.lost()
    except BaseException:
        pass


def _write(off, kind, t, obj, sid):
    """The record at claimed slot off (the writer's hot-path contract)."""
    m, base, end = _w._win
    if base <= off < end:
        _record_into(m, off - base, t, _ident(), obj, sid, 0, 0, 0, kind)
    else:
        _w._put_record(off, kind, t, _ident(), obj, sid, 0, 0, 0)


def _site(f):
    """Site id of frame f; 0 if the tracer failed.  Before any acquire: the
    program's exception propagates."""
    try:
        sid = site_cache.get((id(f.f_code), f.f_lasti))
        return site_for(f) if sid is None else sid
    except BaseException as e:
        if tracer_failure(e) and not DEBUG:
            return 0
        if STRIP:
            e.__traceback__ = e.__traceback__.tb_next
        raise


def _begin(kind, obj, sid):
    """A record now (a point, or an open span); its offset, 0 if none.  Before
    any acquire: the program's exception propagates."""
    if not _w.enabled:
        return 0
    i = -1
    try:
        t = _mono()
        for i in _w._slots:
            break
        _write(i << 6, kind, t, obj, sid)
        return i << 6
    except BaseException as e:
        if i >= 0:
            never_empty(i << 6, _mono())
        if tracer_failure(e) and not DEBUG:
            if i < 0:
                _count_lost()       # the program's call goes on: its record is counted lost
            return 0
        if STRIP:
            e.__traceback__ = e.__traceback__.tb_next
        raise


def _numbers(args, kw):
    if len(args) > 2:
        return False
    for v in args:
        if type(v) not in _NUMBERS:
            return False
    for k, v in kw.items():
        if k not in ("blocking", "timeout") or type(v) not in _NUMBERS:
            return False
    return True


def acquire_slow(self, box, f, args, kw, fresh):
    """acquire() of a wrapper that did not take the lock at once, or was
    given arguments (not a nested RLock acquire).  The result goes into box
    the moment the real call returns (the caller's handler reads it: True
    means the lock is held and is undone if an exception propagates); the
    hold record is then begun and self._off set.  fresh() makes a free lock
    of the real type."""
    lock = self._lock
    obj = self._obj
    sid = _site(f) if _w.enabled else 0
    if not args and not kw:
        _wait(self, box, sid, lock.acquire)
        return
    if not _numbers(args, kw):
        # One call of the real acquire with the program's objects.
        _wait(self, box, sid, _partial(lock.acquire, *args, **kw))
        return
    # The real lock's checks, on a free lock that never blocks.
    fresh().acquire(*args, **kw)
    blocking = kw["blocking"] if "blocking" in kw else args[0] if args else True
    box.extend(_map(lock.acquire, _FALSE1))
    if box[0]:
        _hold(self, sid)
        return
    del box[:]
    if not blocking:
        _begin(LOCK_TRY_FAIL, obj, sid)
        box.append(False)
        return
    _wait(self, box, sid, _partial(lock.acquire, *args, **kw))


def _wait(self, box, sid, call):
    """A LOCK_WAIT span around call() (the real blocking acquire), its
    result into box, then the hold if it succeeded."""
    off = _begin(LOCK_WAIT, self._obj, sid)
    try:
        box.extend(_starmap(call, _ONCE))
    except BaseException as e:
        if off:
            try:
                _w.finish(off, 0, 0)
            except BaseException:
                pass
        if STRIP:
            e.__traceback__ = e.__traceback__.tb_next
        raise
    if off:
        try:
            _w.finish(off, 1 if box[0] else 0, 0)
        except BaseException as e:
            if not tracer_failure(e) or DEBUG:
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise       # the caller undoes the acquire
    if box[0]:
        _hold(self, sid)


def _hold(self, sid):
    """The LOCK_HOLD of a lock just taken (box holds True).  The program's
    exception propagates (the caller undoes the acquire); the tracer's
    failure drops the record."""
    self._off = 0
    if not _w.enabled:
        return
    i = -1
    try:
        t = _mono()
        for i in _w._slots:
            break
        _write(i << 6, LOCK_HOLD, t, self._obj, sid)
        self._off = i << 6
    except BaseException as e:
        if i >= 0:
            never_empty(i << 6)
            self._off = i << 6
        if tracer_failure(e) and not DEBUG:
            if i < 0:
                _count_lost()       # the lock is held: its hold is counted lost
            return
        if STRIP:
            e.__traceback__ = e.__traceback__.tb_next
        raise


def undo(self, lock):
    """Release a lock whose acquire the program must not see (an exception
    arrives before the acquire returns), closing its hold."""
    off = self._off
    self._off = 0
    lock.release()
    if off:
        try:
            _w._put_end1(off, _mono())
        except BaseException:
            pass
