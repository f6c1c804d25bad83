"""Reading the object an access works on: the expressions of
py_state_bytecode (a local, a global, a cell, a constant, attribute and item
paths over those) evaluated again in the user's frame, reading only what the
program itself reads and running none of its code (py_state_values).
"""
import sys
import types

from . import py_state_values as values

_MISSING = values._MISSING
_dict_get = dict.get
_ModuleType = types.ModuleType
_LOCALS_PROXY = sys.version_info >= (3, 13)   # frame.f_locals is a cheap view (PEP 667)


def local(frame, name):
    try:
        if _LOCALS_PROXY:
            return frame.f_locals[name]
        return _dict_get(frame.f_locals, name, _MISSING)
    except Exception:
        return _MISSING


def _global(frame, name):
    v = _dict_get(frame.f_globals, name, _MISSING)
    if v is _MISSING:
        b = frame.f_builtins
        v = _dict_get(b, name, _MISSING) if type(b) is dict else _MISSING
    return v


def evaluate(frame, expr):
    """The object an expression of py_state_bytecode names, read without
    running user code; _MISSING when that cannot be done."""
    kind = expr[0]
    if kind == "L" or kind == "D":
        return local(frame, expr[1])
    if kind == "G":
        return _global(frame, expr[1])
    if kind == "C":
        return expr[1]
    if kind == "N":
        v = local(frame, expr[1])
        return _global(frame, expr[1]) if v is _MISSING else v
    owner = evaluate(frame, expr[1])
    if owner is _MISSING:
        return _MISSING
    if kind == "A":
        return _attr(owner, expr[2])
    key = evaluate(frame, expr[2])
    if key is _MISSING:
        return _MISSING
    return _item(owner, key)


def _attr(obj, name):
    t = type(obj)
    if t is _ModuleType:
        return _dict_get(values.module_dict(obj), name, _MISSING)
    if t is type:
        return values.class_attr_value(obj, name)
    info = values.class_info(t)
    return values.attr_value(obj, name, info) if info.readable else _MISSING


def _item(container, key):
    kind = values.container_kind(type(container))
    if kind == 1:
        i = values.list_index(container, key)
        return _MISSING if i is None else values.list_item(container, i)
    if kind == 2 and values.item_part(key) is not None:
        return values.dict_item(container, key)
    return _MISSING


def render(expr, cls_name=None):
    """The expression as the user wrote it, for labels: "self.accounts[i]"."""
    kind = expr[0]
    if kind in ("L", "G", "N", "D"):
        return expr[1]
    if kind == "C":
        return repr(expr[1])[:40]
    if kind == "A":
        return render(expr[1]) + "." + expr[2]
    return render(expr[1]) + "[" + render(expr[2]) + "]"


# --------------------------------------------------------------------------
# Containers
