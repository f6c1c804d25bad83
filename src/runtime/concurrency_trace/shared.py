"""Shared memory: multiprocessing.Value / Array (here) and Manager proxies
(shared_proxies).

What is recorded (see events.py, "shared memory"):
- SHARED_READ / SHARED_WRITE at the user's line for every access of a
  synchronized Value / Array (sharedctypes) and of a Manager Namespace, list,
  dict, Value or Array proxy.  `counter.value += 1` is a READ then a WRITE
  (two property calls), which is what data-race analysis needs: the wrapper's
  own per-access lock does not make the pair atomic.  A user's
  `with v.get_lock():` is the locks helper's business.
- OBJECT at creation, in the creating process only.

Identity without touching pickles: a synchronized object's id is derived
from the shared-memory file its data lives in (inode or Windows tag name) and
its offset there; a proxy's from the manager address and the token id.  Both
are the same in the parent, in fork children (inherited objects) and in spawn
children (unpickled objects).  A heap block or a manager-side id reused after
the object is freed gets the same id again (rare, and only merges rows).
Ids are 2**51 + a 50-bit hash: below 2**53 like every id (exact in a float64).

Cost: one record per access (about a microsecond here); ints are written
inline in the record and other summaries are cached blobs, so a counter loop
writes no blob; values are described without running any of their code
(safe_values).  Exceptions from the wrapped calls keep their untraced
traceback (safety.hide, also hide_own_frames here for stdio).

Nothing is imported here eagerly: multiprocessing.sharedctypes pulls in
ctypes and managers pulls in half of multiprocessing.  Both are patched right
after they are first imported, by a post-import hook (when_imported, also used
by asyncio_tasks): a meta path finder that only answers for the watched names
and hands back the normal spec with a loader that restores itself, runs the
real loader, then the callback.

Not recorded: RawValue / RawArray and `Value(..., lock=False)` (plain ctypes
objects, whose C attributes cannot be patched without changing their type and
repr); accesses through get_obj(); proxies of a user's own BaseManager types.
"""
import sys

from .import_hooks import after_import
from . import events, names, patching, safe_values, safety, sites, writer

_getframe = sys._getframe
_SHARED_READ = events.SHARED_READ
_SHARED_WRITE = events.SHARED_WRITE
_TAG = 1 << 51              # ids stay below 2**53: exact in a float64 (the TS reader)
_MASK50 = (1 << 50) - 1
_BIG = 1 << 51              # larger ints are not an index part
_HUGE = 1 << 256            # larger ints are not summarised by value
_INLINE = 1 << 50           # smaller ints are written into the record itself
_INLINE_BASE = 1 << 51      # ... as a = -(2**51 + v)
_failed = safety.failed
_hide = safety.hide

# Shared with stdio (and formerly asyncio_tasks, sleeps): see safety.hide.
hide_own_frames = safety.hide
# Post-import hook.
when_imported = after_import


# --------------------------------------------------------------------------
# Ids, labels, value summaries, parts


def derived_id(text):
    import zlib
    data = text.encode("utf-8", "backslashreplace")
    h = (zlib.crc32(data) << 32) | zlib.crc32(data[::-1], 0x5bd1e995)
    return _TAG | (h & _MASK50)


_labels = {}        # (file, line, name) -> label blob
_value_blobs = {}   # summary text -> blob id (bounded)
_part_blobs = {}    # (type, key) of str / bytes / float keys -> part (bounded)


def _user_frame(depth):
    f = _getframe(depth + 1)
    while f is not None and not sites.is_user_frame(f):
        f = f.f_back
    return f


def _label(frame):
    """Blob of the name the creating statement gives the object (names.py),
    else the text of its line."""
    if frame is None:
        return 0
    name = names.assigned_name(frame)
    key = (frame.f_code.co_filename, frame.f_lineno, name)
    bid = _labels.get(key)
    if bid is None:
        label = name
        if not label:
            import linecache
            label = linecache.getline(key[0], key[1]).strip()[:60]
        bid = _labels[key] = writer.intern(label) if label else 0
    return bid


def record_object(oid, type_name, depth):
    """OBJECT record for a shared object created by the caller at depth."""
    frame = _user_frame(depth + 1)
    writer.point(events.OBJECT, oid, sites.site(depth + 1), writer.intern(type_name), _label(frame))


def summary(v):
    """The `a` field of a SHARED_* record: small ints inline, anything else a
    (cached) blob of its text, shown without running any of its code."""
    t = type(v)
    if t is int:
        if -_INLINE < v < _INLINE:
            return -(_INLINE_BASE + v)   # inline, no blob: a counter's values never repeat
        text = int.__repr__(v) if -_HUGE < v < _HUGE else "<int %d bits>" % int.bit_length(v)
    elif t is str or t is bytes:
        text = t.__repr__(v[:60]) + ("..." if len(v) > 60 else "")
    else:
        text = safe_values.value_text(v)
    bid = _value_blobs.get(text)
    if bid is None:
        if len(_value_blobs) >= 4096:
            _value_blobs.clear()
        bid = _value_blobs[text] = writer.blob(text)
    return bid


def call_summary(method, args):
    text = method + "(" + safe_values.summary(args, None, 74) + ")"
    return writer.intern(text) if len(text) <= 16 else writer.blob(text[:80])


