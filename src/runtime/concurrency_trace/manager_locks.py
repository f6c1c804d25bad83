"""multiprocessing.managers: the proxies of Manager().Lock(), RLock(),
Semaphore(), BoundedSemaphore(), Condition() (AcquirerProxy), Event(),
Barrier(), traced on the client side with the records of the real objects.

A proxy's id is derived from the manager's address and the referent's token
id, the same in every process (so every client of one referent records one
object); the OBJECT record is written where the user's code creates it.
"""
import sys
import time

from . import safe_values, safety, writer
from .events import COND_WAIT, LOCK_HOLD, LOCK_TRY_FAIL, LOCK_WAIT
from .lock_objects import record_object, stable_id
from .lock_records import is_user
from .patching import wrap
from .sync_primitives import patch_barrier_wait, patch_condition_notify, patch_event_signals
from .sync_records import Holds, begin, close_hold, end_hold, finish, point, span

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_failed = safety.failed
_hide = safety.hide


class _ProxyLock(object):
    __slots__ = ("obj", "off", "holds", "typeid")

    def __init__(self, obj, typeid):
        self.obj = obj
        self.off = 0
        self.typeid = typeid
        # Lock: one hold, closed by whichever thread releases; RLock and
        # Condition: per thread, outermost only; semaphores: per thread.
        self.holds = None if typeid == "Lock" else Holds(nested=typeid in ("RLock", "Condition"))

    def acquired(self, f):
        if self.holds is None:
            self.off = begin(LOCK_HOLD, self.obj, f)
        else:
            self.holds.acquired(self.obj, f)

    def released(self, f, t):
        if self.holds is None:
            off = self.off
            self.off = 0
            close_hold(off, self.obj, f, t)
        else:
            self.holds.released(self.obj, f, 1, t)

    def suspend(self):
        """Condition wait: end this thread's hold; returns its depth."""
        if self.holds is None:
            return 0
        stack = self.holds.stack(False)
        if not stack:
            return 0
        depth = len(stack)
        for off in stack:
            end_hold(off)
        del stack[:]
        return depth

    def resume(self, depth, f):
        if depth:
            stack = self.holds.stack(True)
            stack.append(begin(LOCK_HOLD, self.obj, f))
            stack.extend([0] * (depth - 1))


def _proxy_state(proxy):
    st = proxy.__dict__.get("_ct_lock")
    if st is None:
        if not _w.enabled:
            return None
        token = proxy._token
        typeid = token.typeid if type(token.typeid) is str else ""
        st = _ProxyLock(stable_id("manager:%s:%s" % (_text(token.address),
                                                         token.id if type(token.id) is str else _text(token.id))), typeid)
        proxy.__dict__["_ct_lock"] = st
    return st


def _text(v):
    """The full repr of a manager address / token id (str, bytes, int or
    tuples of them); a type name for anything else (never its repr)."""
    t = type(v)
    if t is str or t is bytes or t is int:
        return t.__repr__(v)
    if t is tuple:
        return "(" + ", ".join(_text(x) for x in v) + ")"
    return "<%s>" % safe_values.type_name(v)


def _proxy_id(proxy):
    """The proxy's trace id (0 untraced): _ct_id, read by sync_primitives' patches."""
    st = _proxy_state(proxy)
    return st.obj if st is not None else 0


def patch_managers(managers):
    AP = managers.AcquirerProxy
    if "_ct_patched" in AP.__dict__:
        return
    AP._ct_patched = True
    _patch_proxy_inits(managers)
    _patch_acquirer(AP)

    CP = getattr(managers, "ConditionProxy", None)
    if CP is not None:
        _patch_condition_wait(CP)
        CP._ct_id = property(_proxy_id)
        patch_condition_notify(CP)

    EP = getattr(managers, "EventProxy", None)
    if EP is not None:
        EP._ct_id = property(_proxy_id)
        patch_event_signals(EP)

    BP = getattr(managers, "BarrierProxy", None)
    if BP is not None:
        BP._ct_id = property(_proxy_id)
        patch_barrier_wait(BP)


