"""Reading the program's state without running its code, and describing it.

py_state records what an instruction read or wrote.  Everything here reads
objects the way the interpreter's C code does for builtin types and never
calls a method a user's class could define: no __getattribute__,
__getattr__, properties or other descriptors of user classes, no __eq__ /
__hash__ of user objects (dict keys are only looked up when they are of
builtin types), no __repr__ (values are described only when they are of
exact builtin types, else by their type's name).  What cannot be read that
way is not recorded: readers return _MISSING.

Value encoding (events.py, "shared memory"): ints below 2**50 inline in the
record (a = -(2**51 + v)), other values a summary blob ("41", "'abc'",
"[1, 2, 3]", "<Account>"), 0 for none (deleted, absent key).
"""
import types

from . import writer

_MISSING = object()
_INLINE = 1 << 50
_INLINE_BASE = 1 << 51
_BIG = 1 << 51
_HUGE = 1 << 256

_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_name = type.__dict__["__name__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_HEAPTYPE = 1 << 9
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_dict_get = dict.get
_list_len = list.__len__
_list_getitem = list.__getitem__
_cell_get = types.CellType.cell_contents.__get__ if hasattr(types, "CellType") else None
_obj_dict_descr = type(object.__dict__["__class__"])   # getset_descriptor
_member_descr = type(types.FunctionType.__dict__["__globals__"])   # member_descriptor

_SCALARS = (int, float, complex, bool, type(None), str, bytes)
_CONTAINERS = (tuple, list, dict, set, frozenset)


def type_name(t):
    try:
        return _type_name(t)
    except Exception:
        return "?"


# --------------------------------------------------------------------------
# Values


_value_blobs = {}    # summary text -> blob id (bounded)


def _text(v, depth):
    t = type(v)
    if t is str or t is bytes:
        return repr(v[:60]) + ("..." if len(v) > 60 else "")
    if t is int:
        return repr(v) if -_HUGE < v < _HUGE else "<int %d bits>" % v.bit_length()
    if t in (float, complex, bool) or v is None:
        return repr(v)
    if t in _CONTAINERS:
        if depth >= 2:
            return "<%s of %d>" % (_type_name(t), len(v))
        if t is dict:
            items = ["%s: %s" % (_text(k, depth + 1), _text(x, depth + 1))
                     for k, x in _first(dict.items(v), 6)]
            body = ", ".join(items) + (", ..." if len(v) > 6 else "")
            return "{" + body + "}"
        parts = [_text(x, depth + 1) for x in _first(v, 6)]
        body = ", ".join(parts) + (", ..." if len(v) > 6 else "")
        if t is tuple:
            return "(" + body + ("," if len(v) == 1 else "") + ")"
        if t is list:
            return "[" + body + "]"
        if not v:
            return _type_name(t) + "()"
        return ("{" + body + "}") if t is set else "frozenset({" + body + "})"
    return "<%s>" % type_name(t)


def _first(iterable, n):
    out = []
    for x in iterable:
        if len(out) == n:
            break
        out.append(x)
    return out


def summary(v):
    """The `a` field for a value read or written."""
    if type(v) is int and -_INLINE < v < _INLINE:
        return -(_INLINE_BASE + v)
    try:
        text = _text(v, 0)
    except Exception:   # a container changed size while we looked
        text = "<%s>" % type_name(type(v))
    if len(text) > 80:
        text = text[:77] + "..."
    bid = _value_blobs.get(text)
    if bid is None:
        if len(_value_blobs) >= 4096:
            _value_blobs.clear()
        bid = _value_blobs[text] = writer.blob(text)
    return bid


# --------------------------------------------------------------------------
# Values that are not data: never recorded

_SYNC_MODULES = frozenset((
    "threading", "_thread", "queue", "_queue", "multiprocessing.synchronize",
    "multiprocessing.queues", "multiprocessing.managers", "multiprocessing.pool",
    "concurrent.futures._base", "concurrent.futures.thread", "concurrent.futures.process",
    "asyncio.locks", "asyncio.queues", "asyncio.events", "asyncio.tasks", "asyncio.futures",
    "_asyncio", "weakref", "_weakref", "_weakrefset",
))
_CODE_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
               types.ModuleType, types.BuiltinMethodType, types.CodeType, staticmethod,
               classmethod, property, types.GeneratorType, types.CoroutineType)
