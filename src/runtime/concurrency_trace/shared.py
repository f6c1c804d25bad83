"""Shared memory: multiprocessing.Value / Array and Manager proxies.

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
writes no blob.  Exceptions from the wrapped calls keep their untraced
traceback (hide_own_frames, also used by asyncio_tasks, sleeps and stdio).

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
import os
import sys

from .import_hooks import after_import
from . import events, sites, writer

_getframe = sys._getframe
_SHARED_READ = events.SHARED_READ
_SHARED_WRITE = events.SHARED_WRITE
_TAG = 1 << 51              # ids stay below 2**53: exact in a float64 (the TS reader)
_MASK50 = (1 << 50) - 1
_BIG = 1 << 51              # larger ints are not an index part
_HUGE = 1 << 256            # larger ints are not summarised by value
_INLINE = 1 << 50           # smaller ints are written into the record itself
_INLINE_BASE = 1 << 51      # ... as a = -(2**51 + v)

# --------------------------------------------------------------------------
# Tracebacks (shared with asyncio_tasks, sleeps, stdio)

_PKG_DIR = os.path.dirname(__file__) + os.sep
_BARE_RAISE_KEEPS_ATTR = sys.version_info >= (3, 11)


def hide_own_frames(exc):
    """In a wrapper's `except BaseException as exc:` just before a bare
    `raise`: drop this package's frames from the head of the traceback, so
    an exception from the wrapped call prints as it does untraced.  3.11+
    re-raises exc.__traceback__ as set here; 3.8-3.10 re-raise the
    traceback as caught, whose head (the wrapper's own frame) stays: only
    the frames after it are dropped.  Never raises."""
    try:
        head = tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PKG_DIR):
            tb = tb.tb_next
        if tb is head:
            return
        if _BARE_RAISE_KEEPS_ATTR:
            exc.__traceback__ = tb
        else:
            head.tb_next = tb
    except Exception:
        pass


# Post-import hook (asyncio_tasks and locks import it from here too).
when_imported = after_import


def _debug():
    import os
    if os.environ.get("CONCURRENCY_TRACE_DEBUG"):
        raise


# --------------------------------------------------------------------------
# Ids, labels, value summaries, parts


def _derived_id(text):
    import zlib
    data = text.encode("utf-8", "backslashreplace")
    h = (zlib.crc32(data) << 32) | zlib.crc32(data[::-1], 0x5bd1e995)
    return _TAG | (h & _MASK50)


_PLAIN = {int, float, complex, bool, type(None), bytes, bytearray, str}
_labels = {}        # (file, line) -> label blob
_value_blobs = {}   # summary text -> blob id (bounded)
_part_blobs = {}    # (type, key) -> part (bounded)
_repr = None


def _user_frame(depth):
    f = _getframe(depth + 1)
    while f is not None and not sites.is_user_frame(f):
        f = f.f_back
    return f


def _label(frame):
    """Blob of the name the creating line assigns to (else the line's text)."""
    if frame is None:
        return 0
    key = (frame.f_code.co_filename, frame.f_lineno)
    bid = _labels.get(key)
    if bid is None:
        import linecache
        import re
        text = linecache.getline(key[0], key[1]).strip()
        m = re.match(r"([A-Za-z_][\w.\[\]'\"]*(?:\s*,\s*[A-Za-z_][\w.\[\]'\"]*)*)\s*(?::[^=]*)?=(?!=)", text)
        label = m.group(1) if m else text[:60]
        bid = _labels[key] = writer.intern(label) if label else 0
    return bid


def _object(oid, type_name, depth):
    """OBJECT record for a shared object created by the caller at depth."""
    frame = _user_frame(depth + 1)
    writer.point(events.OBJECT, oid, sites.site(depth + 1), writer.intern(type_name), _label(frame))


def _make_repr():
    global _repr
    import reprlib

    class _Repr(reprlib.Repr):
        # Never run a user's __repr__ to describe a value.
        def repr_instance(self, x, level):
            if type(x) in _PLAIN:
                return repr(x)[:60]
            return "<%s>" % type(x).__name__

    r = _Repr()
    r.maxlevel = 2
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdict = 6
    r.maxstring = 60
    r.maxother = 60
    _repr = r.repr
    return _repr


def _summary(v):
    t = type(v)
    if t is int:
        if -_INLINE < v < _INLINE:
            return -(_INLINE_BASE + v)   # inline, no blob: a counter's values never repeat
        text = repr(v) if -_HUGE < v < _HUGE else "<int %d bits>" % v.bit_length()
    elif t is float or t is bool or v is None:
        text = repr(v)
    elif t is str or t is bytes:
        text = repr(v[:60]) + ("..." if len(v) > 60 else "")
    elif t in (list, tuple, dict, set, frozenset):
        text = (_repr or _make_repr())(v)
    else:
        text = "<%s>" % t.__name__
    bid = _value_blobs.get(text)
    if bid is None:
        if len(_value_blobs) >= 4096:
            _value_blobs.clear()
        bid = _value_blobs[text] = writer.blob(text)
    return bid


def _call_summary(method, args):
    try:
        text = method + (_repr or _make_repr())(tuple(args))
        if text.endswith(",)"):
            text = text[:-2] + ")"
    except Exception:
        text = method + "(...)"
    return writer.intern(text) if len(text) <= 16 else writer.blob(text[:80])


def _part(key):
    """The `b` field for an access to one element / attribute / key."""
    t = type(key)
    if t is int:
        return (key << 1) | 1 if -_BIG < key < _BIG else 0
    try:
        ck = (t, key)
        p = _part_blobs.get(ck)
    except TypeError:   # unhashable (slice before 3.12)
        return 0
    if p is None:
        if t is slice:
            return 0
        text = key if t is str else (_repr or _make_repr())(key)
        if len(_part_blobs) >= 4096:
            _part_blobs.clear()
        p = _part_blobs[ck] = writer.intern(text[:80]) << 1
    return p


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
            oid = _derived_id("shm:%d:%d:%d" % (st.st_dev, st.st_ino, start))
        elif getattr(arena, "name", None):
            oid = _derived_id("shm:%s:%d" % (arena.name, start))
    except Exception:
        oid = 0
    if not oid:
        oid = writer.new_object_id()   # identity local to this process
    self._ct_id = oid
    return oid


def _traced_property(prop, field=None):
    """A data property (get/set under the wrapper's lock) that records;
    field names a Structure field (part), None for the whole value."""
    fget, fset = prop.fget, prop.fset
    hide = hide_own_frames

    def get(self):
        try:
            value = fget(self)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_READ, self._ct_id or _sync_id(self), sites.site(1),
                             _summary(value), _part(field) if field else 0)
        except Exception:
            pass
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
                             _summary(value), _part(field) if field else 0)
        except Exception:
            pass

    for fn, orig in ((get, fget), (set, fset)):
        _copy_identity(fn, orig)
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

    for cls, names in ((sc.Synchronized, ("value",)),
                       (sc.SynchronizedString, ("value", "raw"))):
        for name in names:
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
    _copy_identity(make_property, orig_make_property)
    sc.make_property = make_property

    SA = sc.SynchronizedArray
    orig_getitem = SA.__getitem__
    orig_setitem = SA.__setitem__
    hide = hide_own_frames

    def __getitem__(self, i):
        try:
            value = orig_getitem(self, i)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                writer.point(_SHARED_READ, self._ct_id or _sync_id(self), sites.site(1),
                             _summary(value), _element_part(self, i))
        except Exception:
            pass
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
                             _summary(value), _element_part(self, i))
        except Exception:
            pass

    _copy_identity(__getitem__, orig_getitem)
    _copy_identity(__setitem__, orig_setitem)
    SA.__getitem__ = __getitem__
    SA.__setitem__ = __setitem__

    # Creation: OBJECT record with the user's variable name.
    for fname, type_name in (("Value", "Value"), ("Array", "Array")):
        orig = getattr(sc, fname)
        setattr(sc, fname, _creator(orig, type_name, base))


