"""Locks and other synchronisation: threading, multiprocessing, Manager proxies.

install() patches them all (patches.AREAS lists only "locks"):
- here: threading.Lock / RLock, the hot path;
- sync_primitives: threading Condition, Semaphore, BoundedSemaphore, Event,
  Barrier;
- mp_locks: multiprocessing.synchronize (SemLock identity across fork and
  spawn), the lock of a synchronized Value / Array;
- manager_locks: Manager().Lock() & co, on the client side of the proxy;
- lock_records / lock_objects: call sites, records, OBJECT records (type
  name and the variable the creating line assigns to).
Kinds and fields: events.py, "locks and other synchronisation".

threading.Lock / RLock created by the user's code are traced wrappers around
the real lock.  Uncontended: one LOCK_HOLD record written at acquire, its end
written in place at release.  Held: a LOCK_WAIT span, then LOCK_HOLD.
acquire(blocking=False) that fails: LOCK_TRY_FAIL.  An RLock records only the
outermost acquire / release.  A threading object's id is new_object_id().

What is not traced: locks created by the standard library (inside Queue,
Condition, Event, Thread, logging, concurrent.futures, multiprocessing's own
queues and pools) stay the raw objects and cost nothing.  The decision is made
once, at creation, from the creating frame.

Wrappers look like the real locks: same methods and signatures, results and
errors (the real lock decides), repr and type name (<class '_thread.lock'>),
__class__ / isinstance, weakrefs, pickling errors; Condition's _is_owned /
_release_save / _acquire_restore protocol so a Condition over a traced lock
records no false holds.  A tracer failure drops the record, never the call;
an exception of a non-builtin type that arrives inside tracer code (raised
into the thread by PyThreadState_SetAsyncExc) is passed on (see guard).

Hot path (acquire / __enter__ / release / __exit__): the C accelerator's
methods (native/ct_locks.c, loaded by native.py) when it is built for this
interpreter, else the same in Python (lock_hot.py); the wrappers below
subclass one or the other.  Both: the real lock's acquire(False), the call
site from a cache, one 64-byte record packed straight into the writer's map,
its end packed in place at release; exception-safe (see lock_hot).  No
__getattr__ on the wrappers: it would slow every attribute access.

type(lock) is the wrapper class (named like the real type); its metaclass
makes isinstance(raw, type(lock)) true, and a class derived from it derive
from the real type: `class R(type(threading.RLock()))` is a real RLock
subclass, as untraced (its instances are not traced).
"""
import _thread
import sys
import threading
import time

from .import_hooks import after_import
from . import lock_hot, lock_slow, native, writer
from .lock_objects import caller_is_user, record_object
from .lock_records import (LOCK_HOLD, LOCK_WAIT, begin, debug, end_hold, finish, originals,
                           read_min_off, site_cache)

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_ident = _thread.get_ident
_allocate_lock = _thread.allocate_lock
_LockType = _thread.LockType

# The hot methods: C when the accelerator loads, else Python.  Both call
# perturb's point before an acquire when the schedule is perturbed.
_native = native.load()
_LockBase = _native.Lock if _native is not None else lock_hot.Lock
_RLockBase = _native.RLock if _native is not None else lock_hot.RLock


# --------------------------------------------------------------------------
# threading.Lock / RLock wrappers


class _RealType(type):
    """Metaclass of the wrappers.  Untraced, type(lock) is the real type, so
    isinstance(raw, type(lock)) holds (a Queue's mutex, a Condition's lock):
    it holds here too.  A class derived from the wrapper derives from the
    real type instead (as it would untraced: the same error for the
    non-subclassable _thread.lock, a real subclass of _thread.RLock)."""

    def __new__(mcls, name, bases, ns, **kwargs):
        if any(isinstance(b, _RealType) for b in bases):
            bases = tuple(b._ct_real if isinstance(b, _RealType) else b for b in bases)
            return type(name, bases, dict(ns), **kwargs)
        return type.__new__(mcls, name, bases, ns, **kwargs)

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls._ct_real)

    def __subclasscheck__(cls, sub):
        return type.__subclasscheck__(cls, sub) or issubclass(sub, cls._ct_real)


