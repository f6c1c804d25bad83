"""Describing the program's values without running any of its code.

The tracer must never call a method the program did not call: a user's
__repr__ / __str__ / __getattr__ / __eq__ / __hash__ / __len__ may take a
lock the caller holds, have side effects, or be slow.  So a value is shown
only when its type is exactly a builtin one whose text CPython computes
itself (int, float, complex, bool, None, str, bytes, and tuples, lists,
dicts and sets of those, truncated); anything else is "<TypeName>", the
type's qualified name read from the type object itself (a metaclass's
__getattribute__ or a __qualname__ descriptor is never consulted).
Callables are named the same way.
"""
import functools
import itertools
import types

from .safety import failed

_type_qualname = type.__dict__["__qualname__"].__get__
_type_name = type.__dict__["__name__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_func_qualname = types.FunctionType.__dict__["__qualname__"].__get__
_partial_func = functools.partial.__dict__["func"].__get__
_method_func = types.MethodType.__dict__["__func__"].__get__

SUMMARY_CHARS = 60


def qualname_of(t):
    """The qualified name of a type."""
    try:
        return _type_qualname(t)
    except Exception:
        failed()
        return "?"


def name_of(t):
    try:
        return _type_name(t)
    except Exception:
        failed()
        return "?"


def module_of(t):
    try:
        module = _type_module(t)
        return module if type(module) is str else ""
    except Exception:
        failed()
        return ""


def type_name(obj):
    """The qualified name of obj's type."""
    return qualname_of(type(obj))


def class_attr(t, name, default=None):
    """The raw value of attribute `name` as defined on class t or its bases
    (from their dicts: no descriptor is invoked), or default."""
    try:
        for base in _type_mro(t):
            d = _type_dict(base)
            if name in d:
                return d[name]
    except Exception:
        failed()
        pass
    return default


def is_subclass(t, base):
    """issubclass(t, base) for a class t, without consulting t's metaclass."""
    try:
        return base in _type_mro(t)
    except Exception:
        failed()
        return False


_NAMED_BUILTINS = (types.BuiltinFunctionType, types.MethodDescriptorType,
                   types.WrapperDescriptorType, types.MethodWrapperType,
                   types.ClassMethodDescriptorType)


def func_name(fn, depth=0):
    """The qualified name of a callable: functions, builtins, bound methods,
    functools.partial ("partial(f)"), classes; other callables by their
    type's name."""
    try:
        t = type(fn)
        if t is types.FunctionType:
            return _func_qualname(fn)
        if t in _NAMED_BUILTINS:
            name = fn.__qualname__     # C getters of builtin types
            return name if type(name) is str else "?"
        if t is types.MethodType and depth < 4:
            return func_name(_method_func(fn), depth + 1)
        if is_subclass(t, functools.partial) and depth < 4:
            return "partial(%s)" % func_name(_partial_func(fn), depth + 1)
        if is_subclass(t, type):
            return qualname_of(fn)
        return qualname_of(t)
    except Exception:
        failed()
        return "?"


# --------------------------------------------------------------------------
# Value summaries

_SCALAR_REPR = {float: float.__repr__, complex: complex.__repr__, bool: bool.__repr__}
_BRACKETS = {tuple: "()", list: "[]", set: "{}", frozenset: "{}"}


def summary(args, kwargs=None, limit=SUMMARY_CHARS):
    """Short text of a call's arguments: "3", "'a', 2, key=5"; never raises."""
    try:
        parts = [value_text(a) for a in args]
        if kwargs:
            parts.extend("%s=%s" % (k if type(k) is str else "?", value_text(v))
                         for k, v in kwargs.items())
        text = ", ".join(parts)
    except Exception:
        failed()
        text = "?"
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def value_text(value, depth=0):
    """Text of one value (bounded in cost and length)."""
    try:
        t = type(value)
        if t is int:
            if -(1 << 63) <= value < (1 << 63):
                return int.__repr__(value)
            return "<int %d bits>" % int.bit_length(value)
        r = _SCALAR_REPR.get(t)
        if r is not None:
            return r(value)
        if value is None:
            return "None"
        if value is Ellipsis:
            return "Ellipsis"
        if t is str:
            return str.__repr__(value) if len(value) <= 40 else str.__repr__(value[:40]) + "..."
        if t is bytes:
            return bytes.__repr__(value) if len(value) <= 24 else bytes.__repr__(value[:24]) + "..."
        brackets = _BRACKETS.get(t)
        if brackets is not None or t is dict:
            if depth >= 2:
                return "{...}" if brackets is None else brackets[0] + "..." + brackets[1]
            n = len(value)      # exact builtin containers: their own C length
            if brackets is None:
                items = ["%s: %s" % (value_text(k, depth + 1), value_text(v, depth + 1))
                         for k, v in itertools.islice(dict.items(value), 3)]
                more = n > 3
                brackets = "{}"
            else:
                items = [value_text(v, depth + 1) for v in itertools.islice(value, 4)]
                more = n > 4
            if more:
                items.append("...")
            text = ", ".join(items)
            if t is tuple and n == 1:
                text += ","
            if t is set and not n:
                return "set()"
            if t is frozenset:
                return "frozenset({%s})" % text if n else "frozenset()"
            return brackets[0] + text + brackets[1]
        return "<%s>" % qualname_of(t)
    except Exception:
        failed()
        return "?"


def exception_text(exc, limit=300):
    """ "Type: message" of an exception, the message only when computing it
    runs no code of the program: the class's __str__ is BaseException's own
    and the arguments are values value_text shows as repr/str would."""
    t = type(exc)
    text = qualname_of(t)
    try:
        if class_attr(t, "__str__") is BaseException.__str__:
            args = BaseException.__dict__["args"].__get__(exc)
            if type(args) is tuple and all(_plain(a) for a in args):
                if len(args) == 1:
                    message = args[0] if type(args[0]) is str else value_text(args[0])
                elif args:
                    message = value_text(args)
                else:
                    message = ""
                if message:
                    text = "%s: %s" % (text, message)
    except Exception:
        failed()
        pass
    return text[:limit]


_PLAIN = frozenset((int, float, complex, bool, type(None), str, bytes))


def _plain(v):
    return type(v) in _PLAIN


def class_dict(t):
    """The mappingproxy of a class's own attributes (None if t is no class)."""
    try:
        return _type_dict(t)
    except Exception:
        failed()
        return None


_partial_args = functools.partial.__dict__["args"].__get__


def is_partial_of(fn, target):
    """fn is functools.partial(target, ...) (or of a partial subclass)."""
    try:
        return is_subclass(type(fn), functools.partial) and _partial_func(fn) is target
    except Exception:
        failed()
        return False


def partial_args(fn):
    """The positional arguments a functools.partial holds."""
    return _partial_args(fn)
