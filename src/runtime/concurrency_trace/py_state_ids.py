"""Trace ids of the containers of Python state: module namespaces, objects,
lists, dicts and closure cells, each announced once by an OBJECT record.

An id is tied to the object, not to its address: a weak reference (with a
callback that forgets it) where the type allows one; lists, dicts and cells
allow none, so those are held, and let go again by a sweep once nothing but
this table refers to them.  That way a new object at a dead one's address
never inherits its id (two different objects would look like one variable).
"""
import _thread
import sys
import weakref

from . import events, writer

_ids = {}          # id(obj) -> [oid, keeper, held]  (keeper: weakref or the object itself)
_held = []         # ids of entries holding their object
_sweep_at = 256
_lock = _thread.allocate_lock()
_getrefcount = sys.getrefcount


def _refs(entry):
    return _getrefcount(entry[1])


def _calibrate():
    probe = [0, [], True]
    return _refs(probe)


_ONLY_US = _calibrate()   # references of an object only this table holds


def _forget(key):
    def gone(ref, key=key):
        entry = _ids.get(key)
        if entry is not None and entry[1] is ref:
            del _ids[key]
    return gone


def known(obj):
    """The id of an object seen before, else 0."""
    entry = _ids.get(id(obj))
    return entry[0] if entry is not None else 0


def new(obj, type_name, label, site):
    """The id of obj, given and announced by an OBJECT record (type, label,
    site) if it has none.  Under a lock: two threads meeting a new object at
    once must agree on one id, announced before either uses it."""
    global _sweep_at
    with _lock:
        entry = _ids.get(id(obj))
        if entry is not None:
            return entry[0]
        oid = writer.new_object_id()
        key = id(obj)
        writer.point(events.OBJECT, oid, site, writer.intern(type_name), writer.intern(label[:80]) if label else 0)
        try:
            _ids[key] = [oid, weakref.ref(obj, _forget(key)), False]
        except TypeError:
            _ids[key] = [oid, obj, True]
            _held.append(key)
            if len(_held) >= _sweep_at:
                sweep()
                _sweep_at = max(256, 2 * len(_held))
    return oid


def sweep():
    """Let go of held objects nothing else refers to (their ids are done)."""
    keep = []
    for key in _held:
        entry = _ids.get(key)
        if entry is None or not entry[2]:
            continue
        if _refs(entry) <= _ONLY_US:
            del _ids[key]
        else:
            keep.append(key)
    _held[:] = keep


def reset():
    """After fork (ids and blobs are per process) and when recording stops."""
    global _lock
    _lock = _thread.allocate_lock()
    _ids.clear()
    del _held[:]