class TracedLock(_LockBase, metaclass=_RealType):
    """A user's threading.Lock: the real lock, plus LOCK_* records.  Named
    like the real type (_thread.lock), and like it, not instantiable."""
    __slots__ = ("__weakref__",)
    _ct_real = _LockType

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create '%s.%s' instances" % (cls.__module__, cls.__qualname__))

    @property
    def __class__(self):
        return self._lock.__class__

    # Condition's protocol: without these it would test ownership with
    # acquire(False) / release() on this wrapper and record false holds.
    def _is_owned(self):
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def _release_save(self):
        self.release()

    def _acquire_restore(self, state):
        _restore(self, _getframe(1), _allocate_lock)

    if hasattr(_LockType, "_at_fork_reinit"):
        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            self._off = 0

    if hasattr(_LockType, "acquire_lock"):
        acquire_lock = _LockBase.acquire
    if hasattr(_LockType, "release_lock"):
        release_lock = _LockBase.release
    if hasattr(_LockType, "locked_lock"):
        locked_lock = _LockBase.locked

    def __repr__(self):
        return repr(self._lock)

    def __reduce_ex__(self, protocol):
        return self._lock.__reduce_ex__(protocol)   # raises, as the real lock does


class TracedRLock(_RLockBase, metaclass=_RealType):
    """A user's threading.RLock: only the outermost acquire / release record."""
    __slots__ = ("__weakref__",)
    _ct_real = _thread.RLock

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create '%s.%s' instances" % (cls.__module__, cls.__qualname__))

    @property
    def __class__(self):
        return self._lock.__class__

    def _release_save(self):
        off = self._off
        t = _mono()
        state = self._lock._release_save()
        end_hold(off, t)
        return state

    def _acquire_restore(self, state):
        lock = self._lock
        f = _getframe(1)
        if (type(state) is tuple and len(state) == 2 and type(state[0]) is int
                and state[1] == _ident() and lock.acquire(False)):
            for _ in range(state[0] - 1):
                lock.acquire()
            _hold(self, f)
            return
        off = begin(LOCK_WAIT, self._obj, f)
        try:
            lock._acquire_restore(state)
        except BaseException:
            finish(off, 0)
            raise
        finish(off, 1)
        _hold(self, f)

    if hasattr(_thread.RLock, "_at_fork_reinit"):
        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            self._off = 0

    def __repr__(self):
        return repr(self._lock)

    def __reduce_ex__(self, protocol):
        return self._lock.__reduce_ex__(protocol)


def _delegate_the_rest(cls, real):
    """Methods of the real lock type that the wrapper does not define
    (_recursion_count, RLock.locked in 3.14…) call the real lock.  Not a
    __getattr__: that would slow every attribute access on the hot path."""
    for name in dir(real):
        if name.startswith("__") or hasattr(cls, name):
            continue

        def make(name):
            def method(self, *args, **kwargs):
                return getattr(self._lock, name)(*args, **kwargs)
            method.__name__ = method.__qualname__ = name
            return method
        setattr(cls, name, make(name))


_delegate_the_rest(TracedLock, _LockType)
_delegate_the_rest(TracedRLock, _thread.RLock)


def _wrapper(cls, raw, obj):
    self = object.__new__(cls)
    self._lock = raw
    self._off = 0
    self._obj = obj
    return self


def _look_real(cls, real):
    """type(lock) prints as the real type: <class '_thread.lock'>."""
    cls.__name__ = real.__name__
    cls.__qualname__ = real.__qualname__
    cls.__module__ = real.__module__


_look_real(TracedLock, _LockType)
_look_real(TracedRLock, _thread.RLock)


def _lock_new(cls, *args, **kwargs):
    """3.13+: _thread.lock is threading.Lock and instantiable, so is
    type(lock)(): it makes a lock as threading.Lock() does."""
    if args or kwargs:
        return _LockType(*args, **kwargs)
    f = caller_is_user(1)
    if f is None:
        return _allocate_lock()
    return _new_lock(TracedLock, _allocate_lock(), "Lock", f)


