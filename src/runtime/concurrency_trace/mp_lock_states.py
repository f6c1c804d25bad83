"""The tracing state of one traced multiprocessing SemLock (Lock, RLock,
Semaphore, BoundedSemaphore, and the locks inside Condition / Event /
Barrier), and its acquire / release / __enter__ / __exit__.

The state is held by the SemLock and holds no reference back to it, so no
cycle delays the SemLock's finalizer.  Its acquire and release become the
SemLock's own (instance attributes, as multiprocessing's _make_methods
sets the C methods); __enter__ / __exit__ are patched on the class and call
enter / exit here.

Exceptions at any bytecode (safety): the four entry points (acquire,
__enter__, release, __exit__) are the outermost frames of the tracer, and
each one guards its whole body.  An acquire whose real acquire took effect
and then met an exception (Ctrl-C, a signal handler's exception,
RecursionError) anywhere before the entry point returns releases the lock
again before the exception goes on; a release that met one before the real
release still releases.  Whether the real acquire took effect is read from
the lock itself (_is_mine: the thread owns a Lock; _count: this process's
acquisitions of an RLock) or, for a semaphore, from a list the C call's
result is appended to inside C (no bytecode between the two).  The
decision and the C release come first in the except block, before any call
of a Python function (which could fail again at the recursion limit).  A
program's own misuse (releasing an unowned lock) raises exactly as untraced.

"Not released yet", in a release's except block: a Lock this thread still
owns; an RLock still owned at the count read before (or before that count
was read: 0); a semaphore whose release did not run (and did not itself
raise ValueError: released too many times).

A signal handler runs at the interpreter's next check point (after a call,
at a function's entry, at a backward jump): the guarded acquire ends with a
cheap C call inside its try, so a signal that arrived during the tracer's
bookkeeping is handled while the acquire can still be undone.  Window that
remains: a signal that arrives after that and before the entry of __exit__
(the with body's own check points aside) is handled there, before the
release, and leaves the lock held, exactly as the stdlib's own Python
__exit__ does untraced.
"""
import _operator
import sys
import time

from . import lock_records as _records, sync_records as rec, writer as _w
from .events import LOCK_HOLD, LOCK_TRY_FAIL, LOCK_WAIT

_getframe = sys._getframe
_mono = time.monotonic_ns
_call = _operator.methodcaller("__call__")
_site_cache = _records.site_cache
_site_of = _records.site_for
_end_hold = _records.end_hold
hide = rec.hide
# 3.9+: a RecursionError raised by the tracer's own frames, before the real
# operation (or after it was undone), is the tracer's: the real C operation
# runs untraced instead.  3.8 must see it (see safety).
RETRY_RECURSION = sys.version_info >= (3, 9)
KEEP_RECURSION = not RETRY_RECURSION
LOCK, RLOCK, SEMAPHORE = 1, 2, 3


