"""One access of Python state by user code: the step.

Called by the mechanism (py_state_monitoring on 3.12+, py_state_settrace on
3.8-3.11) just before an instruction with an Access (py_state_bytecode) runs,
with the user's frame.  A read is recorded there (the value it is about to
read); a write is remembered per thread and recorded at the next instruction,
when the value written can be read.  The budget: py_state_budget; the
instructions: py_state_entries; the general path by kind of target:
py_state_targets.  Globals holding ints, the counter of every tutorial, take
a path of their own written out here.
"""
import _thread
import time

from . import events, sites, writer
from . import py_state_budget as budget
from . import py_state_cells as cells
from . import py_state_entries as entries
from . import py_state_ids as ids
from . import py_state_targets as targets
from . import py_state_values as values
from .py_state_budget import ENTRY_MAX, FIRST, SATURATED
from .py_state_bytecode import GLOBAL, MAKE, READ

_MISSING = values._MISSING
_w = writer
_pack = writer._pack
_mono = time.monotonic_ns
_ident = _thread.get_ident
_READ = events.SHARED_READ
_WRITE = events.SHARED_WRITE
_dict_get = dict.get
_b = budget
_pending = budget.pending
_touched = budget.touched
_over = budget.over
_finish = targets.finish
_access = targets.access

_INLINE = 1 << 50           # ints written into the record (py_state_values.summary)
_INLINE_BASE = 1 << 51

_ids_table = ids._ids  # id(obj) -> [oid, keeper, held]: the fast path reads it directly
new_epoch = budget.new_epoch


def reset():
    """After fork: the child's own ids, blobs and budgets."""
    budget.reset()
    cells.reset()
    targets.reset()
    entries.reset()
    ids.reset()
    values.reset_after_fork()


def forget_thread(ident):
    budget.forget_thread(ident)


def step(frame, info, e, off):
    """Record what the instruction at `off` is about to do.  Returns True
    when the instruction should not report again (until the next epoch),
    SATURATED when this thread is over budget there, else False.

    Globals holding ints (the counter of every tutorial) take a path with
    the budget, the value and the record written out inline: each function
    call here costs about as much as the record itself."""
    now = _mono()
    if now >= _b.epoch_end:
        _b.start_epoch(now)
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
            if not _b.UNLIMITED:
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
