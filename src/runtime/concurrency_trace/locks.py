"""Locks and other synchronisation: threading, multiprocessing, Manager proxies.

What is recorded (kinds and fields in events.py, "locks and other
synchronisation"):
- threading.Lock / RLock created by the user's code are traced wrappers around
  the real lock.  Uncontended: one LOCK_HOLD record written at acquire, its end
  written in place at release.  Held: a LOCK_WAIT span, then LOCK_HOLD.
  acquire(blocking=False) that fails: LOCK_TRY_FAIL.  An RLock records only the
  outermost acquire / release.
- Semaphore / BoundedSemaphore: the same records; holds are kept per thread and
  a release by a thread that holds none (a signal) is a LOCK_RELEASE point.
- Condition: COND_WAIT span, COND_NOTIFY point.  A Condition created without a
  lock gets a traced RLock carrying the Condition's own id.
- Event: EVENT_WAIT span, EVENT_SET point (b=1 clear).  Barrier: BARRIER_WAIT.
- multiprocessing.synchronize: the same records for Lock, RLock, Semaphore,
  BoundedSemaphore, Condition, Event, Barrier, and for the lock of a
  synchronized Value / Array (get_lock()); the lock that Value / Array take
  around each single access is not recorded.  Manager().Lock() & co: recorded
  on the client side of the proxy.
- OBJECT at creation: type name and the variable the creating line assigns to.

What is not traced: locks created by the standard library (inside Queue,
Condition, Event, Thread, logging, concurrent.futures, multiprocessing's own
queues and pools) stay the raw objects and cost nothing.  The decision is made
once, at creation, from the creating frame.

Identity: a threading object's id is new_object_id().  A multiprocessing
SemLock keeps its id in the child: inherited with the object under fork, and
under spawn carried as an extra argument of the pickle's NEWOBJ opcode
(copyreg.__newobj__(cls, marker)).  An untraced reader ignores it: object's
__new__ accepts extra arguments when a class overrides __init__ only, which
SemLock does, so the pickled state and what an untraced child builds are
unchanged.  A Manager proxy's id is derived from the manager's address and
the referent's token id, the same in every process.

Wrappers look like the real locks: same methods and signatures, results and
errors (the real lock decides), repr and type name (<class '_thread.lock'>),
__class__ / isinstance, weakrefs, pickling errors; Condition's _is_owned /
_release_save / _acquire_restore protocol so a Condition over a traced lock
records no false holds.  A tracer failure drops the record, never the call;
an exception of a non-builtin type that arrives inside tracer code (raised
into the thread by PyThreadState_SetAsyncExc) is passed on (see _debug).

Hot path (TracedLock.__enter__ / acquire / release): the real lock's
acquire(False), the call site from an id-keyed cache (hashing a code object
costs 0.2-1 us), one 64-byte record packed straight into the writer's map
(writer internals: _next_slot, _mm, _cap, _grow, _pack, _pid), the end time
packed in place at release.  No __getattr__ on the wrappers: it would slow
every attribute access.
"""
import _thread
import struct
import sys
import threading
import time

from . import events, guard, sites, writer

_w = writer
_getframe = sys._getframe
_mono = time.monotonic_ns
_ident = _thread.get_ident
_pack = writer._pack
_pack_end1 = writer._pack_end1
_allocate_lock = _thread.allocate_lock
_LockType = _thread.LockType

LOCK_WAIT = events.LOCK_WAIT
LOCK_HOLD = events.LOCK_HOLD
LOCK_TRY_FAIL = events.LOCK_TRY_FAIL
LOCK_RELEASE = events.LOCK_RELEASE
COND_WAIT = events.COND_WAIT
COND_NOTIFY = events.COND_NOTIFY
EVENT_WAIT = events.EVENT_WAIT
EVENT_SET = events.EVENT_SET
BARRIER_WAIT = events.BARRIER_WAIT
OBJECT = events.OBJECT

_MARK = "concurrency-trace"     # first item of the NEWOBJ marker of a pickled SemLock
_TAG = 1 << 59                  # derived (cross-process) ids: bit 59 + 56 hash bits
_MASK56 = (1 << 56) - 1

_originals = {}
_min_off = 64                   # offsets below this were written by a parent process


# Shared with the other areas: drop tracer failures, pass asynchronous exceptions on.
_debug = guard.tracer_failed


# --------------------------------------------------------------------------
# Call sites and creators

_site_cache = {}    # (id(code), f_lasti) -> site id, for user frames only
_user_codes = {}    # id(code) -> is user code
_keep = []          # the codes named by id above, kept alive so ids are not reused


def _is_user(f):
    cid = id(f.f_code)
    user = _user_codes.get(cid)
    if user is None:
        if len(_keep) > 100000:     # code made at run time (exec) in a loop: start over
            _user_codes.clear()
            _site_cache.clear()
            del _keep[:]
        user = _user_codes[cid] = bool(sites.is_user_frame(f))
        _keep.append(f.f_code)
    return user


def _site_for(f):
    """Site id of frame f, or of the first user frame outside it; cached."""
    while f is not None:
        key = (id(f.f_code), f.f_lasti)
        sid = _site_cache.get(key)
        if sid is not None:
            return sid
        if _is_user(f):
            g = _getframe(0)
            depth = 0
            while g is not None and g is not f:
                g = g.f_back
                depth += 1
            if g is None:
                return 0
            sid = _site_cache[key] = sites.site(depth)
            return sid
        f = f.f_back
    return 0


def _site_of(f):
    sid = _site_cache.get((id(f.f_code), f.f_lasti))
    return sid if sid is not None else _site_for(f)


def _user_frame(f):
    while f is not None and not _is_user(f):
        f = f.f_back
    return f


_labels = {}        # (file, line, qualname) -> label