class MpLock(object):
    """A Lock (a semaphore with maximum 1: any thread may release it)."""
    __slots__ = ("sl", "obj", "off")
    kind = LOCK

    def __init__(self, sl, obj):
        self.sl = sl
        self.obj = obj
        self.off = 0

    # -- entry points (the SemLock's acquire / release) --

    def acquire(self, *args, **kwargs):
        sl = self.sl
        kind = self.kind
        mine = kind == LOCK and sl._is_mine()
        count = sl._count() if kind == RLOCK else 0
        box = [] if kind == SEMAPHORE else None
        try:
            try:
                if args or kwargs:
                    bt = block_timeout(args, kwargs)
                    if bt is None or not _plain_args(bt[0], bt[1]):
                        ok = self.attempt_raw(args, kwargs, _getframe(1), box)
                    else:
                        ok = self.acquire_as(bt[0], bt[1], _getframe(1), box)
                else:
                    ok = self.acquire_as(True, None, _getframe(1), box)
                sl._count()     # a last check point: a signal pending since is handled here
                return ok
            except BaseException:
                if ((kind == LOCK and not mine and sl._is_mine())
                        or (kind == RLOCK and sl._count() > count)
                        or (kind == SEMAPHORE and box and box[-1])):
                    sl.release()        # taken, and the program will not know: undone
                    self.undone(mine)
                raise
        except RecursionError as exc:
            # The tracer's own frames reached the limit: on 3.9+ the real
            # acquire runs untraced instead (nothing is held: undone above).
            if not RETRY_RECURSION:
                hide(exc)
                raise
        except BaseException as exc:
            hide(exc)
            raise
        return sl.acquire(*args, **kwargs)

    def release(self):
        sl = self.sl
        kind = self.kind
        count = 0
        done = [] if kind == SEMAPHORE else None
        try:
            try:
                if kind == RLOCK:
                    count = sl._count()
                self.exit(_getframe(1), done)
            except BaseException as e:
                if ((kind == LOCK and sl._is_mine())
                        or (kind == RLOCK and sl._is_mine() and (not count or sl._count() == count))
                        or (kind == SEMAPHORE and not done and e.__class__ is not ValueError)):
                    sl.release()        # the exception came before the release: released
                raise
        except RecursionError as exc:
            if not RETRY_RECURSION:
                hide(exc)
                raise
        except BaseException as exc:
            hide(exc)
            raise

    def exit(self, f, done):
        """The real release and the end of the hold; entry points guard it."""
        sl = self.sl
        off = self.off
        self.off = 0
        t = _mono()
        try:
            sl.release()
        except BaseException:
            if off and not self.off and not sl._is_mine():
                self.off = off      # the release itself failed (not held): nothing changes
            raise
        if off >= _records._min_off:
            _end_hold(off, t)
        else:
            rec.close_hold(off, self.obj, f, t)

    # -- the work --

    def acquire_as(self, block, timeout, f, box):
        """acquire(block, timeout) with plain arguments, called at frame f."""
        if self.sl.acquire(False):      # the common case, written out
            if _w.enabled:
                try:
                    sid = _site_cache.get((id(f.f_code), f.f_lasti)) or _site_of(f)
                    self.off = _w.begin(LOCK_HOLD, self.obj, sid, 0)
                except RecursionError:
                    if KEEP_RECURSION:
                        raise
                except Exception:
                    rec.failed()
            return True
        return self.acquire_slowly(block, timeout, f, box)

    def acquire_slowly(self, block, timeout, f, box):
        """acquire_as after a try-acquire that failed (or for a semaphore)."""
        if not block:
            rec.point(LOCK_TRY_FAIL, self.obj, f)
            return False
        off = rec.begin(LOCK_WAIT, self.obj, f)
        try:
            ok = self.attempt(True, timeout, f, box)
        except BaseException:
            rec.finish(off, 0)
            raise
        rec.finish(off, 1 if ok else 0)
        return ok

    def attempt(self, block, timeout, f, box):
        """The real acquire(block, timeout) and the hold's record (dropped
        if even that call reaches the recursion limit, 3.9+)."""
        if self.sl.acquire(block, timeout):
            try:
                self.held(f)
            except RecursionError:
                if KEEP_RECURSION:
                    raise
            return True
        return False

    def attempt_raw(self, args, kwargs, f, box):
        """An acquire with arguments the C call parses (and may refuse)."""
        ok = self.sl.acquire(*args, **kwargs)
        if ok:
            self.held(f)
        return ok

    def held(self, f):
        """Begin the LOCK_HOLD span of an acquire."""
        self.off = rec.begin(LOCK_HOLD, self.obj, f)

    def undone(self, mine):
        """An acquisition the program never saw was released: its hold ends."""
        off = self.off
        self.off = 0
        rec.end_hold(off)