_not_data = {}   # id(type) -> (type, bool)


def is_data(v):
    """False for what is read to call or synchronise, not as data: functions,
    classes, modules, locks, queues, events, threads, the tracer's own
    objects.  Such reads and writes are not recorded."""
    t = type(v)
    known = _not_data.get(id(t))
    if known is not None:
        return not known[1]
    skip = False
    try:
        if issubclass(t, _CODE_TYPES):
            skip = True
        else:
            for k in _type_mro(t):
                mod = _type_module(k)
                if type(mod) is str and (mod in _SYNC_MODULES or mod.startswith("concurrency_trace")):
                    skip = True
                    break
    except Exception:
        skip = True
    _not_data[id(t)] = (t, skip)
    return not skip


# --------------------------------------------------------------------------
# Keys and parts

_key_parts = {}   # repr text -> part (bounded)


def _key_text(key, depth=0):
    """repr of a key of builtin types only (None otherwise)."""
    t = type(key)
    if t in (str, bytes, int, float, bool) or key is None:
        return repr(key)
    if t is tuple and depth < 3:
        parts = [_key_text(x, depth + 1) for x in key]
        if None in parts:
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if t is frozenset and depth < 3:
        parts = [_key_text(x, depth + 1) for x in key]
        if None in parts:
            return None
        return "frozenset({" + ", ".join(sorted(parts)) + "})"
    return None


def item_part(key):
    """Part of a dict item: odd 2*k+1 for an int key, else 2 * blob of the
    key's repr ("'apple'", "(1, 2)"; a long one ends with a hash so two keys
    never share a part); None when the key is not of builtin types."""
    t = type(key)
    if t is int or t is bool:
        key = int(key)
        return (key << 1) | 1 if -_BIG < key < _BIG else _text_part(repr(key), key)
    text = _key_text(key)
    if text is None:
        return None
    return _text_part(text, key)


def _text_part(text, key):
    p = _key_parts.get(text)
    if p is None:
        label = text
        if len(label) > 80:
            label = "%s...#%08x" % (label[:60], hash(key) & 0xFFFFFFFF)
        if len(_key_parts) >= 4096:
            _key_parts.clear()
        # setdefault: two threads that both missed agree on the first one.
        p = _key_parts.setdefault(text, writer.blob(label) << 1)
    return p


# --------------------------------------------------------------------------
# Attributes


class ClassInfo(object):
    """How instances of one class can be read safely (cached per class)."""
    __slots__ = ("cls", "readable", "writable", "dict_of", "slots", "class_attrs")

    def __init__(self, cls):
        self.cls = cls
        self.readable = False
        self.writable = False
        self.dict_of = None     # the getset descriptor giving the instance dict
        self.slots = {}         # slot name -> member descriptor
        self.class_attrs = None


_classes = {}   # id(type) -> ClassInfo (holds the class)
_user_module_check = None   # set by py_state: module name -> bool (defined in the user's files)


def class_info(cls):
    info = _classes.get(id(cls))
    if info is not None:
        return info
    info = ClassInfo(cls)
    try:
        _fill(info, cls)
    except Exception:
        info.readable = info.writable = False
    _classes[id(cls)] = info
    return info


def _fill(info, cls):
    if type(cls) is not type or not (_type_flags(cls) & _HEAPTYPE):
        return   # builtin types and classes with a metaclass: not read
    mod = _type_module(cls)
    if type(mod) is not str or _user_module_check is None or not _user_module_check(mod):
        return   # classes of libraries: their attributes are theirs
    mro = _type_mro(cls)
    getattribute = getattr_hook = setattr_hook = False
    for k in mro:
        d = _type_dict(k)
        if k is object:
            break
        if "__getattribute__" in d:
            getattribute = True
        if "__getattr__" in d:
            getattr_hook = True
        if "__setattr__" in d or "__delattr__" in d:
            setattr_hook = True
        for name, v in d.items():
            if type(v) is _member_descr and name not in info.slots:
                info.slots[name] = v
        descr = d.get("__dict__")
        if info.dict_of is None and type(descr) is _obj_dict_descr:
            info.dict_of = descr
    for k in _type_mro(cls):
        if "_local__impl" in _type_dict(k) or _type_module(k) in ("_thread", "_threading_local"):
            return   # threading.local: every thread has its own attributes
        mod = _type_module(k)
        if type(mod) is str and (mod in _SYNC_MODULES or mod.startswith("concurrency_trace")):
            if k is not cls and mod in ("threading",) and _type_name(k) == "Thread":
                continue   # a user's Thread subclass keeps its own data attributes
            return
    info.readable = not getattribute and not getattr_hook
    info.writable = info.readable and not setattr_hook


