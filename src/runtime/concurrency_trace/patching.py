"""Replacing a stdlib function, method or class so that nothing but the
tracing differs: name, qualified name, module, docstring, inspect.signature
(through __wrapped__), the messages of argument errors (3.8-3.9 take them
from the code object's name, 3.10+ from __qualname__), and pickling by
reference (pickle looks the object up again as module.qualname and insists
on finding the very same object: a replacement is installed there too, e.g.
os._exit is posix._exit)."""
import sys

_HAS_QUALNAME = hasattr((lambda: 0).__code__, "co_qualname")


def copy_identity(fn, orig):
    """Make fn look like orig; returns fn."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(fn, attr, getattr(orig, attr))
        except (AttributeError, TypeError):
            pass
    fn.__wrapped__ = orig
    fn._ct_wrapped = True
    code = getattr(fn, "__code__", None)
    name = getattr(orig, "__name__", None)
    if code is not None and type(name) is str:
        try:
            if _HAS_QUALNAME:
                fn.__code__ = code.replace(co_name=name, co_qualname=fn.__qualname__)
            else:
                fn.__code__ = code.replace(co_name=name)
        except Exception:
            pass
    return fn


def wrap(cls, name, make):
    """cls.name = make(original), looking like the original; returns the
    original (as found in cls's own dict)."""
    orig = cls.__dict__[name]
    fn = copy_identity(make(orig), orig)
    setattr(cls, name, fn)
    return orig


def is_wrapped(obj):
    return getattr(obj, "_ct_wrapped", False) is True


def replace_global(module, name, new):
    """module.name = new, and the same where pickle looks the original up
    (its __module__ and __qualname__), if that is where it lives."""
    orig = getattr(module, name)
    setattr(module, name, new)
    home = sys.modules.get(getattr(orig, "__module__", None) or "")
    qualname = getattr(orig, "__qualname__", None)
    if (home is not None and home is not module and type(qualname) is str and "." not in qualname
            and home.__dict__.get(qualname) is orig):
        setattr(home, qualname, new)
    return orig