def _creator(orig, type_name, base):
    hide = hide_own_frames

    def create(*args, **kwds):
        try:
            result = orig(*args, **kwds)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled and isinstance(result, base):
                _object(_sync_id(result), type_name, 1)
        except Exception:
            pass
        return result
    _copy_identity(create, orig)
    return create


# --------------------------------------------------------------------------
# Manager proxies

# method -> (is_write, keyed): keyed = args[0] names the element / attribute.
_NAMESPACE = {"__getattribute__": (False, True), "__setattr__": (True, True),
              "__delattr__": (True, True)}
_LIST = {"__setitem__": (True, True), "__getitem__": (False, True),
         "__delitem__": (True, False), "append": (True, False), "extend": (True, False),
         "insert": (True, False), "pop": (True, False), "remove": (True, False),
         "reverse": (True, False), "sort": (True, False), "clear": (True, False),
         "__iadd__": (True, False), "__imul__": (True, False)}
_DICT = {"__setitem__": (True, True), "__getitem__": (False, True),
         "__delitem__": (True, True), "__contains__": (False, True), "get": (False, True),
         "pop": (True, True), "setdefault": (True, True), "popitem": (True, False),
         "update": (True, False), "clear": (True, False), "__ior__": (True, False)}
_VALUE = {"get": (False, False), "set": (True, False)}
_ARRAY = {"__setitem__": (True, True), "__getitem__": (False, True)}
_READ_WHOLE = (False, False)

