"""One access of Python state by user code: what it touched, and its record.

Called by the mechanism (py_state_monitoring on 3.12+, py_state_settrace on
3.8-3.11) just before an instruction with an Access (py_state_bytecode) runs,
with the user's frame.  A read is recorded there (the value it is about to
read); a write is remembered per thread and recorded at the next instruction,
when the value written can be read.

Budget, so a hot loop costs a bounded number of records: per instruction,
container, variable and thread, the first FIRST accesses of every epoch
(EPOCH_NS) are recorded, at most ENTRY_MAX per instruction and epoch.  An
instruction whose accesses have all been over budget for QUIET_NS is
switched off (step returns True) until the next epoch switches it on again.
Every access of a variable by a new thread is in budget, so the pair a race
needs (one access per thread) is always there; whatever is left out can
only hide a race, never make one up (happens-before comes from the
synchronisation records, which are all kept).
"""
import _thread
import sys
import time
import types

from . import events, sites, writer
from .guard import tracer_failed
from . import py_state_arrivals as arrivals
from . import py_state_cells as cells
from . import py_state_ids as ids
from . import py_state_paths as paths
from . import py_state_values as values
from .py_state_bytecode import ATTR, CONTAINS, DEREF, GLOBAL, ITEM, MAKE, NAME, READ, WRITE, analyse

_MISSING = values._MISSING
_w = writer
_pack = writer._pack
_mono = time.monotonic_ns
_ident = _thread.get_ident
_READ = events.SHARED_READ
_WRITE = events.SHARED_WRITE
_dict_get = dict.get
_ModuleType = types.ModuleType

_INLINE = 1 << 50           # ints written into the record (py_state_values.summary)
_INLINE_BASE = 1 << 51

FIRST = 64
ENTRY_MAX = 4096
QUIET_MIN_NS = 2000000
QUIET_NS = 10000000          # recomputed each epoch: two GIL turns
EPOCH_NS = 250000000
UNLIMITED = False           # CONCURRENCY_TRACE_PY_STATE=all: every access is recorded
SWITCH_OFF = True           # quiet instructions are switched off for all threads (sys.monitoring)
SATURATED = 2               # step(): over budget for this thread, not switched off



class Entry(object):
    """Per instruction: its Access, budget and on/off state."""
    __slots__ = ("access", "post_of", "site", "part", "counts", "n", "fresh", "enabled",
                 "dead", "nondata", "code", "full", "retry", "info")

    def __init__(self, access, code, info):
        self.access = access
        self.post_of = None     # writes whose value is read here
        self.site = 0
        self.part = 0
        self.counts = {}
        self.n = 0
        self.fresh = 0          # last time it recorded
        self.enabled = True
        self.dead = False       # never an access worth recording (a builtin, a function...)
        self.nondata = 0
        self.code = code
        self.full = set()       # threads over budget here this epoch
        self.retry = 0          # when to look again whether to switch it off
        self.info = info


class CodeInfo(object):
    __slots__ = ("code", "entries", "module_level", "quiet_for")

    def __init__(self, code):
        self.code = code
        self.entries = {}
        self.module_level = None    # LOAD_NAME / STORE_NAME: module code (True) or a class body
        self.quiet_for = None       # while instructions are off: the threads over budget at all of them


def code_info(code):
    """The CodeInfo of a code object, analysed on first use."""
    info = infos.get(id(code))
    if info is not None:
        return info
    info = CodeInfo(code)
    shared = {}   # EXTENDED_ARG prefixes map to their instruction's entry
    for off, access in analyse(code).items():
        e = shared.get(id(access))
        if e is None:
            e = shared[id(access)] = Entry(access, code, info)
        info.entries[off] = e
    for e in list(shared.values()):
        access = e.access
        if access.kind == WRITE and access.post >= 0:
            post = info.entries.get(access.post)
            if post is None:
                post = info.entries[access.post] = Entry(None, code, info)
            post.post_of = (post.post_of or ()) + (e,)
    infos[id(code)] = info
    return info


# --------------------------------------------------------------------------
# State (per process)

