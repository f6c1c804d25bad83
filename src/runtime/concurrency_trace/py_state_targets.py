"""The general path of py_state's access step: what an instruction
touches (a module global, a closure cell, an attribute, a list or dict
item), read from the user's frame without running user code
(py_state_values, py_state_paths), its object id, its budget
(py_state_budget) and its record; a write is remembered per thread in
budget.pending and recorded at the next instruction (finish), when the value
written can be read.  Globals holding ints take the inline path of
py_state_access.step instead."""
import _thread
import time
import types

from . import events, writer
from . import py_state_budget as budget
from . import py_state_cells as cells
from . import py_state_ids as ids
from . import py_state_paths as paths
from . import py_state_values as values
from .py_state_bytecode import ATTR, CONTAINS, DEREF, GLOBAL, NAME, READ, WRITE

_MISSING = values._MISSING
_w = writer
_pack = writer._pack
_mono = time.monotonic_ns
_ident = _thread.get_ident
_READ = events.SHARED_READ
_WRITE = events.SHARED_WRITE
_dict_get = dict.get
_ModuleType = types.ModuleType
_budget = budget.budget
_over = budget.over
_pending = budget.pending


def reset():
    _name_parts.clear()
    _user_modules.clear()


def globals_oid(g, site):
    oid = ids.known(g)
    if not oid:
        name = _dict_get(g, "__name__")
        oid = ids.new(g, "Python.globals", name if type(name) is str else "?", site)
    return oid


def _object_oid(obj, expr, site, type_name):
    oid = ids.known(obj)
    if oid:
        return oid
    if expr is None:
        label = "?"
    elif expr[0] == "L" and expr[1] in ("self", "cls"):
        t = obj if type(obj) is type else type(obj)
        label = values.type_name(t) + (" class" if type(obj) is type else " object")
    else:
        label = paths.render(expr)
    return ids.new(obj, type_name, label, site)


def access(frame, info, e, a, now):
    """Record the access of instruction e (not an int global: see step); True
    to switch it off, SATURATED when over budget, else False."""
    op = a.op
    ident = _ident()
    if op == GLOBAL or op == NAME:
        g = frame.f_globals
        if op == NAME:
            if info.module_level is None:
                info.module_level = frame.f_locals is g
            if not info.module_level:
                e.dead = True
                return True
        name = a.name
        if a.kind == READ:
            v = _dict_get(g, name, _MISSING)
            if v is _MISSING or not values.is_data(v):
                e.dead = True   # a builtin, a function, class, module, lock...
                return True
            oid = globals_oid(g, e.site)
            part = e.part or name_part(e, name)
            if not _budget(e, oid, part, ident, now):
                return _over(e, now)
            _emit(_READ, ident, oid, e.site, values.summary(v), part)
            return False
        oid = globals_oid(g, e.site)
        part = e.part or name_part(e, name)
        if not _budget(e, oid, part, ident, now):
            return _over(e, now)
        _pending[ident] = (frame, a.post, e, oid, part, e.site, "d", g, name)
        return False
    if op == DEREF:
        cell = cells.cell_for(frame, info, a.name)
        if cell is None:
            return False
        oid = ids.known(cell) or ids.new(cell, "Python.cell", a.name, e.site)
        part = e.part or name_part(e, a.name)
        if a.kind == READ:
            v = values.cell_value(cell)
            if v is _MISSING or not values.is_data(v):
                return _nondata(e)
            if not _budget(e, oid, part, ident, now):
                return _over(e, now)
            _emit(_READ, ident, oid, e.site, values.summary(v), part)
            return False
        if not _budget(e, oid, part, ident, now):
            return _over(e, now)
        _pending[ident] = (frame, a.post, e, oid, part, e.site, "c", cell, None)
        return False
    owner = paths.evaluate(frame, a.owner)
    if owner is _MISSING:
        return False
    if op == ATTR:
        return _attribute(frame, e, a, owner, ident, now)
    key = paths.evaluate(frame, a.key)
    if key is _MISSING:
        return False
    return _subscript(frame, e, a, owner, key, ident, now)


def _nondata(e):
    e.nondata += 1
    if e.nondata >= 4 and not e.counts and not e.fresh:
        e.dead = True
        return True
    return False


