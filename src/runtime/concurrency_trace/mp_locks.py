"""multiprocessing.synchronize and the locks of synchronized Value / Array.

The same records as threading's (sync_primitives) for Lock, RLock,
Semaphore, BoundedSemaphore, Condition, Event, Barrier, and for the lock of
a synchronized Value / Array (get_lock()); the lock that Value / Array take
around each single access is not recorded.

Identity: a SemLock keeps its id in the child: inherited with the object
under fork, and under spawn carried as an extra argument of the pickle's
NEWOBJ opcode (copyreg.__newobj__(cls, marker)).  An untraced reader ignores
it: object's __new__ accepts extra arguments when a class overrides __init__
only, which SemLock does, so the pickled state and what an untraced child
builds are unchanged.  A Condition, Event or Barrier is identified by one of
its SemLocks (_ct_ref), itself untraced.
"""
import sys

from . import patching, safe_values, safety, writer
from .lock_objects import creator_frame, decide, init_codes, label, record_object
from .lock_records import is_user, user_frame
from .locks import TracedLock, TracedRLock
from .mp_lock_states import STATE_TYPES, MpLock, MpRLock, MpSemaphore, semlock_enter, semlock_exit
from .sync_primitives import patch_condition_signals, patch_event_signals

_w = writer
_getframe = sys._getframe
_failed = safety.failed
_hide = safety.hide

_MARK = "concurrency-trace"     # first item of the NEWOBJ marker of a pickled SemLock


def _mp_type(sync, self):
    t = type(self)
    for name in ("BoundedSemaphore", "Semaphore", "RLock", "Lock"):
        if safe_values.is_subclass(t, getattr(sync, name)):
            return name
    return "SemLock"


def _attach(sync, self, obj, ref):
    """Give a SemLock its trace id (obj: traced; ref: id of the Condition /
    Event / Barrier it identifies, itself untraced)."""
    if ref:
        self._ct_ref = ref
    if obj:
        kind = _mp_type(sync, self)
        if kind == "RLock" or (kind == "SemLock" and self._semlock.kind == sync.RECURSIVE_MUTEX):
            ct = MpRLock(self._semlock, obj)
        elif kind == "Lock":
            ct = MpLock(self._semlock, obj)
        else:
            ct = MpSemaphore(self._semlock, obj)
        self._ct = ct
        self.acquire = ct.acquire
        self.release = ct.release


def patch_synchronize(sync):
    SemLock = sync.SemLock
    if getattr(SemLock, "_ct_patched", False):
        return
    from multiprocessing import context
    SemLock._ct_patched = True
    SemLock._ct = None
    SemLock._ct_ref = 0

    plumbing = set()
    ctx_cls = context.BaseContext
    for name in ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore",
                 "Event", "Barrier"):
        fn = ctx_cls.__dict__.get(name)
        if fn is not None:
            plumbing |= init_codes(fn)
    for name in ("SemLock", "Semaphore", "BoundedSemaphore", "Lock", "RLock"):
        plumbing |= init_codes(getattr(sync, name).__init__)

    def creator():
        """(user frame, label) for a constructor called from here, or None."""
        f = creator_frame(_getframe(2), plumbing)
        if f is None:
            return None
        if f.f_globals.get("__name__") == "multiprocessing.sharedctypes":
            # The lock of a synchronized Value / Array: the user's, via get_lock().
            uf = user_frame(f)
            name = label(uf)
            return uf, (name + ".get_lock()" if name else "")
        if is_user(f):
            return f, None
        return None

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            if not _w.enabled:
                return
            try:
                found = creator()
                if found is not None:
                    obj = _w.new_object_id()
                    _attach(sync, self, obj, 0)
                    record_object(obj, "multiprocessing." + _mp_type(sync, self),
                                  found[0], found[1])
            except Exception:
                _failed()
        return __init__
    plumbing |= init_codes(patching.wrap(SemLock, "__init__", make_init), SemLock.__init__)

    # The guarded entry points (mp_lock_states): an acquire met by an
    # exception is undone, a release met by one still happens.
    patching.wrap(SemLock, "__enter__", lambda orig: semlock_enter)
    patching.wrap(SemLock, "__exit__", lambda orig: semlock_exit)

    _patch_pickling(sync, SemLock)
    _patch_mp_condition(sync, plumbing)
    _patch_mp_event(sync, plumbing)
    _patch_mp_barrier(sync, plumbing)