_pending = {}       # thread ident -> (frame, post offset, entry, oid, part, site, how, target, key)
_touched = []       # entries with counts this epoch
_off = []           # entries switched off this epoch
_epoch_end = 0
_ids_table = ids._ids  # id(obj) -> [oid, keeper, held]: the fast path reads it directly
infos = {}          # id(code) -> CodeInfo of every code object analysed (holds the code)
rearm = None        # set by the mechanism: rearm(codes) switches entries on again
on_epoch = None     # set by the mechanism: called at each new epoch


def reset():
    global _epoch_end
    _pending.clear()
    del _touched[:]
    del _off[:]
    cells.reset()
    _name_parts.clear()
    arrivals.reset()
    _user_modules.clear()
    _epoch_end = 0
    for info in infos.values():
        for e in info.entries.values():
            e.site = e.part = e.n = e.fresh = e.nondata = e.retry = 0
            e.counts.clear()
            e.full.clear()
            e.enabled = True
        info.quiet_for = None
    ids.reset()
    values.reset_after_fork()


def new_epoch():
    """Now, from Thread.start: instructions switched off must report again
    before the new thread runs (nothing else would call us to do it)."""
    try:
        _new_epoch(_mono())
    except Exception:
        tracer_failed()


def _new_epoch(now):
    global _epoch_end, QUIET_NS
    _epoch_end = now + EPOCH_NS
    # An instruction is switched off once nothing was recorded there for two
    # GIL turns and no other thread may still come (_others_may_come): the
    # callbacks it costs meanwhile run inside the program's critical sections
    # too, and would make its locks look contended.
    QUIET_NS = max(QUIET_MIN_NS, int(2e9 * sys.getswitchinterval()))
    for e in _touched:
        e.counts.clear()
        e.full.clear()
        e.n = 0
        e.retry = 0
    del _touched[:]
    if _off:
        codes = {}
        for e in _off:
            e.enabled = True
            e.info.quiet_for = None
            codes[id(e.code)] = e.code
        del _off[:]
        if rearm is not None:
            rearm(list(codes.values()))
    if on_epoch is not None:
        on_epoch()
    ids.sweep()


def forget_thread(ident):
    """What is kept per thread ident this epoch (the budget counted, the
    over-budget marks, a write waiting for its value) is forgotten: called
    in a thread as it begins and as it ends.  A thread that ends before the
    next one starts often hands its ident on (CPython reuses the OS thread's),
    and the newcomer must not inherit an exhausted budget: its first
    accesses are what a race needs.  The epoch of its Thread.start does not
    cover it: the old thread may still have run between that and its end.
    Only this epoch's entries can hold the ident (new_epoch clears them)."""
    _pending.pop(ident, None)
    for e in list(_touched):
        counts = e.counts
        for key in [k for k in list(counts) if k[2] == ident]:
            counts.pop(key, None)
        e.full.discard(ident)
    for e in list(_off):
        quiet_for = e.info.quiet_for
        if quiet_for is not None:
            # Empty: a thread that starts a call of this code switches it on again (arrivals.newcomer).
            quiet_for.discard(ident)


# --------------------------------------------------------------------------
# Reading the frame


def _globals_oid(g, site):
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


# --------------------------------------------------------------------------
# The step