def _attribute(frame, e, a, owner, ident, now):
    t = type(owner)
    name = a.name
    if t is _ModuleType:
        g = values.module_dict(owner)
        if not _user_module(g):
            return _nondata(e)
        oid = globals_oid(g, e.site)
        how, target = "d", g
    elif t is type:
        info = values.class_info(owner)
        if not info.readable:
            return _nondata(e)
        if a.kind == WRITE and not info.writable:
            return False
        oid = _object_oid(owner, a.owner, e.site, "Python.object")
        how, target = "k", owner
    else:
        info = values.class_info(t)
        if not info.readable:
            return _nondata(e)
        if a.kind == WRITE:
            if not info.writable or not _plain_attr(info, name):
                return False
        oid = _object_oid(owner, a.owner, e.site, "Python.object")
        how, target = "o", owner
    part = e.part or name_part(e, name)
    if a.kind == READ:
        v = _read(how, target, name)
        if v is _MISSING or not values.is_data(v):
            return _nondata(e)
        if not _budget(e, oid, part, ident, now):
            return _over(e, now)
        _emit(_READ, ident, oid, e.site, values.summary(v), part)
        return False
    if not _budget(e, oid, part, ident, now):
        return _over(e, now)
    _pending[ident] = (frame, a.post, e, oid, part, e.site, how, target, name)
    return False


def _plain_attr(info, name):
    on_class = values._class_lookup(info.cls, name)
    return on_class is _MISSING or not values._is_descriptor(type(on_class)) or \
        type(on_class) is values._member_descr


def _subscript(frame, e, a, container, key, ident, now):
    kind = values.container_kind(type(container))
    if kind == 1:
        if a.op == CONTAINS:
            return _nondata(e)
        i = values.list_index(container, key)
        if i is None:
            return False
        # del lst[i] moves every item after i: a write of the whole list.
        part = 0 if a.name == "del" else (i << 1) | 1
        how = "l"
        type_name = "Python.list"
    elif kind == 2:
        part = values.item_part(key)
        if part is None:
            return False
        how = "m"
        type_name = "Python.dict"
    else:
        return _nondata(e)
    oid = _object_oid(container, a.owner, e.site, type_name)
    if a.kind == READ:
        v = values.list_item(container, i) if how == "l" else values.dict_item(container, key)
        if v is not _MISSING and not values.is_data(v):
            return _nondata(e)
        if not _budget(e, oid, part, ident, now):
            return _over(e, now)
        _emit(_READ, ident, oid, e.site, 0 if v is _MISSING else values.summary(v), part)
        return False
    if not _budget(e, oid, part, ident, now):
        return _over(e, now)
    if how == "l" and a.name == "del":
        how, i = "-", None     # the value written: none
    _pending[ident] = (frame, a.post, e, oid, part, e.site, how, container, i if how == "l" else key)
    return False


def _read(how, target, name):
    if how == "d":
        return _dict_get(target, name, _MISSING)
    if how == "o":
        return values.attr_value(target, name, values.class_info(type(target)))
    if how == "k":
        return values.class_attr_value(target, name)
    if how == "c":
        return values.cell_value(target)
    if how == "l":
        return values.list_item(target, name)
    if how == "m":
        return values.dict_item(target, name)
    return _MISSING


def finish(p, now, ident):
    """The instruction after a write: record the value now in place (0 when
    the write deleted it)."""
    v = _read(p[6], p[7], p[8])
    if v is not _MISSING and not values.is_data(v):
        return
    _emit(_WRITE, ident, p[3], p[5], 0 if v is _MISSING else values.summary(v), p[4])


_name_parts = {}    # name -> part: one blob per name, whichever thread asks first


def name_part(e, name):
    part = _name_parts.get(name)
    if part is None:
        # setdefault: two threads that both missed agree on the first one.
        part = _name_parts.setdefault(name, writer.blob(name) << 1)
    e.part = part
    return part


def _emit(kind, ident, oid, site, a, part):
    """The record, timed now: after the value was read, as close to the
    instruction as we get (the GIL may pass to another thread while this
    callback runs; a time taken earlier could order this access before a
    write whose value it shows)."""
    if not _w.enabled:
        return
    off = _w._next_slot() << 6
    _pack(_w._mm if off < _w._cap else _w._grow(off), off, kind, _mono(), ident, oid, site, 0, a, part)


_user_modules = {}   # id(globals) -> (globals, bool)
is_user_globals = None   # set by py_state


def _user_module(g):
    known = _user_modules.get(id(g))
    if known is None:
        known = _user_modules[id(g)] = (g, bool(is_user_globals and is_user_globals(g)))
    return known[1]

