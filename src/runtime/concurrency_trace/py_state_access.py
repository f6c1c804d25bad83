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
import gc
import sys
import time
import types

from . import events, sites, writer
from .guard import tracer_failed
from . import py_state_ids as ids
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
_FunctionType = types.FunctionType

_INLINE = 1 << 50           # ints written into the record (py_state_values.summary)
_INLINE_BASE = 1 << 51

FIRST = 64
ENTRY_MAX = 4096
QUIET_MIN_NS = 2000000
QUIET_NS = 10000000          # recomputed each epoch: two GIL turns
EPOCH_NS = 250000000
FRESH_NS = 2000000000       # a thread started this recently and not yet in user code may still come
UNLIMITED = False           # CONCURRENCY_TRACE_PY_STATE=all: every access is recorded
SWITCH_OFF = True           # quiet instructions are switched off for all threads (sys.monitoring)
SATURATED = 2               # step(): over budget for this thread, not switched off

_LOCALS_PROXY = sys.version_info >= (3, 13)   # frame.f_locals is a cheap view (PEP 667)


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
_started = {}       # thread ident -> when Thread.start started it
_starting = [0]     # Thread.start calls under way
_ids_table = ids._ids  # id(obj) -> [oid, keeper, held]: the fast path reads it directly
_cells = {}         # id(code) -> {name: cell or None}
infos = {}          # id(code) -> CodeInfo of every code object analysed (holds the code)
rearm = None        # set by the mechanism: rearm(codes) switches entries on again
on_epoch = None     # set by the mechanism: called at each new epoch


def reset():
    global _epoch_end
    _pending.clear()
    del _touched[:]
    del _off[:]
    _cells.clear()
    _name_parts.clear()
    _started.clear()
    _starting[0] = 0
    _rescans.clear()
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


# --------------------------------------------------------------------------
# Reading the frame


def _local(frame, name):
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
        return _local(frame, expr[1])
    if kind == "G":
        return _global(frame, expr[1])
    if kind == "C":
        return expr[1]
    if kind == "N":
        v = _local(frame, expr[1])
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
        label = render(expr)
    return ids.new(obj, type_name, label, site)


def _cell_for(frame, info, name):
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
        v = _local(frame, name)
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
        function_made(info, a.name)
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
    if _others_may_come(e, now):
        e.retry = now + QUIET_NS
        return SATURATED
    e.enabled = False
    _off.append(e)
    info = e.info
    info.quiet_for = set(e.full) if info.quiet_for is None else info.quiet_for & e.full
    return True


def newcomer(info, ident):
    """A thread starts a call of code with instructions switched off: if it
    is not one of those over budget there, switch them on again (True; the
    mechanism re-arms the code) so that it makes its first accesses."""
    quiet_for = info.quiet_for
    if quiet_for is None or ident in quiet_for:
        return False
    info.quiet_for = None
    for e in info.entries.values():
        if not e.enabled:
            e.enabled = True
            e.retry = 0
    return True


def _others_may_come(e, now):
    """A thread other than those over budget here that runs this code now,
    or that started lately and has not reached the user's code yet (on a
    loaded machine a thread can wait long for its first turn)."""
    if _starting[0]:
        return True    # a Thread.start is under way: that thread has no frame to see yet
    code = e.code
    full = e.full
    for ident, f in sys._current_frames().items():
        if ident in full:
            continue
        user = False
        while f is not None:
            c = f.f_code
            if c is code:
                return True
            if id(c) in infos:
                user = True
            f = f.f_back
        if not user:
            # Not in the user's code yet: a thread Thread.start started lately
            # (or one not known yet: the starting thread may not have noted
            # it before this one's turn came) may still come here.
            t0 = _started.get(ident)
            if t0 is None or now - t0 < FRESH_NS:
                return True
    return False


def thread_starting():
    _starting[0] += 1


def thread_started(ident):
    _starting[0] -= 1
    if ident:
        _started[ident] = _mono()
        if len(_started) > 4096:
            _started.clear()


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
        cell = _cell_for(frame, info, a.name)
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
    owner = evaluate(frame, a.owner)
    if owner is _MISSING:
        return False
    if op == ATTR:
        return _attribute(frame, e, a, owner, ident, now)
    key = evaluate(frame, a.key)
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