def step(frame, info, e, off):
    """Record what the instruction at `off` is about to do.  Returns True
    when the instruction should not report again (until the next epoch),
    SATURATED when this thread is over budget there, else False.

    Globals holding ints (the counter of every tutorial) take a path with
    the budget, the value and the record written out inline: each function
    call here costs about as much as the record itself."""
    now = _mono()
    if now >= _epoch_end:
        _new_epoch(now)
    post_of = e.post_of
    if post_of is not None:
        ident = _ident()
        p = _pending.get(ident)
        if p is not None and p[0] is frame and p[1] == off:
            del _pending[ident]
            v = _dict_get(p[7], p[8], _MISSING) if p[6] == "d" else _MISSING
            if type(v) is int and -_INLINE < v < _INLINE and _w.enabled:
                slot = _w._next_slot() << 6
                _pack(_w._mm if slot < _w._cap else _w._grow(slot), slot, _WRITE, _mono(), ident,
                      p[3], p[5], 0, -(_INLINE_BASE + v), p[4])
            else:
                _finish(p, now, ident)
    a = e.access
    if a is None or e.dead or not e.enabled:
        # Off (until the next epoch), unless a write's value is read here.
        return post_of is None or all(not w.enabled or w.dead for w in post_of)
    if a.op == GLOBAL and e.part:
        g = frame.f_globals
        known = _ids_table.get(id(g))
        if known is not None:
            oid = known[0]
            ident = _ident()
            if a.kind == READ:
                v = _dict_get(g, a.name, _MISSING)
                if type(v) is not int or not -_INLINE < v < _INLINE:
                    return _general(frame, info, e, a, now, post_of)
            if not UNLIMITED:
                key = (oid, e.part, ident)
                counts = e.counts
                n = counts.get(key, 0)
                if n >= FIRST or e.n >= ENTRY_MAX:
                    return _off_unless_post(_over(e, now, ident), post_of)
                if not counts:
                    _touched.append(e)
                counts[key] = n + 1
                e.n += 1
                e.fresh = now
            if a.kind == READ:
                if _w.enabled:
                    slot = _w._next_slot() << 6
                    _pack(_w._mm if slot < _w._cap else _w._grow(slot), slot, _READ, _mono(), ident,
                          oid, e.site, 0, -(_INLINE_BASE + v), e.part)
            else:
                _pending[ident] = (frame, a.post, e, oid, e.part, e.site, "d", g, a.name)
            return False
    if a.op == MAKE:
        cells.function_made(info, a.name)
        return False
    if not e.site:
        # depth 2: the mechanism's callback called us, the user's frame called it.
        e.site = sites.site(2)
    return _general(frame, info, e, a, now, post_of)


def _general(frame, info, e, a, now, post_of):
    return _off_unless_post(_access(frame, info, e, a, now), post_of)


def _off_unless_post(result, post_of):
    """An instruction that also reads a write's value stays on while that
    write's instruction is on."""
    if result is True and post_of is not None and not all(not w.enabled or w.dead for w in post_of):
        return SATURATED
    return result


def _budget(e, oid, part, ident, now):
    """Whether this access is recorded; counts it."""
    if UNLIMITED:
        return True
    key = (oid, part, ident)
    n = e.counts.get(key, 0)
    if n >= FIRST or e.n >= ENTRY_MAX:
        e.full.add(ident)
        return False
    if not e.counts:
        _touched.append(e)
    e.counts[key] = n + 1
    e.n += 1
    e.fresh = now
    return True


def _over(e, now, ident=None):
    """Over budget: True (switch the instruction off, for every thread) once
    nothing was recorded there for QUIET_NS and no other thread may still
    have its first accesses to make there, else SATURATED."""
    if ident is not None:
        e.full.add(ident)
    if not SWITCH_OFF or not e.enabled or now - e.fresh <= QUIET_NS or now < e.retry:
        return SATURATED
    if arrivals.others_may_come(e.code, e.full, now, infos):
        e.retry = now + QUIET_NS
        return SATURATED
    e.enabled = False
    _off.append(e)
    info = e.info
    info.quiet_for = set(e.full) if info.quiet_for is None else info.quiet_for & e.full
    return True


def _access(frame, info, e, a, now):
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
            oid = _globals_oid(g, e.site)
            part = e.part or _name_part(e, name)
            if not _budget(e, oid, part, ident, now):
                return _over(e, now)
            _emit(_READ, ident, oid, e.site, values.summary(v), part)
            return False
        oid = _globals_oid(g, e.site)
        part = e.part or _name_part(e, name)
        if not _budget(e, oid, part, ident, now):
            return _over(e, now)
        _pending[ident] = (frame, a.post, e, oid, part, e.site, "d", g, name)
        return False
    if op == DEREF:
        cell = cells.cell_for(frame, info, a.name)
        if cell is None:
            return False
        oid = ids.known(cell) or ids.new(cell, "Python.cell", a.name, e.site)
        part = e.part or _name_part(e, a.name)
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
        oid = _globals_oid(g, e.site)
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
    part = e.part or _name_part(e, name)
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


def _finish(p, now, ident):
    """The instruction after a write: record the value now in place (0 when
    the write deleted it)."""
    v = _read(p[6], p[7], p[8])
    if v is not _MISSING and not values.is_data(v):
        return
    _emit(_WRITE, ident, p[3], p[5], 0 if v is _MISSING else values.summary(v), p[4])


_name_parts = {}    # name -> part: one blob per name, whichever thread asks first


def _name_part(e, name):
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