_proxy_codes = set()   # code of MakeProxyType's generated methods ("<string>")


def _proxy_site():
    """Site of the user's call into a proxy method: skips the generated
    one-line methods, which sites would take for user code ("<string>")."""
    f = _getframe(3)    # 0 here, 1 _proxy_record, 2 _callmethod, 3 its caller
    depth = 3
    while f is not None and f.f_code in _proxy_codes:
        f = f.f_back
        depth += 1
    return sites.site(depth)


def _proxy_id(proxy):
    oid = proxy.__dict__.get("_ct_id")
    if oid is None:
        token = proxy._token
        oid = _derived_id("mgr:%r:%s" % (token.address, token.id))
        object.__setattr__(proxy, "_ct_id", oid)
    return oid


def _patch_managers(mg):
    BaseProxy = mg.BaseProxy
    if "_ct_shared_patched" in BaseProxy.__dict__:
        return
    BaseProxy._ct_shared_patched = True
    dict_base = getattr(mg, "_BaseDictProxy", mg.DictProxy)
    tables = ((mg.NamespaceProxy, _NAMESPACE), (mg.BaseListProxy, _LIST),
              (dict_base, _DICT), (mg.ValueProxy, _VALUE), (mg.ArrayProxy, _ARRAY))
    for cls in (mg.BaseListProxy, mg.ListProxy, mg.DictProxy, dict_base, mg.ArrayProxy):
        for value in vars(cls).values():
            code = getattr(value, "__code__", None)
            if code is not None and code.co_filename == "<string>":
                _proxy_codes.add(code)

    for cls, table in tables:
        if "_callmethod" in cls.__dict__:
            continue
        cls._callmethod = _make_callmethod(BaseProxy, table)

    SyncManager = mg.SyncManager
    for typeid, type_name in (("list", "Manager.list"), ("dict", "Manager.dict"),
                              ("Namespace", "Manager.Namespace"), ("Value", "Manager.Value"),
                              ("Array", "Manager.Array")):
        orig = SyncManager.__dict__.get(typeid)
        if orig is not None:
            setattr(SyncManager, typeid, _proxy_creator(orig, type_name))


def _make_callmethod(BaseProxy, table):
    hide = hide_own_frames

    def _callmethod(self, methodname, args=(), kwds={}):
        # BaseProxy._callmethod looked up each time: other patches of it apply.
        call = BaseProxy._callmethod
        try:
            enabled = writer.enabled
        except Exception:
            enabled = False
        try:
            result = call(self, methodname, args, kwds)
        except BaseException as exc:
            if enabled:
                try:
                    _proxy_record(self, table, methodname, args, None, exc)
                except Exception:
                    pass
            hide(exc)
            raise
        if not enabled:
            return result
        try:
            _proxy_record(self, table, methodname, args, result, None)
        except Exception:
            pass
        return result
    _callmethod.__name__ = "_callmethod"
    _callmethod.__qualname__ = "BaseProxy._callmethod"
    _callmethod.__doc__ = BaseProxy._callmethod.__doc__
    return _callmethod


def _proxy_record(self, table, methodname, args, result, exc):
    is_write, keyed = table.get(methodname, _READ_WHOLE)
    part = _part(args[0]) if keyed and args else 0
    if exc is not None:
        summary = writer.intern("!" + type(exc).__name__)
    elif not is_write:
        summary = _summary(result)
    elif methodname in ("__setitem__", "__setattr__") and len(args) == 2:
        summary = _summary(args[1])
    elif methodname == "set" and len(args) == 1:
        summary = _summary(args[0])
    else:
        summary = _call_summary(methodname, args)
    writer.point(_SHARED_WRITE if is_write else _SHARED_READ, _proxy_id(self),
                 _proxy_site(), summary, part)


def _proxy_creator(orig, type_name):
    hide = hide_own_frames

    def create(self, *args, **kwds):
        try:
            proxy = orig(self, *args, **kwds)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if writer.enabled:
                _object(_proxy_id(proxy), type_name, 1)
        except Exception:
            pass
        return proxy
    _copy_identity(create, orig)
    return create


# --------------------------------------------------------------------------


def _copy_identity(fn, orig):
    try:
        fn.__name__ = orig.__name__
        fn.__qualname__ = orig.__qualname__
        fn.__doc__ = orig.__doc__
        fn.__wrapped__ = orig
    except (AttributeError, TypeError):
        pass


def install():
    when_imported("multiprocessing.sharedctypes", _patch_sharedctypes)
    when_imported("multiprocessing.managers", _patch_managers)


def after_fork_in_child():
    # Blob ids belong to the parent's files.
    _labels.clear()
    _value_blobs.clear()
    _part_blobs.clear()