def _label(f):
    """The name the creating line assigns to: `name = ...` -> "name",
    `self.lock = ...` -> "Class.lock"; "" if none."""
    if f is None:
        return ""
    code = f.f_code
    key = (code.co_filename, f.f_lineno, getattr(code, "co_qualname", code.co_name))
    label = _labels.get(key)
    if label is None:
        label = ""
        try:
            import linecache
            import re
            line = linecache.getline(key[0], key[1])
            m = re.match(r"\s*([A-Za-z_][\w.]*(?:\[[^\]=]*\])?)\s*(?::[^=]*)?=(?!=)", line)
            if m:
                label = m.group(1)
                if label.startswith("self.") and "." not in label[5:]:
                    qual = getattr(code, "co_qualname", "")
                    owner = qual.rsplit(".", 1)[0] if "." in qual else ""
                    if not owner or "<locals>" in owner:
                        me = f.f_locals.get("self")
                        owner = type(me).__name__ if me is not None else ""
                    else:
                        owner = owner.rsplit(".", 1)[-1]
                    if owner:
                        label = owner + label[4:]
        except Exception:
            _debug()
            label = ""
        _labels[key] = label
    return label


def _object(obj, type_name, f, label=None):
    """OBJECT record for obj, created by the code running in frame f."""
    uf = _user_frame(f)
    if label is None:
        label = _label(uf)
    _w.point(OBJECT, obj, _site_for(uf) if uf is not None else 0,
             _w.intern(type_name), _w.intern(label))


def _stable_id(text):
    import zlib
    data = text.encode("utf-8", "backslashreplace")
    h = (zlib.crc32(data) << 32) | zlib.crc32(data[::-1], 0x2545F491)
    return _TAG | (h & _MASK56)


# --------------------------------------------------------------------------
# Records for the slow paths (never raise)

def _point(kind, obj, f, a=0, b=0):
    if _w.enabled:
        try:
            _w.point(kind, obj, _site_of(f), a, b)
        except Exception:
            _debug()


def _begin(kind, obj, f, a=0):
    if _w.enabled:
        try:
            return _w.begin(kind, obj, _site_of(f), a)
        except Exception:
            _debug()
    return 0


def _finish(off, a=0, b=0):
    if off and _w.enabled:
        try:
            _w.finish(off, a, b)
        except Exception:
            _debug()


def _end(off, t=0):
    """End of a LOCK_HOLD span (a and b stay 0) at t (now if 0).  Holds end at
    the time read just before the real release, so the holds of one lock
    never overlap."""
    if off >= _min_off and _w.enabled:
        try:
            _pack_end1(_w._mm, off + 40, t or _mono())
        except Exception:
            _debug()


class _Holds(object):
    """Open LOCK_HOLD spans of a semaphore-like object, per thread of this
    process (a forked child starts with none: its thread may have the
    ident of the parent's forking thread)."""
    __slots__ = ("by_thread", "nested", "pid")

    def __init__(self, nested=False):
        self.by_thread = {}
        self.nested = nested    # recursive: only the outermost hold is a record
        self.pid = _w._pid

    def stack(self, create):
        if self.pid != _w._pid:
            self.by_thread = {}
            self.pid = _w._pid
        stack = self.by_thread.get(_ident())
        if stack is None and create:
            stack = self.by_thread[_ident()] = []
        return stack

    def acquired(self, obj, f):
        stack = self.stack(True)
        if self.nested and stack:
            stack.append(0)
        else:
            stack.append(_begin(LOCK_HOLD, obj, f))

    def released(self, obj, f, n=1, t=0):
        stack = self.stack(False)
        if not stack:
            _point(LOCK_RELEASE, obj, f, n)
            return
        while n > 0 and stack:
            _end(stack.pop(), t)
            n -= 1


# --------------------------------------------------------------------------
# threading.Lock / RLock wrappers


