"""The tracing state of one traced multiprocessing SemLock (Lock, RLock,
Semaphore, BoundedSemaphore, and the locks inside Condition / Event /
Barrier), and its acquire / release / __enter__ / __exit__.

The state is held by the SemLock and holds no reference back to it, so no
cycle delays the SemLock's finalizer.  Its acquire and release become the
SemLock's own (instance attributes, as multiprocessing's _make_methods
sets the C methods); __enter__ / __exit__ are patched on the class.

Exceptions at any bytecode (safety): an acquire whose real acquire took
effect and then met an exception (Ctrl-C, a signal handler's exception,
RecursionError) releases the lock again before the exception goes on; a
release that met one before the real release still releases.  Whether the
real acquire took effect is read from the lock itself (_is_mine: the
thread owns it; _count: this process's acquisitions of an RLock) or, for a
semaphore, from a list the C call's result is appended to inside C (no
bytecode between the two).  A program's own misuse (releasing an unowned
lock) raises exactly as untraced.
"""
import _thread
import sys
import time

from . import sync_records as rec
from .events import LOCK_HOLD, LOCK_TRY_FAIL, LOCK_WAIT

_getframe = sys._getframe
# 3.9+: a RecursionError raised by the tracer's own frames, before the real
# operation (or after it was undone), is the tracer's: the real C operation
# runs untraced instead.  3.8 must see it (see safety).
RETRY_RECURSION = sys.version_info >= (3, 9)
_mono = time.monotonic_ns
_ident = _thread.get_ident
hide = rec.hide


class MpLock(object):
    """A Lock (a semaphore with maximum 1: any thread may release it)."""
    __slots__ = ("sl", "obj", "off")

    def __init__(self, sl, obj):
        self.sl = sl
        self.obj = obj
        self.off = 0

    # -- what the program calls (as the SemLock's attributes) --

    def acquire(self, *args, **kwargs):
        try:
            try:
                if args or kwargs:
                    bt = block_timeout(args, kwargs)
                    if bt is None or not _plain_args(bt[0], bt[1]):
                        return self.attempt_raw(args, kwargs, _getframe(1))
                    return self.acquire_as(bt[0], bt[1], _getframe(1))
                return self.acquire_as(True, None, _getframe(1))
            except RecursionError:
                # The tracer's frames reached the limit (an acquire that took
                # effect was undone): on 3.9+ the real acquire runs untraced.
                if not RETRY_RECURSION:
                    raise
            return self.sl.acquire(*args, **kwargs)
        except BaseException as exc:
            hide(exc)
            raise

    def release(self):
        try:
            try:
                self.exit(_getframe(1))
            except RecursionError as e:
                tb = e.__traceback__
                if tb is not None and tb.tb_next is None:
                    self.sl.release()      # raised calling exit: nothing released yet
                if not RETRY_RECURSION:
                    raise
        except BaseException as exc:
            hide(exc)
            raise

    # -- the work --

    def acquire_as(self, block, timeout, f):
        """acquire(block, timeout) with plain arguments, called at frame f."""
        if self.attempt(False, None, f):
            return True
        if not block:
            rec.point(LOCK_TRY_FAIL, self.obj, f)
            return False
        off = rec.begin(LOCK_WAIT, self.obj, f)
        try:
            ok = self.attempt(True, timeout, f)
        except BaseException:
            rec.finish(off, 0)
            raise
        rec.finish(off, 1 if ok else 0)
        return ok

    def attempt(self, block, timeout, f):
        """The real acquire(block, timeout), its hold recorded; undone if an
        exception arrives after it took effect."""
        sl = self.sl
        mine = sl._is_mine()       # held already (then this acquire fails)
        ok = False
        try:
            ok = sl.acquire(block, timeout)
            if ok:
                self.held(f)
            return ok
        except BaseException:
            if ok or (not mine and sl._is_mine()):
                sl.release()        # C calls only before this: works at the recursion limit
                self.unheld()
            raise

    def attempt_raw(self, args, kwargs, f):
        sl = self.sl
        mine = sl._is_mine()
        ok = False
        try:
            ok = sl.acquire(*args, **kwargs)
            if ok:
                self.held(f)
            return ok
        except BaseException:
            if ok or (not mine and sl._is_mine()):
                sl.release()
                self.unheld()
            raise

    def held(self, f):
        """Begin the LOCK_HOLD span of an acquire."""
        self.off = rec.begin(LOCK_HOLD, self.obj, f)

    def unheld(self):
        """An acquisition was undone: its hold ends."""
        off = self.off
        self.off = 0
        rec.end_hold(off)

    def exit(self, f):
        sl = self.sl
        off = 0
        t = 0
        try:
            off = self.off
            self.off = 0
            t = _mono()
            sl.release()
        except BaseException:
            if sl._is_mine():       # the exception came before the release
                sl.release()
                rec.end_hold(off, t)
            elif off and not self.off:
                self.off = off      # the release itself failed: the hold goes on
            raise
        rec.close_hold(off, self.obj, f, t)


