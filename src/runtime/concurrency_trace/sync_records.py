"""Records of the synchronisation objects other than threading.Lock / RLock
(sync_primitives, mp_locks, manager_locks): LOCK_*, COND_*, EVENT_*,
BARRIER_*.  Like lock_records' helpers, with the exception rules of
safety: a tracer failure drops the record, an exception of the program's
(a signal handler's, RecursionError on 3.8) goes on.

"""
import _thread
import time

from . import lock_records, safety, writer
from .events import LOCK_HOLD, LOCK_RELEASE

_w = writer
_mono = time.monotonic_ns
_ident = _thread.get_ident
_site_of = lock_records.site_of
failed = safety.failed
hide = safety.hide
_KEEP_RECURSION = safety.KEEP_RECURSION_ERRORS


def point(kind, obj, f, a=0, b=0):
    if _w.enabled:
        try:
            _w.point(kind, obj, _site_of(f), a, b)
        except RecursionError:
            if _KEEP_RECURSION:
                raise
        except Exception:
            failed()


def begin(kind, obj, f, a=0):
    if _w.enabled:
        try:
            return _w.begin(kind, obj, _site_of(f), a)
        except RecursionError:
            if _KEEP_RECURSION:
                raise
        except Exception:
            failed()
    return 0


def finish(off, a=0, b=0):
    if off and _w.enabled:
        try:
            _w.finish(off, a, b)
        except RecursionError:
            if _KEEP_RECURSION:
                raise
        except Exception:
            failed()


# The end of a hold at a given time packs into the writer's map:
# lock_records (the Lock / RLock hot path's helpers) owns that knowledge.
end_hold = lock_records.end_hold


def close_hold(off, obj, f, t):
    """A release: the end of the hold at off, or a LOCK_RELEASE point if this
    process did not record the acquire (a parent did, or another process)."""
    if off >= lock_records._min_off:
        end_hold(off, t)
    else:
        point(LOCK_RELEASE, obj, f, 1)


def span(kind, obj, f, call, *args):
    """A span of kind around call(*args): end a = 1 if it returned true, 0 if
    it returned false or raised.  Returns what call returned."""
    off = begin(kind, obj, f)
    try:
        ok = call(*args)
    except BaseException:
        finish(off, 0)
        raise
    finish(off, 1 if ok else 0)
    return ok


class Holds(object):
    """Open LOCK_HOLD spans of a semaphore-like object, per thread of this
    process (a forked child starts with none: its thread may have the
    ident of the parent's forking thread)."""
    __slots__ = ("by_thread", "nested", "pid")

    def __init__(self, nested=False):
        self.by_thread = {}
        self.nested = nested    # recursive: only the outermost hold is a record
        self.pid = _w.pid()

    def stack(self, create):
        if self.pid != _w._pid:
            self.by_thread = {}
            self.pid = _w.pid()
        stack = self.by_thread.get(_ident())
        if stack is None and create:
            stack = self.by_thread[_ident()] = []
        return stack

    def acquired(self, obj, f):
        try:
            stack = self.stack(True)
            if self.nested and stack:
                stack.append(0)
            else:
                stack.append(begin(LOCK_HOLD, obj, f))
        except Exception:
            failed()

    def released(self, obj, f, n=1, t=0):
        try:
            stack = self.stack(False)
            if not stack:
                point(LOCK_RELEASE, obj, f, n)
                return
            while n > 0 and stack:
                end_hold(stack.pop(), t)
                n -= 1
        except Exception:
            failed()