class TracedLock(object):
    """A user's threading.Lock: the real lock, plus LOCK_* records.  Named
    like the real type (_thread.lock), and like it, not instantiable."""
    __slots__ = ("_lock", "_off", "_obj", "__weakref__")

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create '%s.%s' instances" % (cls.__module__, cls.__qualname__))

    @property
    def __class__(self):
        return self._lock.__class__

    def acquire(self, blocking=True, timeout=-1):
        if timeout == -1 and self._lock.acquire(False):
            if _w.enabled:
                try:
                    f = _getframe(1)
                    sid = _site_cache.get((id(f.f_code), f.f_lasti))
                    if sid is None:
                        sid = _site_for(f)
                    off = _w._next_slot() << 6
                    _pack(_w._mm if off < _w._cap else _w._grow(off), off,
                          LOCK_HOLD, _mono(), _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                except Exception:
                    self._off = 0
                    _debug()
            else:
                self._off = 0
            return True
        return _acquire_slow(self, blocking, timeout, _getframe(1), _allocate_lock)

    def __enter__(self):
        if self._lock.acquire(False):
            if _w.enabled:
                try:
                    f = _getframe(1)
                    sid = _site_cache.get((id(f.f_code), f.f_lasti))
                    if sid is None:
                        sid = _site_for(f)
                    off = _w._next_slot() << 6
                    _pack(_w._mm if off < _w._cap else _w._grow(off), off,
                          LOCK_HOLD, _mono(), _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                except Exception:
                    self._off = 0
                    _debug()
            else:
                self._off = 0
            return True
        return _acquire_slow(self, True, -1, _getframe(1), _allocate_lock)

    def release(self):
        off = self._off
        self._off = 0
        t = _mono()
        self._lock.release()
        if off and _w.enabled:
            try:
                _pack_end1(_w._mm, off + 40, t)
            except Exception:
                _debug()

    def __exit__(self, et=None, ev=None, tb=None):
        off = self._off
        self._off = 0
        t = _mono()
        self._lock.release()
        if off and _w.enabled:
            try:
                _pack_end1(_w._mm, off + 40, t)
            except Exception:
                _debug()

    def locked(self):
        return self._lock.locked()

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
        lock = self._lock
        if lock.acquire(False):
            _hold(self, _getframe(1))
            return
        _acquire_slow(self, True, -1, _getframe(1), _allocate_lock)

    if hasattr(_LockType, "_at_fork_reinit"):
        def _at_fork_reinit(self):
            self._lock._at_fork_reinit()
            self._off = 0

    if hasattr(_LockType, "acquire_lock"):
        acquire_lock = acquire
    if hasattr(_LockType, "release_lock"):
        release_lock = release
    if hasattr(_LockType, "locked_lock"):
        locked_lock = locked

    def __repr__(self):
        return repr(self._lock)

    def __reduce_ex__(self, protocol):
        return self._lock.__reduce_ex__(protocol)   # raises, as the real lock does


class TracedRLock(object):
    """A user's threading.RLock: only the outermost acquire / release record."""
    __slots__ = ("_lock", "_off", "_obj", "__weakref__")

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create '%s.%s' instances" % (cls.__module__, cls.__qualname__))

    @property
    def __class__(self):
        return self._lock.__class__

    def acquire(self, blocking=True, timeout=-1):
        lock = self._lock
        if lock._is_owned():
            return lock.acquire(blocking, timeout)
        if timeout == -1 and lock.acquire(False):
            if _w.enabled:
                try:
                    f = _getframe(1)
                    sid = _site_cache.get((id(f.f_code), f.f_lasti))
                    if sid is None:
                        sid = _site_for(f)
                    off = _w._next_slot() << 6
                    _pack(_w._mm if off < _w._cap else _w._grow(off), off,
                          LOCK_HOLD, _mono(), _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                except Exception:
                    self._off = 0
                    _debug()
            else:
                self._off = 0
            return True
        return _acquire_slow(self, blocking, timeout, _getframe(1), lock.__class__)

    def __enter__(self):
        lock = self._lock
        if lock._is_owned():
            return lock.acquire()
        if lock.acquire(False):
            if _w.enabled:
                try:
                    f = _getframe(1)
                    sid = _site_cache.get((id(f.f_code), f.f_lasti))
                    if sid is None:
                        sid = _site_for(f)
                    off = _w._next_slot() << 6
                    _pack(_w._mm if off < _w._cap else _w._grow(off), off,
                          LOCK_HOLD, _mono(), _ident(), self._obj, sid, 0, 0, 0)
                    self._off = off
                except Exception:
                    self._off = 0
                    _debug()
            else:
                self._off = 0
            return True
        return _acquire_slow(self, True, -1, _getframe(1), lock.__class__)

    def release(self):
        lock = self._lock
        off = self._off
        t = _mono()
        lock.release()
        if off and not lock._is_owned() and _w.enabled:
            try:
                _pack_end1(_w._mm, off + 40, t)
            except Exception:
                _debug()

    def __exit__(self, et=None, ev=None, tb=None):
        lock = self._lock
        off = self._off
        t = _mono()
        lock.release()
        if off and not lock._is_owned() and _w.enabled:
            try:
                _pack_end1(_w._mm, off + 40, t)
            except Exception:
                _debug()

    def _is_owned(self):
        return self._lock._is_owned()

    def _release_save(self):
        off = self._off
        t = _mono()
        state = self._lock._release_save()
        _end(off, t)
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
        off = _begin(LOCK_WAIT, self._obj, f)
        try:
            lock._acquire_restore(state)
        except BaseException:
            _finish(off, 0)
            raise
        _finish(off, 1)
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
    f = _caller_is_user(1)
    if f is None:
        return _allocate_lock()
    return _new_lock(TracedLock, _allocate_lock(), "Lock", f)


def _rlock_new(cls, *args, **kwargs):
    """type(rlock)() makes an RLock, as threading.RLock() does."""
    raw = _thread.RLock(*args, **kwargs)
    f = _caller_is_user(1)
    return raw if f is None else _new_lock(TracedRLock, raw, "RLock", f)


if isinstance(threading.Lock, type):
    TracedLock.__new__ = _lock_new
TracedRLock.__new__ = _rlock_new       # _thread.RLock is instantiable in every version


def _hold(self, f):
    """Begin a LOCK_HOLD span on a threading wrapper."""
    self._off = _begin(LOCK_HOLD, self._obj, f)


def _acquire_slow(self, blocking, timeout, f, fresh):
    """acquire() of a threading wrapper that could not take the lock at once,
    or was given a timeout."""
    lock = self._lock
    if timeout != -1:
        # The real lock's argument checks, on a free lock that never blocks.
        fresh().acquire(blocking, timeout)
        if lock.acquire(False):
            _hold(self, f)
            return True
    if not blocking:
        _point(LOCK_TRY_FAIL, self._obj, f)
        return False
    off = _begin(LOCK_WAIT, self._obj, f)
    try:
        ok = lock.acquire(True, timeout)
    except BaseException:
        _finish(off, 0)
        raise
    _finish(off, 1 if ok else 0)
    if ok:
        _hold(self, f)
    return ok


def _new_lock(cls, raw, type_name, f, obj=0, label=None):
    try:
        if not obj:
            obj = _w.new_object_id()
            _object(obj, type_name, f, label)
        return _wrapper(cls, raw, obj)
    except Exception:
        _debug()
        return raw


def _caller_is_user(depth):
    """Whether the code `depth` frames above the caller is the user's."""
    try:
        if not _w.enabled:
            return None
        f = _getframe(depth + 1)
        return f if _is_user(f) else None
    except Exception:
        _debug()
        return None


# --------------------------------------------------------------------------
# threading: factories and classes

def _install_threading():
    orig_rlock = threading.RLock
    _originals["Lock"] = threading.Lock
    _originals["RLock"] = orig_rlock

    def RLock(*args, **kwargs):
        f = _caller_is_user(1)
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

            def __call__(cls, *args, **kwargs):
                if args or kwargs:
                    return _LockType(*args, **kwargs)
                f = _caller_is_user(1)
                if f is None:
                    return _allocate_lock()
                return _new_lock(TracedLock, _allocate_lock(), "Lock", f)

            def __instancecheck__(cls, obj):
                return isinstance(obj, _LockType)

            def __subclasscheck__(cls, sub):
                return issubclass(sub, (_LockType, TracedLock))

        Lock = _LockMeta("Lock", (), {"__module__": "threading", "__qualname__": "Lock",
                                      "__doc__": _LockType.__doc__})
    else:
        def Lock():
            f = _caller_is_user(1)
            if f is None:
                return _allocate_lock()
            return _new_lock(TracedLock, _allocate_lock(), "Lock", f)
        Lock.__name__ = Lock.__qualname__ = "Lock"
        Lock.__module__ = "threading"
        Lock.__doc__ = _allocate_lock.__doc__
        Lock.__wrapped__ = _allocate_lock

    threading.Lock = Lock
    threading.RLock = RLock
    _patch_condition(threading.Condition, orig_rlock)
    _patch_semaphore(threading.Semaphore, threading.BoundedSemaphore)
    _patch_event(threading.Event)
    _patch_barrier(threading.Barrier)


def _wrap(cls, name, make):
    orig = cls.__dict__[name]
    fn = make(orig)
    fn.__name__ = orig.__name__
    fn.__qualname__ = orig.__qualname__
    fn.__doc__ = orig.__doc__
    fn.__wrapped__ = orig
    setattr(cls, name, fn)
    _originals[(cls, name)] = orig
    return orig


def _init_codes(*funcs):
    return {id(getattr(fn, "__code__", None)) for fn in funcs}


def _creator_frame(f, skip):
    """The frame that constructed an object: f, or outside the constructor
    chain whose codes are in `skip` (ids)."""
    while f is not None and id(f.f_code) in skip:
        f = f.f_back
    return f


def _decide(skip):
    """The user's creating frame, or None for objects the stdlib creates."""
    try:
        if not _w.enabled:
            return None
        f = _creator_frame(_getframe(2), skip)
        return f if f is not None and _is_user(f) else None
    except Exception:
        _debug()
        return None


def _patch_condition(Condition, orig_rlock):
    Condition._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self, lock=None):
            f = _decide(skip)
            if f is None:
                return orig(self, lock)
            cid = 0
            try:
                cid = _w.new_object_id()
                _object(cid, "Condition", f)
                if lock is None:
                    lock = _wrapper(TracedRLock, orig_rlock(), cid)
            except Exception:
                _debug()
            orig(self, lock)
            self._ct_id = cid
        return __init__
    orig_init = _wrap(Condition, "__init__", make_init)
    skip |= _init_codes(orig_init, Condition.__init__)

    def make_wait(orig):
        def wait(self, timeout=None):
            cid = self._ct_id
            if not cid:
                return orig(self, timeout)
            off = _begin(COND_WAIT, cid, _getframe(1))
            try:
                ok = orig(self, timeout)
            except BaseException:
                _finish(off, 0)
                raise
            _finish(off, 1 if ok else 0)
            return ok
        return wait
    _wrap(Condition, "wait", make_wait)

    notify_all_code = [None]

    def make_notify(orig):
        def notify(self, n=1):
            orig(self, n)
            cid = self._ct_id
            if cid:
                f = _getframe(1)
                if f.f_code is not notify_all_code[0]:
                    _point(COND_NOTIFY, cid, f, n)
        return notify
    _wrap(Condition, "notify", make_notify)

    def make_notify_all(orig):
        def notify_all(self):
            orig(self)
            cid = self._ct_id
            if cid:
                _point(COND_NOTIFY, cid, _getframe(1), -1)
        return notify_all
    orig_notify_all = _wrap(Condition, "notify_all", make_notify_all)
    notify_all_code[0] = orig_notify_all.__code__
    if Condition.__dict__.get("notifyAll") is orig_notify_all:   # 3.8, 3.9: an alias
        Condition.notifyAll = Condition.notify_all


def _sem_acquire(orig, self, blocking, timeout, f):
    """Traced acquire of a threading or multiprocessing semaphore; orig takes
    (blocking, timeout)."""
    obj = self._ct_id
    if orig(False):
        self._ct_holds.acquired(obj, f)
        return True
    if not blocking:
        _point(LOCK_TRY_FAIL, obj, f)
        return False
    off = _begin(LOCK_WAIT, obj, f)
    try:
        ok = orig(blocking, timeout)
    except BaseException:
        _finish(off, 0)
        raise
    _finish(off, 1 if ok else 0)
    if ok:
        self._ct_holds.acquired(obj, f)
    return ok


def _patch_semaphore(Semaphore, BoundedSemaphore):
    Semaphore._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self, value=1):
            orig(self, value)
            f = _decide(skip)
            if f is not None:
                try:
                    obj = _w.new_object_id()
                    self._ct_holds = _Holds()
                    self._ct_id = obj
                    _object(obj, "BoundedSemaphore" if isinstance(self, BoundedSemaphore)
                            else "Semaphore", f)
                except Exception:
                    _debug()
        return __init__
    orig_init = _wrap(Semaphore, "__init__", make_init)
    skip |= _init_codes(orig_init, Semaphore.__init__, BoundedSemaphore.__init__)

    def make_acquire(orig):
        def acquire(self, blocking=True, timeout=None):
            if not self._ct_id or (not blocking and timeout is not None):
                return orig(self, blocking, timeout)
            return _sem_acquire(lambda b, t=None: orig(self, b, t), self, blocking, timeout,
                                _getframe(1))
        return acquire
    _wrap(Semaphore, "acquire", make_acquire)
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
    _wrap(Semaphore, "release", make_release)
    if "release" in BoundedSemaphore.__dict__:
        _wrap(BoundedSemaphore, "release", make_release)


def _patch_event(Event):
    Event._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self):
            orig(self)
            f = _decide(skip)
            if f is not None:
                try:
                    self._ct_id = _w.new_object_id()
                    _object(self._ct_id, "Event", f)
                except Exception:
                    _debug()
        return __init__
    orig_init = _wrap(Event, "__init__", make_init)
    skip |= _init_codes(orig_init, Event.__init__)

    def make_set(orig, clear):
        def set(self):
            orig(self)
            if self._ct_id:
                _point(EVENT_SET, self._ct_id, _getframe(1), 0, clear)
        return set
    _wrap(Event, "set", lambda orig: make_set(orig, 0))
    _wrap(Event, "clear", lambda orig: make_set(orig, 1))

    def make_wait(orig):
        def wait(self, timeout=None):
            obj = self._ct_id
            if not obj:
                return orig(self, timeout)
            off = _begin(EVENT_WAIT, obj, _getframe(1))
            try:
                ok = orig(self, timeout)
            except BaseException:
                _finish(off, 0)
                raise
            _finish(off, 1 if ok else 0)
            return ok
        return wait
    _wrap(Event, "wait", make_wait)