def _patch_proxy_inits(managers):
    """The OBJECT record of a proxy the user's code creates."""
    BaseProxy = managers.BaseProxy
    mgr_globals = managers.__dict__

    def make_proxy_init(cls):
        def __init__(self, *args, **kwargs):
            try:
                BaseProxy.__init__(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            if not _w.enabled:
                return
            try:
                # Created by manager.Lock() & co (the `temp` method that
                # BaseManager.register makes) called from the user's code.
                f = _getframe(1)
                if f.f_code.co_name == "temp" and f.f_globals is mgr_globals:
                    uf = f.f_back
                    if uf is not None and is_user(uf):
                        st = _proxy_state(self)
                        if st is not None:
                            record_object(st.obj, "Manager." + st.typeid, uf)
            except Exception:
                _failed()
        __init__.__qualname__ = cls.__name__ + ".__init__"
        __init__.__module__ = cls.__module__
        return __init__

    for cls in (managers.AcquirerProxy, getattr(managers, "EventProxy", None),
                getattr(managers, "BarrierProxy", None)):
        if cls is not None and "__init__" not in cls.__dict__:
            cls.__init__ = make_proxy_init(cls)


def _patch_acquirer(AP):
    """acquire / __enter__ / release / __exit__ of Lock, RLock, Semaphore,
    BoundedSemaphore and Condition proxies.  An acquire that took effect
    and then met an exception is released again (the result of the remote
    call lands in a list inside C: no bytecode between the two)."""
    orig_release = AP.__dict__["release"]

    def attempt(self, call, blocking, timeout, st, f):
        box = []
        try:
            box.extend(map(call, (self,), (blocking,), (timeout,)))
            if box[0]:
                st.acquired(f)
            return box[0]
        except BaseException:
            if box and box[0]:
                orig_release(self)
                st.released(f, _mono())
            raise

    def _acquire(self, call, blocking, timeout, f):
        st = _proxy_state(self)
        if st is None:
            return call(self, blocking, timeout)
        if timeout is None and blocking:
            if attempt(self, call, False, None, st, f):
                return True
        elif not blocking:
            ok = attempt(self, call, blocking, timeout, st, f)
            if not ok:
                point(LOCK_TRY_FAIL, st.obj, f)
            return ok
        off = begin(LOCK_WAIT, st.obj, f)
        try:
            ok = attempt(self, call, blocking, timeout, st, f)
        except BaseException:
            finish(off, 0)
            raise
        finish(off, 1 if ok else 0)
        return ok

    def make_acquire(orig):
        def acquire(self, blocking=True, timeout=None):
            try:
                return _acquire(self, orig, blocking, timeout, _getframe(1))
            except BaseException as exc:
                _hide(exc)
                raise
        return acquire
    orig_acquire = wrap(AP, "acquire", make_acquire)

    def make_enter(orig):
        def __enter__(self):
            try:
                if _proxy_state(self) is None:
                    return orig(self)
                return _acquire(self, orig_acquire, True, None, _getframe(1))
            except BaseException as exc:
                _hide(exc)
                raise
        return __enter__
    wrap(AP, "__enter__", make_enter)

    def make_release(orig):
        def release(self, *args):       # release(), __exit__(et, ev, tb)
            try:
                t = _mono()
                result = orig(self, *args)
                st = _proxy_state(self)
                if st is not None:
                    st.released(_getframe(1), t)
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return release
    wrap(AP, "release", make_release)
    wrap(AP, "__exit__", make_release)


def _patch_condition_wait(CP):
    def make_wait(orig):
        def wait(self, timeout=None):
            try:
                st = _proxy_state(self)
                if st is None:
                    return orig(self, timeout)
                f = _getframe(1)
                depth = st.suspend()       # the server's wait releases the lock
                try:
                    return span(COND_WAIT, st.obj, f, orig, self, timeout)
                finally:
                    st.resume(depth, f)
            except BaseException as exc:
                _hide(exc)
                raise
        return wait
    wrap(CP, "wait", make_wait)
