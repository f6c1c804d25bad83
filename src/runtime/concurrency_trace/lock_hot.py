"""The pure-Python hot path of the traced threading.Lock / RLock: acquire,
__enter__, release and __exit__ of the wrappers (locks.py) when the C
accelerator is not loaded.  native/ct_locks.c does the same in C, with the
same records and the same handling of arguments.

Records: uncontended, one LOCK_HOLD written after the real acquire, its end
(read before the real release) written in place; held: a LOCK_WAIT span, then
the hold; acquire(blocking=False) that fails: LOCK_TRY_FAIL; an RLock records
only the outermost acquire / release.

Arguments: none (the hot path); numbers (bool, int, float of the exact types)
are checked by the real lock's acquire on a fresh free lock, which raises
what the real one would; anything else is passed to one call of the real
acquire (it converts them once, as untraced: no user code runs twice).

Exception safety.  An exception can arrive after any call, at a function's
entry and at a backward jump: a signal handler that raises (Ctrl-C, a SIGALRM
timeout), an exception raised into the thread, RecursionError.
- Once the real lock is taken, tracer code runs inside try.  The program's
  exception undoes the acquire (release, close the record) and propagates:
  the program sees it as arriving before the acquire.  The tracer's own
  failure (a builtin exception raised with only tracer frames on its
  traceback) drops the record and keeps the
  lock.  RecursionError is passed on (the acquire undone): the program is at
  the limit.  These handlers call no Python function, so they work there.
- release / __exit__ read the end time inside try: an exception there
  releases before it propagates.
- RLock: ownership tells exactly whether the outermost acquire happened; an
  owned RLock's acquire cannot fail, so an exception at its return undoes it.
- Contended and argument paths call the real acquire through
  box.extend(map(...)), which stores the result before any check can run.
- Lock: locked() is asked just before acquire(False) (no check can run
  between them), so an exception at the check after acquire(False) returns,
  before its result is used, knows the lock was taken: it is released.
- Checks come after calls, at function entry, at backward jumps, and (3.10)
  at every taken conditional jump: from the real acquire to the return, and
  from the entry to the real release, the code stays inside try.
What pure Python cannot close (the C accelerator has no such window): the
check at the entry of __exit__ / release, before the release; and, for a
Lock, a waiter that takes the lock without the GIL between locked() and
acquire(False) while an exception lands right after (test_locks' hammer
test counts how often the lock is left held).

Tracebacks: on 3.11+ an exception passes the wrapper without its frame
(e.__traceback__ = e.__traceback__.tb_next, then a bare raise, which adds no
entry for the frame it leaves).  3.8-3.10 re-raise the frame's saved
traceback: the wrapper's frame stays there.
"""
import _thread
import functools
import itertools
import sys
import time

from . import perturb, writer
from .events import LOCK_HOLD
from .lock_records import site_cache, site_for
from .guard import raised_by_program as _by_program
from .lock_slow import (DEBUG, ENTER_TAKES_ARGS, EXIT_TAKES_ANY, FAILURES, PREFIX, PREFIX_LEN, STRIP,
                        acquire_slow, never_empty as _never_empty, undo)

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_ident = _thread.get_ident
_record_into = writer._record_into
_end1_into = writer._end1_into
_END_AT = writer.END_AT
_starmap = itertools.starmap
_partial = functools.partial
_ONCE = ((),)


# --------------------------------------------------------------------------
# Schedule perturbation (perturb.py): on for the whole process or not at all
# (it is installed before this module is imported); off, one global check.
_perturbing = perturb.enabled
_perturb_point = perturb.point_in_wrapper


def _count_lost():
    """The tracer failed after the acquire and before it claimed the hold's
    slot: the hold is counted as lost (writer.lost) rather than never known."""
    try:
        _w.lost()
    except BaseException:
        pass


# The methods.  The hot code is written out in each: a shared helper would
# cost a call per operation, and a call can fail at the recursion limit.