def _patch_barrier(Barrier):
    Barrier._ct_id = 0
    skip = set()

    def make_init(orig):
        def __init__(self, parties, action=None, timeout=None):
            orig(self, parties, action, timeout)
            f = _decide(skip)
            if f is not None:
                try:
                    self._ct_id = _w.new_object_id()
                    _object(self._ct_id, "Barrier", f)
                except Exception:
                    _debug()
        return __init__
    orig_init = _wrap(Barrier, "__init__", make_init)
    skip |= _init_codes(orig_init, Barrier.__init__)

    def make_wait(orig):
        def wait(self, timeout=None):
            obj = self._ct_id
            if not obj:
                return orig(self, timeout)
            off = _begin(BARRIER_WAIT, obj, _getframe(1), -1)
            try:
                index = orig(self, timeout)
            except BaseException:
                _finish(off, -1)
                raise
            _finish(off, index)
            return index
        return wait
    _wrap(Barrier, "wait", make_wait)


# --------------------------------------------------------------------------
# multiprocessing.synchronize

class _MpLock(object):
    """Tracing state of one traced mp Lock (held by the SemLock; holds no
    reference back to it, so no cycle delays the SemLock's finalizer)."""
    __slots__ = ("sl", "obj", "off")

    def __init__(self, sl, obj):
        self.sl = sl
        self.obj = obj
        self.off = 0

    def acquire(self, block=True, timeout=None):
        if block is True and timeout is None and self.sl.acquire(False):
            _mp_hold(self, _getframe(1))
            return True
        return _mp_acquire_slow(self, block, timeout, _getframe(1))

    def enter(self, f):
        if self.sl.acquire(False):
            _mp_hold(self, f)
            return True
        return _mp_acquire_slow(self, True, None, f)

    def release(self):
        off = self.off
        self.off = 0
        t = _mono()
        self.sl.release()
        if off >= _min_off:
            _end(off, t)
        else:
            _point(LOCK_RELEASE, self.obj, _getframe(1), 1)

    def exit(self, f):
        off = self.off
        self.off = 0
        t = _mono()
        self.sl.release()
        if off >= _min_off:
            _end(off, t)
        else:
            _point(LOCK_RELEASE, self.obj, f, 1)