def _rlock_new(cls, *args, **kwargs):
    """type(rlock)() makes an RLock, as threading.RLock() does."""
    raw = _thread.RLock(*args, **kwargs)
    f = caller_is_user(1)
    return raw if f is None else _new_lock(TracedRLock, raw, "RLock", f)


if isinstance(threading.Lock, type):
    TracedLock.__new__ = _lock_new
TracedRLock.__new__ = _rlock_new       # _thread.RLock is instantiable in every version


def _hold(self, f):
    """Begin a LOCK_HOLD span on a threading wrapper."""
    self._off = begin(LOCK_HOLD, self._obj, f)


def _restore(self, f, fresh):
    """Condition.wait's re-acquire of a traced Lock: a hold, after a wait if
    the lock is held.  An exception after the lock is taken leaves it held:
    wait() must return or raise with the lock held."""
    lock = self._lock
    if lock.acquire(False):
        _hold(self, f)
        return
    lock_slow.acquire_slow(self, [], f, (), {}, fresh)


def _new_lock(cls, raw, type_name, f, obj=0, label=None):
    try:
        if not obj:
            obj = _w.new_object_id()
            record_object(obj, type_name, f, label)
        return _wrapper(cls, raw, obj)
    except Exception:
        debug()
        return raw


# --------------------------------------------------------------------------
# threading: factories and classes

def _install_threading():
    orig_rlock = threading.RLock
    originals["Lock"] = threading.Lock
    originals["RLock"] = orig_rlock

    def RLock(*args, **kwargs):
        f = caller_is_user(1)
        if f is None:
            return orig_rlock(*args, **kwargs)
        return _new_lock(TracedRLock, orig_rlock(*args, **kwargs), "RLock", f)
    # Pickled by reference as threading.RLock (a Manager's registry holds it).
    RLock.__module__ = "threading"
    RLock.__qualname__ = "RLock"
    RLock.__doc__ = orig_rlock.__doc__
    RLock.__wrapped__ = orig_rlock

    if isinstance(threading.Lock, type):
        # 3.13+: threading.Lock is the class _thread.lock.
        class _LockMeta(type):
            def __new__(mcls, name, bases, ns):
                if any(isinstance(base, mcls) for base in bases):
                    raise TypeError("type '_thread.lock' is not an acceptable base type")
                return type.__new__(mcls, name, bases, ns)

            __call__ = _lock_new

            def __instancecheck__(cls, obj):
                return isinstance(obj, _LockType)

            def __subclasscheck__(cls, sub):
                return issubclass(sub, (_LockType, TracedLock))

        Lock = _LockMeta("Lock", (), {"__module__": "threading", "__qualname__": "Lock",
                                      "__doc__": _LockType.__doc__})
    else:
        def Lock():
            f = caller_is_user(1)
            if f is None:
                return _allocate_lock()
            return _new_lock(TracedLock, _allocate_lock(), "Lock", f)
        Lock.__name__ = Lock.__qualname__ = "Lock"
        Lock.__module__ = "threading"
        Lock.__doc__ = _allocate_lock.__doc__
        Lock.__wrapped__ = _allocate_lock

    threading.Lock = Lock
    threading.RLock = RLock
    from . import sync_primitives
    sync_primitives.install(lambda cid: _wrapper(TracedRLock, orig_rlock(), cid))


# --------------------------------------------------------------------------

def install():
    if getattr(threading, "_ct_locks_installed", False):
        return
    read_min_off()
    _install_threading()
    threading._ct_locks_installed = True
    from . import manager_locks, mp_locks
    for name, callback in (("multiprocessing.synchronize", mp_locks.patch_synchronize),
                           ("multiprocessing.sharedctypes", mp_locks.patch_sharedctypes),
                           ("multiprocessing.managers", manager_locks.patch_managers)):
        try:
            after_import(name, callback)
        except Exception:
            debug()


def after_fork_in_child():
    site_cache.clear()      # site ids are per process file
    native.after_fork_in_child()
    read_min_off()
