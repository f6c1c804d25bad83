"""The budget of py_state's records, so a hot loop costs a bounded number
of them: per instruction, container, variable and thread, the first FIRST
accesses of every epoch (EPOCH_NS) are recorded, at most ENTRY_MAX per
instruction and epoch.  An instruction whose accesses have all been over
budget for QUIET_NS is switched off (for every thread, sys.monitoring)
until the next epoch switches it on again.  Every access of a variable by a
new thread is in budget, so the pair a race needs (one access per thread)
is always there; whatever is left out can only hide a race, never make one
up (happens-before comes from the synchronisation records, all kept).

What is kept per thread is keyed by its ident, which CPython hands on to
the next thread once a thread has ended: forget_thread() drops it as a
thread begins and as it ends.
"""
import sys
import time

from .guard import tracer_failed
from . import py_state_arrivals as arrivals
from . import py_state_ids as ids
from .py_state_entries import infos

_mono = time.monotonic_ns

FIRST = 64
ENTRY_MAX = 4096
QUIET_MIN_NS = 2000000
QUIET_NS = 10000000          # recomputed each epoch: two GIL turns
EPOCH_NS = 250000000
UNLIMITED = False           # CONCURRENCY_TRACE_PY_STATE=all: every access is recorded
SWITCH_OFF = True           # quiet instructions are switched off for all threads (sys.monitoring)
SATURATED = 2               # over budget for this thread, not switched off

epoch_end = 0
pending = {}        # thread ident -> (frame, post offset, entry, oid, part, site, how, target, key)
touched = []        # entries with counts this epoch
off = []            # entries switched off this epoch
rearm = None        # set by the mechanism: rearm(codes) switches entries on again
on_epoch = None     # set by the mechanism: called at each new epoch


def reset():
    global epoch_end
    pending.clear()
    del touched[:]
    del off[:]
    arrivals.reset()
    epoch_end = 0


def new_epoch():
    """Now, from Thread.start: instructions switched off must report again
    before the new thread runs (nothing else would call us to do it)."""
    try:
        start_epoch(_mono())
    except Exception:
        tracer_failed()


def start_epoch(now):
    global epoch_end, QUIET_NS
    epoch_end = now + EPOCH_NS
    # An instruction is switched off once nothing was recorded there for two
    # GIL turns and no other thread may still come (arrivals.others_may_come):
    # the callbacks it costs meanwhile run inside the program's critical
    # sections too, and would make its locks look contended.
    QUIET_NS = max(QUIET_MIN_NS, int(2e9 * sys.getswitchinterval()))
    for e in touched:
        e.counts.clear()
        e.full.clear()
        e.n = 0
        e.retry = 0
    del touched[:]
    if off:
        codes = {}
        for e in off:
            e.enabled = True
            e.info.quiet_for = None
            codes[id(e.code)] = e.code
        del off[:]
        if rearm is not None:
            rearm(list(codes.values()))
    if on_epoch is not None:
        on_epoch()
    ids.sweep()


def budget(e, oid, part, ident, now):
    """Whether this access is recorded; counts it."""
    if UNLIMITED:
        return True
    key = (oid, part, ident)
    n = e.counts.get(key, 0)
    if n >= FIRST or e.n >= ENTRY_MAX:
        e.full.add(ident)
        return False
    if not e.counts:
        touched.append(e)
    e.counts[key] = n + 1
    e.n += 1
    e.fresh = now
    return True


def over(e, now, ident=None):
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
    off.append(e)
    info = e.info
    info.quiet_for = set(e.full) if info.quiet_for is None else info.quiet_for & e.full
    return True


def forget_thread(ident):
    """What is kept per thread ident this epoch (the budget counted, the
    over-budget marks, a write waiting for its value) is forgotten: called
    in a thread as it begins and as it ends.  A thread that ends before the
    next one starts often hands its ident on (CPython reuses the OS thread's),
    and the newcomer must not inherit an exhausted budget: its first
    accesses are what a race needs.  The epoch of its Thread.start does not
    cover it: the old thread may still have run between that and its end.
    Only this epoch's entries can hold the ident (start_epoch clears them)."""
    pending.pop(ident, None)
    for e in list(touched):
        counts = e.counts
        for key in [k for k in list(counts) if k[2] == ident]:
            counts.pop(key, None)
        e.full.discard(ident)
    for e in list(off):
        quiet_for = e.info.quiet_for
        if quiet_for is not None:
            # Empty: a thread that starts a call of this code switches it on again (arrivals.newcomer).
            quiet_for.discard(ident)