class _MpRLock(_MpLock):
    __slots__ = ()

    def acquire(self, block=True, timeout=None):
        sl = self.sl
        if sl._is_mine():
            return sl.acquire(block, timeout)
        if block is True and timeout is None and sl.acquire(False):
            _mp_hold(self, _getframe(1))
            return True
        return _mp_acquire_slow(self, block, timeout, _getframe(1))

    def enter(self, f):
        sl = self.sl
        if sl._is_mine():
            return sl.acquire()
        if sl.acquire(False):
            _mp_hold(self, f)
            return True
        return _mp_acquire_slow(self, True, None, f)

    def release(self):
        sl = self.sl
        off = self.off
        t = _mono()
        sl.release()
        if not sl._is_mine():
            _end(off, t)

    def exit(self, f):
        self.release()


class _MpSemaphore(_MpLock):
    __slots__ = ("holds",)

    def __init__(self, sl, obj):
        _MpLock.__init__(self, sl, obj)
        self.holds = _Holds()

    def acquire(self, block=True, timeout=None):
        return self.enter(_getframe(1), block, timeout)

    def enter(self, f, block=True, timeout=None):
        sl = self.sl
        if not _plain_args(block, timeout):
            ok = sl.acquire(block, timeout)
            if ok:
                self.holds.acquired(self.obj, f)
            return ok
        if sl.acquire(False):
            self.holds.acquired(self.obj, f)
            return True
        if not block:
            _point(LOCK_TRY_FAIL, self.obj, f)
            return False
        off = _begin(LOCK_WAIT, self.obj, f)
        try:
            ok = sl.acquire(True, timeout)
        except BaseException:
            _finish(off, 0)
            raise
        _finish(off, 1 if ok else 0)
        if ok:
            self.holds.acquired(self.obj, f)
        return ok

    def release(self):
        t = _mono()
        self.sl.release()
        self.holds.released(self.obj, _getframe(1), 1, t)

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


def _mp_hold(ct, f):
    if _w.enabled:
        try:
            off = _w._next_slot() << 6
            _pack(_w._mm if off < _w._cap else _w._grow(off), off,
                  LOCK_HOLD, _mono(), _ident(), ct.obj, _site_of(f), 0, 0, 0)
            ct.off = off
            return
        except Exception:
            _debug()
    ct.off = 0


def _mp_acquire_slow(ct, block, timeout, f):
    sl = ct.sl
    if not _plain_args(block, timeout):
        ok = sl.acquire(block, timeout)      # raises as untraced; no wait record
        if ok:
            _mp_hold(ct, f)
        return ok
    if sl.acquire(False):
        _mp_hold(ct, f)
        return True
    if not block:
        _point(LOCK_TRY_FAIL, ct.obj, f)
        return False
    off = _begin(LOCK_WAIT, ct.obj, f)
    try:
        ok = sl.acquire(True, timeout)
    except BaseException:
        _finish(off, 0)
        raise
    _finish(off, 1 if ok else 0)
    if ok:
        _mp_hold(ct, f)
    return ok


