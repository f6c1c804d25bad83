"""py_state on Python 3.12+: sys.monitoring, with a tool id of our own.

- PY_START / PY_RESUME are on for all code, and switched off per code
  object (DISABLE) the first time it runs: that is when a code object of the
  user's files is analysed (py_state_bytecode) and gets INSTRUCTION events of
  its own (set_local_events); other code pays one callback, once.  Code
  already running when recording starts (the main module's frame, the
  thread that starts the first thread) is found on the threads' stacks.
- INSTRUCTION: called before each instruction of those code objects;
  instructions that access nothing, and accesses that are never data
  (a builtin, a function), are switched off for good (DISABLE).  Over-budget
  ones are switched off too, and on again at the next epoch by setting the
  code's local events again (py_state_budget.rearm).

Nothing here touches sys.settrace / sys.setprofile: a program's own tracer,
a debugger or coverage (on its own tool id) keeps working; the ids 0-2 and 5
(debugger, coverage, profiler, optimizer by convention) are never taken.
"""
import _thread
import sys

from . import py_state_access as access
from . import py_state_budget as budget
from .guard import tracer_failed
from .py_state_entries import code_info as _code_info, infos as _infos
from . import py_state_arrivals as arrivals
from . import monitoring_ids
from .shared import hide_own_frames

_mon = sys.monitoring
_E = _mon.events
_DISABLE = _mon.DISABLE
_getframe = sys._getframe
_ident = _thread.get_ident
_step = access.step

TOOL_IDS = (4, 3)
_tool = None
_instrumented = {}   # id(code) -> code with our local events
_wants = None         # code -> bool: the user's code (set by py_state)


def _on_start(code, offset):
    """A call (or a generator's resumption) starts.  Code not the user's is
    not asked about again (DISABLE); the user's is instrumented once, and
    keeps reporting its starts: a thread starting a call of code whose
    instructions were switched off while others were over budget there gets
    them switched on again (py_state_arrivals.newcomer)."""
    try:
        info = _infos.get(id(code))
        if info is not None and id(code) in _instrumented:
            if not info.entries:
                return _DISABLE
            if info.quiet_for is not None and arrivals.newcomer(info, _ident()):
                _mon.set_local_events(_tool, code, 0)
                _mon.set_local_events(_tool, code, _LOCAL)
            return None
        if id(code) not in _instrumented and _wants(code):
            instrument(code)
            if _infos[id(code)].entries:
                return None
    except Exception:
        tracer_failed()
    except BaseException as exc:
        # Ctrl-C (a signal handler's exception) arriving while we run: it is
        # the program's, raised at its instruction, with its traceback.
        hide_own_frames(exc)
        raise
    return _DISABLE


def _on_instruction(code, offset):
    info = _infos.get(id(code))
    if info is None:
        return _DISABLE
    e = info.entries.get(offset)
    if e is None:
        return _DISABLE
    try:
        if _step(_getframe(1), info, e, offset) is True:
            return _DISABLE
    except Exception:
        tracer_failed()
    except BaseException as exc:
        hide_own_frames(exc)
        raise
    return None


_exc_traceback = BaseException.__traceback__.__get__   # no __getattribute__ of the exception's class
_OWN_DIR = hide_own_frames.__code__.co_filename.rsplit("/", 1)[0] + "/"


def _on_raise(code, offset, exc):
    """An exception arrives in the user's frame.  One raised inside our
    INSTRUCTION callback (a signal handler's KeyboardInterrupt, at the
    callback's first instruction, before any try can catch it) carries the
    callback's frames after the user's: they are cut off, so the program
    prints the traceback it prints untraced."""
    if id(code) not in _instrumented:
        return None
    try:
        # Cut after the last frame that is not ours, when frames of ours
        # follow it (an exception passing through another area's wrapper
        # from the program's code ends in the program's frames: kept).
        tb = _exc_traceback(exc) if isinstance(exc, BaseException) else None
        keep = None
        while tb is not None:
            if not tb.tb_frame.f_code.co_filename.startswith(_OWN_DIR):
                keep = tb
            tb = tb.tb_next
        if keep is not None and keep.tb_next is not None:
            keep.tb_next = None
    except Exception:
        pass


_LOCAL = _E.INSTRUCTION | _E.PY_START | _E.PY_RESUME


def instrument(code):
    info = _code_info(code)
    _instrumented[id(code)] = code
    if info.entries:
        _mon.set_local_events(_tool, code, _LOCAL)


def rearm(codes):
    for code in codes:
        if id(code) in _instrumented:
            _mon.set_local_events(_tool, code, 0)
            _mon.set_local_events(_tool, code, _LOCAL)


def forget_thread(ident):
    """Nothing per thread here (py_state_budget keeps it)."""


def thread_hook():
    """sys.monitoring covers every thread: nothing to set in a new one."""


_given_up = False


def _give_up():
    """The program asks for the id we hold (monitoring_ids): it gets it;
    recording Python state stops for good."""
    global _given_up
    _given_up = True
    deactivate()


def activate(wants):
    """Start: take a tool id, instrument what runs now, watch new code.
    False when every id we may take is in use."""
    global _tool, _wants
    if _given_up:
        return False
    _wants = wants
    if _tool is None:
        _tool = monitoring_ids.take(_give_up, TOOL_IDS)
        if _tool is None:
            return False
    _mon.register_callback(_tool, _E.PY_START, _on_start)
    _mon.register_callback(_tool, _E.PY_RESUME, _on_start)
    _mon.register_callback(_tool, _E.INSTRUCTION, _on_instruction)
    _mon.register_callback(_tool, _E.RAISE, _on_raise)
    budget.rearm = rearm
    for frame in list(sys._current_frames().values()):
        while frame is not None:
            code = frame.f_code
            if id(code) not in _instrumented and wants(code):
                instrument(code)
            frame = frame.f_back
    # RAISE can only be set for all code: _on_raise returns at once for code not ours.
    _mon.set_events(_tool, _E.PY_START | _E.PY_RESUME | _E.RAISE)
    return True


def deactivate():
    """Stop every event of ours and give the tool id back."""
    global _tool
    if _tool is None:
        return
    tool = _tool
    _tool = None
    try:
        _mon.set_events(tool, 0)
        for code in _instrumented.values():
            _mon.set_local_events(tool, code, 0)
        for event in (_E.PY_START, _E.PY_RESUME, _E.INSTRUCTION, _E.RAISE):
            _mon.register_callback(tool, event, None)
    finally:
        _instrumented.clear()
        monitoring_ids.free(tool)