_HASHABLE_KEYS = frozenset((str, bytes, float, bool, type(None)))


def part(key):
    """The `b` field for an access to one element / attribute / key: 2*i+1
    for an int, else 2 * the blob of its text.  Only keys of builtin types
    are looked up in a cache (hashing a program's object runs its code)."""
    t = type(key)
    if t is int:
        return (key << 1) | 1 if -_BIG < key < _BIG else 0
    if t in _HASHABLE_KEYS:
        ck = (t, key)
        p = _part_blobs.get(ck)
        if p is None:
            text = key if t is str else safe_values.value_text(key)
            if len(_part_blobs) >= 4096:
                _part_blobs.clear()
            p = _part_blobs[ck] = writer.intern(text[:80]) << 1
        return p
    if t is slice:
        return 0
    return writer.intern(safe_values.value_text(key)[:80]) << 1


# --------------------------------------------------------------------------
# sharedctypes: synchronized Value / Array


def _sync_id(self):
    """Id of a Synchronized* wrapper, cached on the instance."""
    oid = self._ct_id
    if oid:
        return oid
    oid = 0
    try:
        import os
        (arena, start, _stop), _size = self._obj._wrapper._state
        fd = getattr(arena, "fd", -1)
        if fd is not None and fd >= 0:
            st = os.fstat(fd)
            oid = derived_id("shm:%d:%d:%d" % (st.st_dev, st.st_ino, start))
        elif getattr(arena, "name", None):
            oid = derived_id("shm:%s:%d" % (arena.name, start))
    except Exception:
        _failed()
        oid = 0
    if not oid:
        oid = writer.new_object_id()   # identity local to this process
    self._ct_id = oid
    return oid


def _traced_property(prop, field=None):
    """A data property (get/set under the wrapper's lock) that records;
    field names a Structure field (part), None for the whole value."""
    fget, fset = prop.fget, prop.fset
    hide = _hide

    def get(self):
        try:
            value = fget(self)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_READ, self._ct_id or _sync_id(self), sites.site(1),
                             summary(value), part(field) if field else 0)
        except Exception:
            _failed()
        return value

    def set(self, value):
        try:
            fset(self, value)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_WRITE, self._ct_id or _sync_id(self), sites.site(1),
                             summary(value), part(field) if field else 0)
        except Exception:
            _failed()

    for fn, orig in ((get, fget), (set, fset)):
        patching.copy_identity(fn, orig)
    traced = property(get, set, prop.fdel, prop.__doc__)
    return traced


def _element_part(self, i):
    if type(i) is int:
        if i < 0:
            i += len(self._obj)
        return (i << 1) | 1
    return 0


def _patch_sharedctypes(sc):
    base = sc.SynchronizedBase
    if "_ct_shared_patched" in base.__dict__:
        return
    base._ct_id = 0
    base._ct_shared_patched = True

    for cls, attrs in ((sc.Synchronized, ("value",)),
                       (sc.SynchronizedString, ("value", "raw"))):
        for name in attrs:
            prop = cls.__dict__.get(name)
            if isinstance(prop, property):
                setattr(cls, name, _traced_property(prop))

    # ctypes Structure values: synchronized() builds a class with one
    # make_property(field) per field, after this patch.
    orig_make_property = sc.make_property
    traced_props = {}

    def make_property(name):
        prop = orig_make_property(name)
        traced = traced_props.get(name)
        if traced is None:
            field = None if name in ("value", "raw") else name
            traced = traced_props[name] = _traced_property(prop, field)
        return traced
    patching.copy_identity(make_property, orig_make_property)
    sc.make_property = make_property

    SA = sc.SynchronizedArray
    orig_getitem = SA.__getitem__
    orig_setitem = SA.__setitem__
    hide = _hide

    def __getitem__(self, i):
        try:
            value = orig_getitem(self, i)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_READ, self._ct_id or _sync_id(self), sites.site(1),
                             summary(value), _element_part(self, i))
        except Exception:
            _failed()
        return value

    def __setitem__(self, i, value):
        try:
            orig_setitem(self, i, value)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_WRITE, self._ct_id or _sync_id(self), sites.site(1),
                             summary(value), _element_part(self, i))
        except Exception:
            _failed()

    patching.copy_identity(__getitem__, orig_getitem)
    patching.copy_identity(__setitem__, orig_setitem)
    SA.__getitem__ = __getitem__
    SA.__setitem__ = __setitem__

    # Creation: OBJECT record with the user's variable name.
    for fname, type_name in (("Value", "Value"), ("Array", "Array")):
        orig = getattr(sc, fname)
        setattr(sc, fname, _creator(orig, type_name, base))


def _creator(orig, type_name, base):
    hide = _hide

    def create(*args, **kwds):
        try:
            result = orig(*args, **kwds)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled and isinstance(result, base):
                record_object(_sync_id(result), type_name, 1)
        except Exception:
            _failed()
        return result
    patching.copy_identity(create, orig)
    return create


def install():
    from . import shared_proxies
    when_imported("multiprocessing.sharedctypes", _patch_sharedctypes)
    when_imported("multiprocessing.managers", shared_proxies.patch)


def after_fork_in_child():
    # Blob ids belong to the parent's files.
    _labels.clear()
    _value_blobs.clear()
    _part_blobs.clear()