def _mp_type(sync, self):
    for name in ("BoundedSemaphore", "Semaphore", "RLock", "Lock"):
        if isinstance(self, getattr(sync, name)):
            return name
    return "SemLock"


def _mp_attach(sync, self, obj, ref):
    """Give a SemLock its trace id (obj: traced; ref: id of the Condition /
    Event / Barrier it identifies, itself untraced)."""
    if ref:
        self._ct_ref = ref
    if obj:
        kind = _mp_type(sync, self)
        if kind == "RLock" or (kind == "SemLock" and self._semlock.kind == sync.RECURSIVE_MUTEX):
            ct = _MpRLock(self._semlock, obj)
        elif kind == "Lock":
            ct = _MpLock(self._semlock, obj)
        else:
            ct = _MpSemaphore(self._semlock, obj)
        self._ct = ct
        self.acquire = ct.acquire
        self.release = ct.release


def _patch_mp_synchronize(sync):
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
            plumbing |= _init_codes(fn)
    for name in ("SemLock", "Semaphore", "BoundedSemaphore", "Lock", "RLock"):
        plumbing |= _init_codes(getattr(sync, name).__init__)

    def creator():
        """(user frame, label) for a constructor called from here, or None."""
        f = _creator_frame(_getframe(2), plumbing)
        if f is None:
            return None
        if f.f_globals.get("__name__") == "multiprocessing.sharedctypes":
            # The lock of a synchronized Value / Array: the user's, via get_lock().
            uf = _user_frame(f)
            name = _label(uf)
            return uf, (name + ".get_lock()" if name else "")
        if _is_user(f):
            return f, None
        return None

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            if not _w.enabled:
                return
            try:
                found = creator()
                if found is not None:
                    obj = _w.new_object_id()
                    _mp_attach(sync, self, obj, 0)
                    _object(obj, "multiprocessing." + _mp_type(sync, self), found[0], found[1])
            except Exception:
                _debug()
        return __init__
    plumbing |= _init_codes(_wrap(SemLock, "__init__", make_init), SemLock.__init__)

    def make_enter(orig):
        def __enter__(self):
            ct = self._ct
            if ct is None:
                return self._semlock.__enter__()
            return ct.enter(_getframe(1))
        return __enter__
    _wrap(SemLock, "__enter__", make_enter)

    def make_exit(orig):
        def __exit__(self, *args):
            ct = self._ct
            if ct is None:
                return self._semlock.__exit__(*args)
            ct.exit(_getframe(1))
        return __exit__
    _wrap(SemLock, "__exit__", make_exit)

    # Identity through pickling (spawn / forkserver): see the module doc.
    import copyreg
    newobj = copyreg.__newobj__

    def __reduce_ex__(self, protocol):
        ct = self._ct
        ref = self._ct_ref
        if (ct is None and not ref) or protocol < 2 or type(self).__reduce__ is not object.__reduce__:
            return object.__reduce_ex__(self, protocol)
        state = self.__getstate__()
        return (newobj, (type(self), (_MARK, ct.obj if ct is not None else 0, ref)), state)
    SemLock.__reduce_ex__ = __reduce_ex__

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        if (len(args) == 1 and not kwargs and type(args[0]) is tuple and len(args[0]) == 3
                and args[0][0] == _MARK):
            self.__dict__["_ct_pending"] = args[0]
        return self
    SemLock.__new__ = staticmethod(__new__)

    def make_setstate(orig):
        def __setstate__(self, state):
            orig(self, state)
            pending = self.__dict__.pop("_ct_pending", None)
            if pending is not None:
                try:
                    _mp_attach(sync, self, pending[1], pending[2])
                except Exception:
                    _debug()
        return __setstate__
    _wrap(SemLock, "__setstate__", make_setstate)

    _patch_mp_condition(sync, plumbing)
    _patch_mp_event(sync, plumbing)
    _patch_mp_barrier(sync, plumbing)


def _mp_decide(plumbing):
    try:
        if not _w.enabled:
            return None
        f = _creator_frame(_getframe(2), plumbing)
        return f if f is not None and _is_user(f) else None
    except Exception:
        _debug()
        return None


def _patch_mp_condition(sync, plumbing):
    Condition = sync.Condition

    def make_init(orig):
        def __init__(self, lock=None, *, ctx):
            f = _mp_decide(plumbing)
            orig(self, lock, ctx=ctx)
            if f is None:
                return
            try:
                cid = _w.new_object_id()
                _object(cid, "multiprocessing.Condition", f)
                self._wait_semaphore._ct_ref = cid
                if lock is None:
                    # The Condition's own RLock: records carry the Condition's id.
                    _mp_attach(sync, self._lock, cid, 0)
                    self._make_methods()
            except Exception:
                _debug()
        return __init__
    _wrap(Condition, "__init__", make_init)

    def make_wait(orig):
        def wait(self, timeout=None):
            cid = self._wait_semaphore._ct_ref
            if not cid:
                return orig(self, timeout)
            off = _begin(COND_WAIT, cid, _getframe(1))
            try:
                ok = orig(self, timeout)
            except BaseException:
                _finish(off, 0)
                raise
            _finish(off, 1 if ok else 0)
            return ok
        return wait
    _wrap(Condition, "wait", make_wait)

    notify_all_code = [None]

    def make_notify(orig):
        def notify(self, n=1):
            orig(self, n)
            cid = self._wait_semaphore._ct_ref
            if cid:
                f = _getframe(1)
                if f.f_code is not notify_all_code[0]:
                    _point(COND_NOTIFY, cid, f, n)
        return notify
    _wrap(Condition, "notify", make_notify)

    def make_notify_all(orig):
        def notify_all(self):
            orig(self)
            cid = self._wait_semaphore._ct_ref
            if cid:
                _point(COND_NOTIFY, cid, _getframe(1), -1)
        return notify_all
    notify_all_code[0] = _wrap(Condition, "notify_all", make_notify_all).__code__


