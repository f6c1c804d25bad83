"""py_state on Python 3.8-3.11: sys.settrace with opcode events, in the
user's frames only.

- The global trace function answers each new frame's 'call': frames of the
  user's code get the local trace function with f_trace_opcodes on and
  f_trace_lines off; every other frame gets nothing more (None).  The thread
  that starts the first thread gets its running user frames traced too; new
  threads get the tracer as they start (Thread._bootstrap_inner), unless the
  program set its own with threading.settrace.
- A program's own tracer wins: a tracer already set when recording would
  start (a debugger, coverage) leaves py_state off; sys.settrace(f) called
  by the program replaces ours for new frames (frames we trace already keep
  ours until they end); threading.settrace(f) gives new threads the
  program's.  sys.gettrace() returns what the program set (None while only
  ours is set).  frame.f_trace of a frame we trace is ours.

Why frames of code with closure cells are never traced, and why a program
that writes closure cells from inner functions (`nonlocal`) is not traced
at all on these versions: CPython up to 3.12 copies a frame's locals to a
dict before every trace call and writes them back after (call_trampoline:
PyFrame_FastToLocals / PyFrame_LocalsToFast).  A cell another thread writes
while a trace call runs in a frame sharing that cell gets the old value
written back (bpo-30744): the tracer would lose the program's own updates,
even under a lock.  Frames without cells have nothing another thread can
write.  Cells are only recorded on 3.12+.

Cost: each Python call of the whole program calls the global trace
function once; each instruction of a traced frame calls the local one,
until its thread is over budget there (py_state_access): then the frame is
left alone for the rest of its life (its later accesses are not recorded),
and the thread's new frames of that code until the next epoch.
"""
import _thread
import dis
import sys
import threading
import time
import types

from . import py_state_access as access
from . import py_state_budget as budget
from .guard import tracer_failed
from .py_state_entries import code_info as _code_info, infos as _infos
from .py_state_bytecode import GLOBAL as _GLOBAL, READ as _READ
from .py_state_values import is_data as _is_data
from .shared import hide_own_frames

_real_settrace = sys.settrace
_real_gettrace = sys.gettrace
_SATURATED = budget.SATURATED
SATURATED_RUN = 32     # over-budget accesses in a row that make a frame go quiet
_saturated = {}        # (thread ident, id(code)) -> over-budget accesses in a row
_quiet = set()         # (thread ident, id(code)) left alone until the next epoch
_ident = _thread.get_ident
_mono = time.monotonic_ns
_step = access.step
_on = False
_wants = None
_decided = {}      # id(code) -> (code, traced: bool)
_table = {}        # id(code) -> _local for the user's code we trace, None for other code
_table_get = _table.get
_UNKNOWN = object()
_patched_gettrace = False

_DEREF_STORES = {"STORE_DEREF", "DELETE_DEREF"}


def _first_call(frame):
    """A code object seen for the first time (or after we stopped)."""
    try:
        if _real_settrace is None:
            return None     # the module is being torn down (interpreter shutdown)
        if not _on:
            _real_settrace(None)
            return None
        code = frame.f_code
        traced = _decide(code, frame)
        _table[id(code)] = _local if traced else None   # _decided holds the code
        return _local if traced else None
    except Exception:
        tracer_failed()
    except BaseException as exc:
        hide_own_frames(exc)
        raise
    return None


def _global(frame, event, arg, _get=_table_get, _unknown=_UNKNOWN, _id=id, _first=_first_call):
    """The 'call' of every new frame of a thread we trace: kept short, it
    runs for every Python call of the program (a lock wrapper's included,
    inside the program's critical sections).  What it uses rides in its
    defaults: at interpreter shutdown module globals become None while a
    weakref callback or a daemon thread may still call it."""
    t = _get(_id(frame.f_code), _unknown)
    return _first(frame) if t is _unknown else t


def _frame_starts(frame):
    """The first event of a frame of the user's code (its first line):
    opcode events from here, unless this thread is over budget in this code
    until the next epoch."""
    if not _on:
        return _stop(frame)
    if _quiet:
        now = _mono()
        if now >= budget.epoch_end:
            budget.start_epoch(now)
        elif (_ident(), id(frame.f_code)) in _quiet:
            return _stop(frame)
    frame.f_trace_lines = False
    frame.f_trace_opcodes = True
    return _local


def _local(frame, event, arg):
    if event != "opcode":
        if event == "line" and not frame.f_trace_opcodes:
            try:
                return _frame_starts(frame)
            except Exception:
                tracer_failed()
            except BaseException as exc:
                hide_own_frames(exc)
                raise
        return _local
    try:
        if not _on:
            return _stop(frame)
        info = _infos.get(id(frame.f_code))
        if info is None:
            return _stop(frame)
        off = frame.f_lasti
        e = info.entries.get(off)
        if e is not None and (e.post_of is not None or (e.enabled and not e.dead)):
            if _step(frame, info, e, off) == _SATURATED:
                # A frame is one thread's: once that thread has been over
                # budget here for a while, the frame is left alone (no
                # trace calls at all: they would cost inside the program's
                # critical sections too), and so are its new frames of this
                # code until the next epoch.
                k = (_ident(), id(frame.f_code))
                n = _saturated[k] = _saturated.get(k, 0) + 1
                if n >= SATURATED_RUN:
                    del _saturated[k]
                    _quiet.add(k)
                    return _stop(frame)
            elif _saturated and e.access is not None:
                _saturated.pop((_ident(), id(frame.f_code)), None)   # it recorded (or saw something new)
    except Exception:
        tracer_failed()
    except BaseException as exc:
        # Ctrl-C arriving while we run is the program's: raised at its
        # instruction (3.11 drops our frames from the traceback; a signal
        # taken at this function's very first instruction, before the try,
        # and 3.8-3.10 keep this function as the traceback's last line).
        hide_own_frames(exc)
        raise
    return _local


