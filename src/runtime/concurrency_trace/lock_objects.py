"""Which synchronisation objects are traced, and their OBJECT records.

Only objects the user's code creates are traced; the decision is made once,
at creation, from the creating frame.  The OBJECT record names the type and
the variable the creating line assigns to (its label)."""
import sys

from . import writer
from .events import OBJECT
from .lock_records import debug, is_user, site_for, user_frame

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
        debug()
        return None


def caller_is_user(depth):
    """Whether the code `depth` frames above the caller is the user's."""
    try:
        if not _w.enabled:
            return None
        f = _getframe(depth + 1)
        return f if is_user(f) else None
    except Exception:
        debug()
        return None


_labels = {}        # (file, line, qualname) -> label


def label(f):
    """The name the creating line assigns to: `name = ...` -> "name",
    `self.lock = ...` -> "Class.lock"; "" if none."""
    if f is None:
        return ""
    code = f.f_code
    key = (code.co_filename, f.f_lineno, getattr(code, "co_qualname", code.co_name))
    name = _labels.get(key)
    if name is None:
        name = ""
        try:
            import linecache
            import re
            line = linecache.getline(key[0], key[1])
            m = re.match(r"\s*([A-Za-z_][\w.]*(?:\[[^\]=]*\])?)\s*(?::[^=]*)?=(?!=)", line)
            if m:
                name = m.group(1)
                if name.startswith("self.") and "." not in name[5:]:
                    qual = getattr(code, "co_qualname", "")
                    owner = qual.rsplit(".", 1)[0] if "." in qual else ""
                    if not owner or "<locals>" in owner:
                        me = f.f_locals.get("self")
                        owner = type(me).__name__ if me is not None else ""
                    else:
                        owner = owner.rsplit(".", 1)[-1]
                    if owner:
                        name = owner + name[4:]
        except Exception:
            debug()
            name = ""
        _labels[key] = name
    return name


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
