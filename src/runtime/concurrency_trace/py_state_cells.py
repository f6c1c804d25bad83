"""Closure cells (`nonlocal` variables): which cell object a frame's
variable lives in, the identity py_state records it under.

Python code cannot read a frame's cells, only their contents, so the cell
is found through the functions that hold it: the live functions of the
frame's code (gc.get_referrers; a variable defined in the frame: the
functions created from it).  When they share one cell, that is the one;
when several cells are possible (two closures of one code made by two
calls) the access is not recorded, so two variables are never merged.  A
MAKE_FUNCTION of the user's code invalidates what was found (bounded:
MAX_RESCANS per code, then its cells are given up).
"""
import gc
import types

from . import py_state_paths as paths
from . import py_state_values as values

_MISSING = values._MISSING
_FunctionType = types.FunctionType
_cells = {}         # id(code) -> {name: cell or None}


def cell_for(frame, info, name):
    """The cell a closure variable lives in, or None when it cannot be told
    for sure (then the access is not recorded)."""
    code = info.code
    known = _cells.get(id(code))
    if known is None:
        known = _cells[id(code)] = {}
    if known is _GIVEN_UP:
        return None
    cell = known.get(name, _MISSING)
    if cell is _MISSING:
        cell = known[name] = _find_cell(code, name)
    if cell is None:
        return None
    if name in code.co_cellvars:
        # Defined here: several live frames of this function have several
        # cells; the one whose contents this frame sees is the one.
        v = paths.local(frame, name)
        if v is not _MISSING and values.cell_value(cell) is not v:
            return None
    return cell


def _find_cell(code, name):
    """The one cell all live functions of this code (or, for a variable
    defined in it, of the functions created in it) share for `name`."""
    if name in code.co_freevars:
        index = code.co_freevars.index(name)
        codes = {id(code): (code, index)}
    else:
        codes = {}
        for c in code.co_consts:
            if type(c) is types.CodeType and name in c.co_freevars:
                codes[id(c)] = (c, c.co_freevars.index(name))
    found = {}
    for c, index in codes.values():
        for f in gc.get_referrers(c):
            if type(f) is _FunctionType and f.__code__ is c:
                closure = f.__closure__
                if closure is not None and index < len(closure):
                    found[id(closure[index])] = closure[index]
    return next(iter(found.values())) if len(found) == 1 else None


def function_made(info, made):
    """A MAKE_FUNCTION of user code is about to run: the closures of `made`
    (the code constant, None if unknown) and of the defining code may now
    hold other cells.  Bounded: a code whose closures keep being made is
    given up (its cells are not recorded)."""
    if made is None:
        _cells.clear()
        return
    for code in (made, info.code):
        n = _rescans.get(id(code), (None, 0))[1] + 1
        _rescans[id(code)] = (code, n)
        if n > MAX_RESCANS:
            _cells[id(code)] = _GIVEN_UP
        else:
            _cells.pop(id(code), None)


MAX_RESCANS = 16
_rescans = {}       # id(code) -> (code, cell lookups invalidated so far)
_GIVEN_UP = {}      # a code's cells that are not looked up any more


def reset():
    _cells.clear()
    _rescans.clear()