class MpRLock(MpLock):
    __slots__ = ()
    kind = RLOCK

    def acquire_as(self, block, timeout, f, box):
        sl = self.sl
        if sl._is_mine():          # recursive: no record
            return sl.acquire(block, timeout)
        return MpLock.acquire_as(self, block, timeout, f, box)

    def attempt_raw(self, args, kwargs, f, box):
        sl = self.sl
        mine = sl._is_mine()
        ok = sl.acquire(*args, **kwargs)
        if ok and not mine:
            self.held(f)
        return ok

    def undone(self, mine):
        if not mine:            # the outermost acquire: its hold ends
            MpLock.undone(self, mine)

    def exit(self, f, done):
        sl = self.sl
        count = sl._count()
        off = self.off
        t = _mono()
        sl.release()
        if count == 1:          # the outermost release
            self.off = 0
            rec.end_hold(off, t)


class MpSemaphore(MpLock):
    """Semaphore / BoundedSemaphore: holds per thread; a release by a
    thread that holds none is a LOCK_RELEASE point."""
    __slots__ = ("holds",)
    kind = SEMAPHORE

    def __init__(self, sl, obj):
        MpLock.__init__(self, sl, obj)
        self.holds = rec.Holds()

    def acquire_as(self, block, timeout, f, box):
        if self.attempt(False, None, f, box):
            return True
        return self.acquire_slowly(block, timeout, f, box)

    def attempt(self, block, timeout, f, box):
        box.extend(map(self.sl.acquire, (block,), (timeout,)))     # the result, stored in C
        if box[-1]:
            self.holds.acquired(self.obj, f)
            return True
        return False

    def attempt_raw(self, args, kwargs, f, box):
        box.append(False)       # unusual arguments: no undo
        ok = self.sl.acquire(*args, **kwargs)
        if ok:
            self.holds.acquired(self.obj, f)
        return ok

    def undone(self, mine):
        self.holds.released(self.obj, None, 1)

    def exit(self, f, done):
        t = _mono()
        done.extend(map(_call, (self.sl.release,)))    # that it ran, stored in C
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


# -- entry points installed on the SemLock class --

def semlock_enter(self):
    """SemLock.__enter__: guarded as MpLock.acquire."""
    ct = self._ct
    if ct is None:
        return self._semlock.__enter__()
    sl = ct.sl
    kind = ct.kind
    mine = kind == LOCK and sl._is_mine()
    count = sl._count() if kind == RLOCK else 0
    box = [] if kind == SEMAPHORE else None
    try:
        try:
            ok = ct.acquire_as(True, None, _getframe(1), box)
            sl._count()     # a last check point: a signal pending since is handled here
            return ok
        except BaseException:
            if ((kind == LOCK and not mine and sl._is_mine())
                    or (kind == RLOCK and sl._count() > count)
                    or (kind == SEMAPHORE and box and box[-1])):
                sl.release()
                ct.undone(mine)
            raise
    except RecursionError as exc:
        if not RETRY_RECURSION:
            hide(exc)
            raise
    except BaseException as exc:
        hide(exc)
        raise
    return sl.__enter__()


def semlock_exit(self, *args):
    """SemLock.__exit__: guarded as MpLock.release."""
    ct = self._ct
    if ct is None:
        return self._semlock.__exit__(*args)
    sl = ct.sl
    kind = ct.kind
    count = 0
    done = [] if kind == SEMAPHORE else None
    try:
        try:
            if kind == RLOCK:
                count = sl._count()
            ct.exit(_getframe(1), done)
        except BaseException as e:
            if ((kind == LOCK and sl._is_mine())
                    or (kind == RLOCK and sl._is_mine() and (not count or sl._count() == count))
                    or (kind == SEMAPHORE and not done and e.__class__ is not ValueError)):
                sl.release()
            raise
    except RecursionError as exc:
        if not RETRY_RECURSION:
            hide(exc)
            raise
    except BaseException as exc:
        hide(exc)
        raise