def _lock_acquire_of(is_enter):
    """Lock.acquire (is_enter false) or Lock.__enter__: one body."""
    def acquire(self, *args, **kw):
        if _perturbing:
            try:
                _perturb_point()    # before anything: an exception here came before the acquire
            except RecursionError:
                pass                # its frames over the limit (none untraced): no point
            except BaseException as e:
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        lock = self._lock
        if is_enter and (args or kw) and not ENTER_TAKES_ARGS:
            try:
                return lock.__enter__(*args, **kw)      # the real lock's error
            except BaseException as e:
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        if not args and not kw and not lock.locked():
            off = 0
            i = -1
            try:
                # From the real acquire to the return, every check (after a
                # call; a taken jump on 3.10) is inside this try.
                if lock.acquire(False):
                    if _w.enabled:
                        f = _getframe(1)
                        sid = site_cache.get((id(f.f_code), f.f_lasti))
                        if sid is None:
                            sid = site_for(f)
                        t = _mono()
                        for i in _w._slots:     # the writer's claim (no check between it and the store)
                            break
                        off = i << 6
                        m, base, end = _w._win
                        if base <= off < end:
                            _record_into(m, off - base, t, _ident(), self._obj, sid, 0, 0, 0, LOCK_HOLD)
                        else:
                            _w._put_record(off, LOCK_HOLD, t, _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                    return True
            except BaseException as e:
                mine = False        # the tracer's own failure? (guard's rule)
                if e.__class__ in FAILURES:
                    try:
                        mine = not _by_program(e)
                    except BaseException:
                        pass        # cannot tell (the recursion limit): the program's
                if mine and not DEBUG:     # only after the acquire: acquire(False) cannot fail
                    if i >= 0:
                        _never_empty(i << 6)
                    else:
                        _count_lost()       # failed before its claim (the site lookup): counted lost
                    self._off = i << 6 if i >= 0 else 0
                    return True
                # The program's: undo the acquire (inline: no call before the
                # release).  The lock was found free just before acquire(False),
                # with no check in between: it was taken, even if the result
                # was not stored.
                self._off = 0
                if lock.locked():
                    lock.release()
                if i >= 0:
                    _never_empty(i << 6, _mono())
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        box = []
        try:
            acquire_slow(self, box, _getframe(1), args, kw, _thread.allocate_lock)
        except BaseException as e:
            if box and box[0]:
                undo(self, lock)
            if STRIP:       # this frame and the slow path's
                tb = e.__traceback__
                while tb is not None and tb.tb_frame.f_code.co_filename[:PREFIX_LEN] == PREFIX:
                    tb = tb.tb_next
                e.__traceback__ = tb
            raise
        return box[0]
    acquire.__name__ = acquire.__qualname__ = "__enter__" if is_enter else "acquire"
    return acquire


class Lock(object):
    """threading.Lock's hot methods (base of locks.TracedLock)."""
    __slots__ = ("_lock", "_off", "_obj")

    acquire = _lock_acquire_of(False)
    __enter__ = _lock_acquire_of(True)

    def locked(self):
        return self._lock.locked()


def _rlock_acquire_of(is_enter):
    """RLock.acquire (is_enter false) or RLock.__enter__: one body."""
    def acquire(self, *args, **kw):
        if _perturbing:
            try:
                _perturb_point()    # before anything: an exception here came before the acquire
            except RecursionError:
                pass                # its frames over the limit (none untraced): no point
            except BaseException as e:
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        lock = self._lock
        if is_enter and (args or kw) and not ENTER_TAKES_ARGS:
            try:
                return lock.__enter__(*args, **kw)      # the real lock's error
            except BaseException as e:
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        try:
            owned = lock._is_owned()
        except BaseException as e:
            if STRIP:
                e.__traceback__ = e.__traceback__.tb_next
            raise
        if owned:
            # Nested: the real lock alone, no record.
            if args or kw:
                box = []
                try:
                    box.extend(_starmap(_partial(lock.acquire, *args, **kw), _ONCE))
                except BaseException as e:
                    if box and box[0]:
                        lock.release()
                    if STRIP:
                        e.__traceback__ = e.__traceback__.tb_next
                    raise
                return box[0]
            try:
                return lock.acquire()   # cannot fail: an exception here came after it
            except BaseException as e:
                lock.release()
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        if not args and not kw:
            off = 0
            i = -1
            try:
                if lock.acquire(False):
                    if _w.enabled:
                        f = _getframe(1)
                        sid = site_cache.get((id(f.f_code), f.f_lasti))
                        if sid is None:
                            sid = site_for(f)
                        t = _mono()
                        for i in _w._slots:     # the writer's claim (no check between it and the store)
                            break
                        off = i << 6
                        m, base, end = _w._win
                        if base <= off < end:
                            _record_into(m, off - base, t, _ident(), self._obj, sid, 0, 0, 0, LOCK_HOLD)
                        else:
                            _w._put_record(off, LOCK_HOLD, t, _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                    return True
            except BaseException as e:
                mine = False        # the tracer's own failure? (guard's rule)
                if e.__class__ in FAILURES:
                    try:
                        mine = not _by_program(e)
                    except BaseException:
                        pass        # cannot tell (the recursion limit): the program's
                if mine and not DEBUG:
                    if i >= 0:
                        _never_empty(i << 6)
                    else:
                        _count_lost()       # failed before its claim (the site lookup): counted lost
                    self._off = i << 6 if i >= 0 else 0
                    return True
                # The program's: undo the acquire if it happened (ownership
                # says so exactly: the lock was not owned before).
                self._off = 0
                if lock._is_owned():
                    lock.release()
                if i >= 0:
                    _never_empty(i << 6, _mono())
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        box = []
        try:
            acquire_slow(self, box, _getframe(1), args, kw, lock.__class__)
        except BaseException as e:
            if box and box[0]:
                undo(self, lock)
            if STRIP:       # this frame and the slow path's
                tb = e.__traceback__
                while tb is not None and tb.tb_frame.f_code.co_filename[:PREFIX_LEN] == PREFIX:
                    tb = tb.tb_next
                e.__traceback__ = tb
            raise
        return box[0]
    acquire.__name__ = acquire.__qualname__ = "__enter__" if is_enter else "acquire"
    return acquire


class RLock(object):
    """threading.RLock's hot methods (base of locks.TracedRLock)."""
    __slots__ = ("_lock", "_off", "_obj")

    acquire = _rlock_acquire_of(False)
    __enter__ = _rlock_acquire_of(True)

    def _is_owned(self):
        return self._lock._is_owned()


def _release_of(is_exit, rlock):
    """release(*args) (is_exit false: arguments are the real lock's error) or
    __exit__(*args) (arguments ignored, or on 3.15 three required).  The end time is read before the
    real release, so the holds of one lock never overlap.  From the entry to
    the release, every check but the entry's is inside the first try."""
    def release(self, *args):
        lock = self._lock
        off = self._off
        t = 0
        wrong = False
        try:
            if args and not is_exit or is_exit and not EXIT_TAKES_ANY and len(args) != 3:
                wrong = True
                return (lock.__exit__ if is_exit else lock.release)(*args)     # the real lock's error
            t = _mono()
        except BaseException as e:
            if t == 0 and not wrong:    # before the release: release, then propagate
                if not rlock:
                    self._off = 0
                lock.release()
                if off and (not rlock or not lock._is_owned()):
                    try:
                        _w._put_end1(off, _mono())
                    except BaseException:
                        pass
            if STRIP:
                e.__traceback__ = e.__traceback__.tb_next
            raise
        if not rlock:
            self._off = 0
        try:
            lock.release()
        except BaseException as e:
            if off and not (e.__class__ is RuntimeError and e.__traceback__.tb_next is None):
                # It came after the release (the release's own error is a
                # RuntimeError raised from this frame): close the hold.
                try:
                    if not rlock or not lock._is_owned():
                        _w._put_end1(off, t)
                except BaseException:
                    pass
            if STRIP:
                e.__traceback__ = e.__traceback__.tb_next
            raise
        if off and _w.enabled:
            try:
                if not rlock or not lock._is_owned():
                    m, base, end = _w._win
                    if base <= off < end:
                        _end1_into(m, off - base + _END_AT, t)
                    else:
                        _w._put_end1(off, t)
            except BaseException as e:
                if e.__class__ in FAILURES and not _by_program(e) and not DEBUG:
                    return None     # the tracer's failure: the record only
                try:
                    if not rlock or not lock._is_owned():
                        _w._put_end1(off, t)
                except BaseException:
                    pass
                if STRIP:
                    e.__traceback__ = e.__traceback__.tb_next
                raise
        return None
    release.__name__ = release.__qualname__ = "__exit__" if is_exit else "release"
    return release


Lock.release = _release_of(False, False)
Lock.__exit__ = _release_of(True, False)
RLock.release = _release_of(False, True)
RLock.__exit__ = _release_of(True, True)