def _class_lookup(cls, name):
    for k in _type_mro(cls):
        v = _type_dict(k).get(name, _MISSING)
        if v is not _MISSING:
            return v
    return _MISSING


def attr_value(obj, name, info):
    """obj.name as the interpreter would find it for a plain attribute, or
    _MISSING (a property / descriptor of the class, or not there)."""
    cls = info.cls
    on_class = _class_lookup(cls, name)
    if on_class is not _MISSING:
        t = type(on_class)
        if t is _member_descr:
            try:
                return on_class.__get__(obj, cls)
            except AttributeError:
                return _MISSING
        if _is_descriptor(t):
            return _MISSING    # a property or method: reading it runs the class's code
    if info.dict_of is not None:
        d = info.dict_of.__get__(obj, cls)
        if type(d) is dict:
            v = _dict_get(d, name, _MISSING)
            if v is not _MISSING:
                return v
    return on_class


_descr_types = {}   # id(type) -> (type, bool)


def _is_descriptor(t):
    known = _descr_types.get(id(t))
    if known is None:
        has = False
        try:
            for k in _type_mro(t):
                d = _type_dict(k)
                if "__get__" in d or "__set__" in d or "__delete__" in d:
                    has = True
                    break
        except Exception:
            has = True
        known = _descr_types[id(t)] = (t, has)
    return known[1]


def class_attr_value(cls, name):
    """cls.name for a class with no metaclass, when it is a plain value."""
    v = _class_lookup(cls, name)
    if v is _MISSING or _is_descriptor(type(v)):
        return _MISSING
    return v


def module_dict(mod):
    return _module_dict(mod)


# --------------------------------------------------------------------------
# Items

_container_kinds = {}   # id(type) -> (type, kind): 1 list, 2 dict, 0 not read


def container_kind(t):
    """1 for a list, 2 for a dict (or a subclass that keeps their item
    access), 0 otherwise."""
    known = _container_kinds.get(id(t))
    if known is not None:
        return known[1]
    kind = 0
    try:
        if t is list:
            kind = 1
        elif t is dict:
            kind = 2
        elif issubclass(t, (list, dict)):
            base = list if issubclass(t, list) else dict
            kind = 1 if base is list else 2
            for k in _type_mro(t):
                if k is base:
                    break
                d = _type_dict(k)
                # __missing__ (defaultdict, Counter) is fine: items are read with dict.get.
                if "__getitem__" in d or "__setitem__" in d or "__contains__" in d:
                    if _type_flags(k) & _HEAPTYPE:
                        kind = 0   # a Python class of the user or a library decides what d[k] is
                        break
    except Exception:
        kind = 0
    _container_kinds[id(t)] = (t, kind)
    return kind


def list_index(lst, key):
    """The non-negative index lst[key] touches, or None (not an int, out of
    range: the instruction raises)."""
    if type(key) is bool:
        key = int(key)
    elif type(key) is not int:
        return None
    n = _list_len(lst)
    i = key + n if key < 0 else key
    return i if 0 <= i < n else None


def list_item(lst, i):
    try:
        return _list_getitem(lst, i)
    except IndexError:
        return _MISSING


def dict_item(d, key):
    return _dict_get(d, key, _MISSING)


def cell_value(cell):
    try:
        return _cell_get(cell)
    except ValueError:
        return _MISSING


def reset_after_fork():
    """Blob ids are per process file."""
    _value_blobs.clear()
    _key_parts.clear()