def _epoch():
    _quiet.clear()
    _saturated.clear()


def forget_thread(ident):
    """A thread begins or ends (py_state): frames of its ident left quiet
    were an ended thread's."""
    for k in [k for k in list(_saturated) if k[0] == ident]:
        _saturated.pop(k, None)
    for k in [k for k in list(_quiet) if k[0] == ident]:
        _quiet.discard(k)


def _stop(frame):
    frame.f_trace = None
    frame.f_trace_opcodes = False
    frame.f_trace_lines = False
    return None


def _decide(code, frame):
    traced = False
    if _wants(code):
        if _writes_shared_cell(code):
            _stop_everywhere()
        elif not (code.co_cellvars or code.co_freevars):
            entries = _code_info(code).entries
            traced = bool(entries) and not _reads_only_callables(entries, frame)
    _decided[id(code)] = (code, traced)
    return traced


def _reads_only_callables(entries, frame):
    """Whether every access the code can make is a read of a global that
    holds a function, class, module, lock... (nothing py_state records).
    Such code (`for i in range(n): total += i % 7`) is left untraced: an
    opcode event per instruction of a CPU-bound loop would make it run
    tens of times slower for nothing.  Decided once per code object from
    the globals as they are at its first call; only plain dict lookups and
    type checks (no user code runs)."""
    g = frame.f_globals
    b = frame.f_builtins
    missing = _UNKNOWN
    for e in entries.values():
        a = e.access
        if a is None or a.op != _GLOBAL or a.kind != _READ:
            return False
        v = g.get(a.name, missing) if type(g) is dict else missing
        if v is missing:
            v = b.get(a.name, missing) if type(b) is dict else missing
        if v is missing or _is_data(v):
            return False
    return True


def _writes_shared_cell(code):
    """Whether code may write a closure cell while a closure over it exists:
    a `nonlocal` write, or a write of its own cell after (or in a loop
    around) making a function that closes over it."""
    if not code.co_cellvars and not code.co_freevars:
        return False
    made_closure = -1
    loops = []
    for ins in dis.get_instructions(code):
        if ins.opname == "MAKE_FUNCTION" and (ins.arg or 0) & 8 and made_closure < 0:
            made_closure = ins.offset
        elif ins.opcode in dis.hasjabs or ins.opcode in dis.hasjrel:
            if isinstance(ins.argval, int) and ins.argval <= ins.offset:
                loops.append((ins.argval, ins.offset))
    for ins in dis.get_instructions(code):
        if ins.opname not in _DEREF_STORES:
            continue
        if ins.argval in code.co_freevars:
            return True
        if 0 <= made_closure < ins.offset:
            return True
        if made_closure >= 0 and any(a <= ins.offset <= b for a, b in loops):
            return True
    return False


def _user_codes_now(wants):
    """Code objects of the user's modules loaded now, and of running frames."""
    from . import py_state_values as values
    seen = {}
    todo = []
    for mod in list(sys.modules.values()):
        try:
            g = values.module_dict(mod)
        except Exception:
            continue
        for v in list(dict.values(g)):
            todo.append(v)
            if type(v) is type:
                try:
                    todo.extend(values._type_dict(v).values())
                except Exception:
                    pass
    f = sys._getframe(1)
    while f is not None:
        todo.append(f.f_code)
        f = f.f_back
    code_type = type(_global.__code__)
    func_code = types.FunctionType.__dict__["__code__"].__get__
    while todo:
        v = todo.pop()
        t = type(v)
        # Only what reading runs no user code for: functions and their code.
        if t is staticmethod or t is classmethod:
            v = v.__func__
            t = type(v)
        if t is types.FunctionType:
            v = func_code(v)
        elif t is not code_type:
            continue
        if id(v) in seen:
            continue
        seen[id(v)] = v
        for c in v.co_consts:
            if type(c) is code_type:
                todo.append(c)
    return [c for c in seen.values() if wants(c)]


def _stop_everywhere():
    global _on
    _on = False
    _table.clear()   # every thread's next call asks again, and drops our tracer


def thread_hook():
    """In a new thread, before it runs: our tracer, unless the program has
    set one for its threads (or this one already has one)."""
    if _on and threading._trace_hook is None and _real_gettrace() is None:
        _real_settrace(_global)


def _gettrace():
    t = _real_gettrace()
    return None if t is _global else t


def activate(wants):
    global _on, _wants, _patched_gettrace
    if _real_gettrace() is not None:
        return False   # a debugger or coverage traces this program: it keeps it
    _wants = wants
    budget.rearm = rearm
    budget.on_epoch = _epoch
    budget.SWITCH_OFF = False   # frames go quiet one by one (each is one thread's)
    _decided.clear()
    _table.clear()
    for code in _user_codes_now(wants):
        if _writes_shared_cell(code):
            return False
    if not _patched_gettrace:
        _gettrace.__name__ = _real_gettrace.__name__
        _gettrace.__qualname__ = _real_gettrace.__qualname__
        _gettrace.__doc__ = _real_gettrace.__doc__
        sys.gettrace = _gettrace
        _patched_gettrace = True
    _on = True
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        known = _decided.get(id(code))
        if (known[1] if known is not None else _decide(code, f)):
            f.f_trace = _local
            f.f_trace_lines = False
            f.f_trace_opcodes = True
        f = f.f_back
    if not _on:
        return False
    _real_settrace(_global)
    return True


def deactivate():
    global _on
    _on = False
    _table.clear()
    if _real_gettrace() is _global:
        _real_settrace(None)
    _decided.clear()


def rearm(codes):
    """Entries are switched on again by py_state_budget itself."""