class MpRLock(MpLock):
    __slots__ = ()

    def attempt(self, block, timeout, f):
        sl = self.sl
        if sl._is_mine():          # recursive: no record
            count = sl._count()
            try:
                return sl.acquire(block, timeout)
            except BaseException:
                if sl._count() > count:
                    sl.release()
                raise
        ok = False
        try:
            ok = sl.acquire(block, timeout)
            if ok:
                self.held(f)
            return ok
        except BaseException:
            if ok or sl._is_mine():
                sl.release()
                self.unheld()
            raise

    def acquire_as(self, block, timeout, f):
        if self.sl._is_mine():
            return self.attempt(block, timeout, f)
        return MpLock.acquire_as(self, block, timeout, f)

    def attempt_raw(self, args, kwargs, f):
        sl = self.sl
        count = sl._count()
        mine = sl._is_mine()
        try:
            ok = sl.acquire(*args, **kwargs)
            if ok and not mine:
                self.held(f)
            return ok
        except BaseException:
            if sl._count() > count:
                sl.release()
                if not mine:
                    self.unheld()
            raise

    def exit(self, f):
        sl = self.sl
        count = 0
        t = 0
        off = 0
        try:
            count = sl._count()
            off = self.off
            t = _mono()
            sl.release()
        except BaseException:
            if count and sl._count() == count and sl._is_mine():
                sl.release()        # the exception came before the release
                if not sl._is_mine():
                    self.off = 0
                    rec.end_hold(off, t)
            raise
        if count == 1:          # the outermost release
            self.off = 0
            rec.end_hold(off, t)


class MpSemaphore(MpLock):
    """Semaphore / BoundedSemaphore: holds per thread; a release by a
    thread that holds none is a LOCK_RELEASE point."""
    __slots__ = ("holds",)

    def __init__(self, sl, obj):
        MpLock.__init__(self, sl, obj)
        self.holds = rec.Holds()

    def attempt(self, block, timeout, f):
        sl = self.sl
        box = []
        try:
            box.extend(map(sl.acquire, (block,), (timeout,)))   # the result, stored in C
            if box[0]:
                self.holds.acquired(self.obj, f)
            return box[0]
        except BaseException:
            if box and box[0]:
                sl.release()
                self.holds.released(self.obj, None, 1)
            raise

    def attempt_raw(self, args, kwargs, f):
        ok = self.sl.acquire(*args, **kwargs)   # unusual arguments: no undo
        if ok:
            self.holds.acquired(self.obj, f)
        return ok

    def exit(self, f):
        t = _mono()
        self.sl.release()
        self.holds.released(self.obj, f, 1, t)


def _plain_args(block, timeout):
    """Arguments for which a try-acquire first is exactly what the C call
    would do (it parses block as an int and timeout as a float)."""
    tb = type(block)
    tt = type(timeout)
    return (tb is bool or tb is int) and (timeout is None or tt is float or tt is int)


def block_timeout(args, kwargs):
    """(block, timeout) of acquire(block=True, timeout=None) called with
    these arguments; None when they do not bind so."""
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


STATE_TYPES = (MpLock, MpRLock, MpSemaphore)