def _patch_mp_event(sync, plumbing):
    Event = sync.Event

    def make_init(orig):
        def __init__(self, *, ctx):
            f = _mp_decide(plumbing)
            orig(self, ctx=ctx)
            if f is None:
                return
            try:
                eid = _w.new_object_id()
                _object(eid, "multiprocessing.Event", f)
                self._flag._ct_ref = eid
            except Exception:
                _debug()
        return __init__
    _wrap(Event, "__init__", make_init)

    def make_set(orig, clear):
        def set(self):
            orig(self)
            eid = self._flag._ct_ref
            if eid:
                _point(EVENT_SET, eid, _getframe(1), 0, clear)
        return set
    _wrap(Event, "set", lambda orig: make_set(orig, 0))
    _wrap(Event, "clear", lambda orig: make_set(orig, 1))

    def make_wait(orig):
        def wait(self, timeout=None):
            eid = self._flag._ct_ref
            if not eid:
                return orig(self, timeout)
            off = _begin(EVENT_WAIT, eid, _getframe(1))
            try:
                ok = orig(self, timeout)
            except BaseException:
                _finish(off, 0)
                raise
            _finish(off, 1 if ok else 0)
            return ok
        return wait
    _wrap(Event, "wait", make_wait)


def _patch_mp_barrier(sync, plumbing):
    Barrier = sync.Barrier

    def make_init(orig):
        def __init__(self, parties, action=None, timeout=None, *, ctx):
            f = _mp_decide(plumbing)
            orig(self, parties, action, timeout, ctx=ctx)
            if f is None:
                return
            try:
                bid = _w.new_object_id()
                _object(bid, "multiprocessing.Barrier", f)
                self._cond._woken_count._ct_ref = bid
            except Exception:
                _debug()
        return __init__
    _wrap(Barrier, "__init__", make_init)
    # threading.Barrier.wait (patched above) reads _ct_id.
    Barrier._ct_id = property(lambda self: self._cond._woken_count._ct_ref)


# --------------------------------------------------------------------------
# multiprocessing.sharedctypes: the per-access lock stays untraced

def _raw_of(lock):
    """The untraced lock behind a traced one (None if lock is not traced)."""
    if type(lock) is TracedLock or type(lock) is TracedRLock:
        return lock._lock
    ct = getattr(lock, "_ct", None)
    if type(ct) in (_MpLock, _MpRLock, _MpSemaphore):
        return lock._semlock
    return None


def _patch_sharedctypes(sc):
    Base = sc.SynchronizedBase
    if "_ct_locks_patched" in Base.__dict__:
        return
    Base._ct_locks_patched = True
    sc_globals = sc.__dict__

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            orig(self, *args, **kwargs)
            try:
                raw = _raw_of(self._lock)
                if raw is not None:
                    # What Value.value / Array[i] call around each access.
                    self.acquire = raw.acquire
                    self.release = raw.release
            except Exception:
                _debug()
        return __init__
    _wrap(Base, "__init__", make_init)

    def make_enter(orig):
        def __enter__(self):
            if _getframe(1).f_globals is sc_globals:
                raw = _raw_of(self._lock)
                if raw is not None:
                    return raw.__enter__()
            return orig(self)
        return __enter__
    _wrap(Base, "__enter__", make_enter)

    def make_exit(orig):
        def __exit__(self, *args):
            if _getframe(1).f_globals is sc_globals:
                raw = _raw_of(self._lock)
                if raw is not None:
                    return raw.__exit__(*args)
            return orig(self, *args)
        return __exit__
    _wrap(Base, "__exit__", make_exit)


# --------------------------------------------------------------------------
# multiprocessing.managers: AcquirerProxy (Lock, RLock, Semaphore,
# BoundedSemaphore, Condition), traced on the client side

class _ProxyLock(object):
    __slots__ = ("obj", "off", "holds")

    def __init__(self, obj, typeid):
        self.obj = obj
        self.off = 0
        # Lock: one hold, closed by whichever thread releases; RLock and
        # Condition: per thread, outermost only; semaphores: per thread.
        self.holds = None if typeid == "Lock" else _Holds(nested=typeid in ("RLock", "Condition"))

    def acquired(self, f):
        if self.holds is None:
            self.off = _begin(LOCK_HOLD, self.obj, f)
        else:
            self.holds.acquired(self.obj, f)

    def released(self, f, t):
        if self.holds is None:
            off = self.off
            self.off = 0
            if off >= _min_off:
                _end(off, t)
            else:
                _point(LOCK_RELEASE, self.obj, f, 1)
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
            _end(off)
        del stack[:]
        return depth

    def resume(self, depth, f):
        if depth:
            stack = self.holds.stack(True)
            stack.append(_begin(LOCK_HOLD, self.obj, f))
            stack.extend([0] * (depth - 1))


def _proxy_state(proxy):
    st = proxy.__dict__.get("_ct_lock")
    if st is None:
        if not _w.enabled:
            return None
        token = proxy._token
        st = _ProxyLock(_stable_id("manager:%r:%s" % (token.address, token.id)), token.typeid)
        proxy.__dict__["_ct_lock"] = st
    return st


