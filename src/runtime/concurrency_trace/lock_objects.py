"""Which synchronisation objects are traced, and their OBJECT records.

Only objects the user's code creates are traced; the decision is made once,
at creation, from the creating frame.  The OBJECT record names the type and
the variable the creating line assigns to (its label)."""
import sys
import types

from . import names, safe_values, safety, writer
from .events import OBJECT
from .lock_records import is_user, site_for, user_frame

failed = safety.failed
_FunctionType = types.FunctionType

_w = writer
_getframe = sys._getframe

_TAG = 1 << 59                  # derived (cross-process) ids: bit 59 + 56 hash bits
_MASK56 = (1 << 56) - 1


def init_codes(*funcs):
    """The ids of the functions' code objects (a constructor chain to skip)."""
    return {id(getattr(fn, "__code__", None)) for fn in funcs}


def creator_frame(f, skip):
    """The frame that constructed an object: f, or outside the constructor
    chain whose codes are in `skip` (ids)."""
    while f is not None and id(f.f_code) in skip:
        f = f.f_back
    return f


def decide(skip):
    """Called by a constructor: the user's creating frame, or None for
    objects the stdlib creates."""
    try:
        if not _w.enabled:
            return None
        f = creator_frame(_getframe(2), skip)
        return f if f is not None and is_user(f) else None
    except Exception:
        failed()
        return None


def caller_is_user(depth):
    """Whether the code `depth` frames above the caller is the user's."""
    try:
        if not _w.enabled:
            return None
        f = _getframe(depth + 1)
        return f if is_user(f) else None
    except Exception:
        failed()
        return None


_owners = {}        # id(code) -> (code, class name or "")


def label(f):
    """The name the creating statement gives the object (names.py):
    `name = ...` -> "name", `a, b = X(), X()` -> "a" / "b",
    `self.lock = ...` -> "Class.lock" (the class whose method made it),
    `locks = [X() for ...]` -> "locks[…]"; "" if none."""
    if f is None:
        return ""
    try:
        name = names.assigned_name(f)
        if name.startswith("self.") and "." not in name[5:]:
            owner = _owner_class(f)
            if owner:
                name = owner + name[4:]
        return name
    except Exception:
        failed()
        return ""


def _owner_class(f):
    """Name of the class whose method runs in frame f, from the code object
    (3.11+: its qualified name) or the module's classes that hold it;
    never from the object itself."""
    code = f.f_code
    hit = _owners.get(id(code))
    if hit is not None and hit[0] is code:
        return hit[1]
    owner = ""
    qual = getattr(code, "co_qualname", None)
    if qual is not None:
        parts = qual.split(".")
        if len(parts) >= 2 and parts[-2] != "<locals>":
            owner = parts[-2]
    else:
        for value in list(f.f_globals.values()):
            if type(value) is type or safe_values.is_subclass(type(value), type):
                d = safe_values.class_dict(value)
                if d is not None and any(getattr(fn, "__code__", None) is code
                                         for fn in d.values() if type(fn) is _FunctionType):
                    owner = safe_values.name_of(value)
                    break
    if len(_owners) > 10000:
        _owners.clear()
    _owners[id(code)] = (code, owner)
    return owner


def record_object(obj, type_name, f, name=None):
    """OBJECT record for obj, created by the code running in frame f."""
    uf = user_frame(f)
    if name is None:
        name = label(uf)
    _w.point(OBJECT, obj, site_for(uf) if uf is not None else 0,
             _w.intern(type_name), _w.intern(name))


def stable_id(text):
    """An object id that every process derives from the same text."""
    import zlib
    data = text.encode("utf-8", "backslashreplace")
    h = (zlib.crc32(data) << 32) | zlib.crc32(data[::-1], 0x2545F491)
    return _TAG | (h & _MASK56)