def _patch_pickling(sync, SemLock):
    """Identity through pickling (spawn / forkserver): see the module doc."""
    import copyreg
    newobj = copyreg.__newobj__

    def __reduce_ex__(self, protocol):
        ct = self._ct
        ref = self._ct_ref
        if (ct is None and not ref) or protocol < 2 or type(self).__reduce__ is not object.__reduce__:
            return object.__reduce_ex__(self, protocol)
        state = self.__getstate__()
        return (newobj, (type(self), (_MARK, ct.obj if ct is not None else 0, ref)), state)
    _own_method(SemLock, "__reduce_ex__", __reduce_ex__)

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        if (len(args) == 1 and not kwargs and type(args[0]) is tuple and len(args[0]) == 3
                and args[0][0] == _MARK):
            self.__dict__["_ct_pending"] = args[0]
        return self
    _own_method(SemLock, "__new__", __new__)
    SemLock.__new__ = staticmethod(__new__)

    def make_setstate(orig):
        def __setstate__(self, state):
            try:
                orig(self, state)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                pending = self.__dict__.pop("_ct_pending", None)
                if pending is not None:
                    _attach(sync, self, pending[1], pending[2])
            except Exception:
                _failed()
        return __setstate__
    patching.wrap(SemLock, "__setstate__", make_setstate)


def _own_method(cls, name, fn):
    """cls.name = fn, a method the tracer adds, named after its place (so it
    pickles by reference as cls.name, as the inherited one did)."""
    fn.__name__ = name
    fn.__qualname__ = cls.__qualname__ + "." + name
    fn.__module__ = cls.__module__
    setattr(cls, name, fn)


def _record_creation(cls, type_name, plumbing, identify):
    """cls.__init__ (keyword-only ctx) records the OBJECT of an instance the
    user's code creates; identify(self, oid, *args, **kwargs) stores the id."""
    def make_init(orig):
        def __init__(self, *args, **kwargs):
            f = decide(plumbing)
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            if f is None:
                return
            try:
                oid = _w.new_object_id()
                record_object(oid, type_name, f)
                identify(self, oid, *args, **kwargs)
            except Exception:
                _failed()
        return __init__
    patching.wrap(cls, "__init__", make_init)


def _patch_mp_condition(sync, plumbing):
    Condition = sync.Condition

    def identify(self, cid, lock=None, **kwargs):
        self._wait_semaphore._ct_ref = cid
        if lock is None:
            # The Condition's own RLock: records carry the Condition's id.
            _attach(sync, self._lock, cid, 0)
            self._make_methods()
    _record_creation(Condition, "multiprocessing.Condition", plumbing, identify)
    Condition._ct_id = property(lambda self: self._wait_semaphore._ct_ref)
    patch_condition_signals(Condition)


def _patch_mp_event(sync, plumbing):
    Event = sync.Event

    def identify(self, eid, **kwargs):
        self._flag._ct_ref = eid
    _record_creation(Event, "multiprocessing.Event", plumbing, identify)
    Event._ct_id = property(lambda self: self._flag._ct_ref)
    patch_event_signals(Event)


def _patch_mp_barrier(sync, plumbing):
    Barrier = sync.Barrier

    def identify(self, bid, *args, **kwargs):
        self._cond._woken_count._ct_ref = bid
    _record_creation(Barrier, "multiprocessing.Barrier", plumbing, identify)
    # threading.Barrier.wait (patched by sync_primitives) reads _ct_id.
    Barrier._ct_id = property(lambda self: self._cond._woken_count._ct_ref)


# --------------------------------------------------------------------------
# multiprocessing.sharedctypes: the per-access lock stays untraced

def _raw_of(lock):
    """The untraced lock behind a traced one (None if lock is not traced)."""
    t = type(lock)
    if t is TracedLock or t is TracedRLock:
        return lock._lock
    if t in _semlock_types or (safe_values.class_attr(t, "_ct_patched") is True
                               and _semlock_types.add(t) is None):
        if type(lock.__dict__.get("_ct")) in STATE_TYPES:
            return lock._semlock
    return None


_semlock_types = set()


def patch_sharedctypes(sc):
    Base = sc.SynchronizedBase
    if "_ct_locks_patched" in Base.__dict__:
        return
    Base._ct_locks_patched = True
    sc_globals = sc.__dict__

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                raw = _raw_of(self._lock)
                if raw is not None:
                    # What Value.value / Array[i] call around each access.
                    self.acquire = raw.acquire
                    self.release = raw.release
                    self._ct_raw = raw
            except Exception:
                _failed()
        return __init__
    patching.wrap(Base, "__init__", make_init)
    Base._ct_raw = None

    # Value.value / Array[i] take the lock with `with self:`: the raw lock,
    # unrecorded; the user's own `with v:` is recorded.
    def make_enter(orig):
        def __enter__(self):
            try:
                raw = self._ct_raw
                if raw is not None and _getframe(1).f_globals is sc_globals:
                    return raw.__enter__()
                return orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
        return __enter__
    patching.wrap(Base, "__enter__", make_enter)

    def make_exit(orig):
        def __exit__(self, *args):
            try:
                raw = self._ct_raw
                if raw is not None and _getframe(1).f_globals is sc_globals:
                    return raw.__exit__(*args)
                return orig(self, *args)
            except BaseException as exc:
                _hide(exc)
                raise
        return __exit__
    patching.wrap(Base, "__exit__", make_exit)