def _patch_managers(managers):
    AP = managers.AcquirerProxy
    if "_ct_patched" in AP.__dict__:
        return
    AP._ct_patched = True
    BaseProxy = managers.BaseProxy
    mgr_globals = managers.__dict__

    def make_proxy_init(cls):
        def __init__(self, *args, **kwargs):
            BaseProxy.__init__(self, *args, **kwargs)
            if not _w.enabled:
                return
            try:
                # Created by manager.Lock() & co (the `temp` method that
                # BaseManager.register makes) called from the user's code.
                f = _getframe(1)
                if f.f_code.co_name == "temp" and f.f_globals is mgr_globals:
                    uf = f.f_back
                    if uf is not None and _is_user(uf):
                        st = _proxy_state(self)
                        _object(st.obj, "Manager." + self._token.typeid, uf)
            except Exception:
                _debug()
        __init__.__qualname__ = cls.__name__ + ".__init__"
        return __init__

    for cls in (AP, getattr(managers, "EventProxy", None), getattr(managers, "BarrierProxy", None)):
        if cls is not None and "__init__" not in cls.__dict__:
            cls.__init__ = make_proxy_init(cls)

    def _acquire(self, orig, blocking, timeout, f):
        st = _proxy_state(self)
        if st is None:
            return orig(self, blocking, timeout)
        if timeout is None and blocking:
            ok = orig(self, False, None)
            if ok:
                st.acquired(f)
                return ok
        elif not blocking:
            ok = orig(self, blocking, timeout)
            if ok:
                st.acquired(f)
            else:
                _point(LOCK_TRY_FAIL, st.obj, f)
            return ok
        off = _begin(LOCK_WAIT, st.obj, f)
        try:
            ok = orig(self, blocking, timeout)
        except BaseException:
            _finish(off, 0)
            raise
        _finish(off, 1 if ok else 0)
        if ok:
            st.acquired(f)
        return ok

    def make_acquire(orig):
        def acquire(self, blocking=True, timeout=None):
            return _acquire(self, orig, blocking, timeout, _getframe(1))
        return acquire
    orig_acquire = _wrap(AP, "acquire", make_acquire)

    def make_enter(orig):
        def __enter__(self):
            if _proxy_state(self) is None:
                return orig(self)
            return _acquire(self, lambda s, b, t: orig(s) if b is True and t is None
                            else orig_acquire(s, b, t), True, None, _getframe(1))
        return __enter__
    _wrap(AP, "__enter__", make_enter)

    def make_release(orig):
        def release(self):
            t = _mono()
            result = orig(self)
            st = _proxy_state(self)
            if st is not None:
                st.released(_getframe(1), t)
            return result
        return release
    _wrap(AP, "release", make_release)

    def make_exit(orig):
        def __exit__(self, exc_type, exc_val, exc_tb):
            t = _mono()
            result = orig(self, exc_type, exc_val, exc_tb)
            st = _proxy_state(self)
            if st is not None:
                st.released(_getframe(1), t)
            return result
        return __exit__
    _wrap(AP, "__exit__", make_exit)

    CP = getattr(managers, "ConditionProxy", None)
    if CP is not None:
        def make_cond_wait(orig):
            def wait(self, timeout=None):
                st = _proxy_state(self)
                if st is None:
                    return orig(self, timeout)
                f = _getframe(1)
                depth = st.suspend()       # the server's wait releases the lock
                off = _begin(COND_WAIT, st.obj, f)
                try:
                    ok = orig(self, timeout)
                except BaseException:
                    _finish(off, 0)
                    st.resume(depth, f)
                    raise
                _finish(off, 1 if ok else 0)
                st.resume(depth, f)
                return ok
            return wait
        _wrap(CP, "wait", make_cond_wait)

        def make_cond_notify(orig, everyone):
            def notify(self, *args, **kwargs):
                result = orig(self, *args, **kwargs)
                st = _proxy_state(self)
                if st is not None:
                    n = -1 if everyone else (args[0] if args else kwargs.get("n", 1))
                    _point(COND_NOTIFY, st.obj, _getframe(1), n if type(n) is int else 1)
                return result
            return notify
        _wrap(CP, "notify", lambda orig: make_cond_notify(orig, False))
        _wrap(CP, "notify_all", lambda orig: make_cond_notify(orig, True))

    EP = getattr(managers, "EventProxy", None)
    if EP is not None:
        def make_event_set(orig, clear):
            def set(self):
                result = orig(self)
                st = _proxy_state(self)
                if st is not None:
                    _point(EVENT_SET, st.obj, _getframe(1), 0, clear)
                return result
            return set
        _wrap(EP, "set", lambda orig: make_event_set(orig, 0))
        _wrap(EP, "clear", lambda orig: make_event_set(orig, 1))
        _wrap(EP, "wait", lambda orig: _make_proxy_wait(orig, EVENT_WAIT))

    BP = getattr(managers, "BarrierProxy", None)
    if BP is not None:
        _wrap(BP, "wait", lambda orig: _make_proxy_wait(orig, BARRIER_WAIT))


def _make_proxy_wait(orig, kind):
    barrier = kind == BARRIER_WAIT

    def wait(self, timeout=None):
        st = _proxy_state(self)
        if st is None:
            return orig(self, timeout)
        off = _begin(kind, st.obj, _getframe(1), -1 if barrier else 0)
        try:
            result = orig(self, timeout)
        except BaseException:
            _finish(off, -1 if barrier else 0)
            raise
        _finish(off, result if barrier and type(result) is int else (1 if result else 0))
        return result
    return wait


# --------------------------------------------------------------------------

def _when_imported(name, callback):
    hook = None
    try:
        from .shared import when_imported as hook
    except Exception:
        try:
            from .pipes import after_import as hook
        except Exception:
            hook = None
    if hook is not None:
        hook(name, callback)
    else:
        import importlib
        callback(importlib.import_module(name))


def _read_min_off():
    global _min_off
    try:
        _min_off = struct.unpack_from("<q", _w._mm, 40)[0] << 6
    except Exception:
        _min_off = 64


def install():
    if getattr(threading, "_ct_locks_installed", False):
        return
    _read_min_off()
    _install_threading()
    threading._ct_locks_installed = True
    for name, callback in (("multiprocessing.synchronize", _patch_mp_synchronize),
                           ("multiprocessing.sharedctypes", _patch_sharedctypes),
                           ("multiprocessing.managers", _patch_managers)):
        try:
            _when_imported(name, callback)
        except Exception:
            _debug()


def after_fork_in_child():
    _site_cache.clear()     # site ids are per process file
    _read_min_off()
