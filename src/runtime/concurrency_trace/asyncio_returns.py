"""asyncio Lock / Semaphore acquire on 3.12+: the moment the standard
library's own acquire coroutine returns (a hold begins), seen by a
sys.monitoring PY_RETURN event local to those code objects, on a tool id of
our own (monitoring_ids).

Why not a wrapper: a coroutine wrapping acquire sits in the awaiting chain
(cr_await, f_back) for as long as the task waits, so asyncio's call graphs
(3.14+: capture_call_graph / format_call_graph / print_call_graph,
`python -m asyncio pstree`) would print one frame of ours more than untraced.
Here acquire stays the standard library's function, untouched.  Where this
cannot be (3.8-3.11, no free tool id, or the program takes our id: give_up),
asyncio_sync wraps acquire instead."""
import sys

from . import monitoring_ids, safety

_mon = getattr(sys, "monitoring", None)
_getframe = sys._getframe
_hide = safety.hide
_tool = None
_codes = []
_on_return = None
_on_give_up = None


def watch(codes, on_return, on_give_up):
    """From now on, on_return(frame) runs in the frame of each code of codes
    as it returns (frame: that code's).  on_give_up() runs if the program
    later takes our tool id.  False: not possible here (nothing set)."""
    global _tool, _on_return, _on_give_up
    if _mon is None or _tool is not None or not codes:
        return False
    tool = monitoring_ids.take(_give_up)
    if tool is None:
        return False
    _tool, _on_return, _on_give_up = tool, on_return, on_give_up
    _codes[:] = codes
    _mon.register_callback(tool, _mon.events.PY_RETURN, _returned)
    for code in codes:
        _mon.set_local_events(tool, code, _mon.events.PY_RETURN)
    return True


def _returned(code, offset, retval):
    try:
        _on_return(_getframe(1))
    except BaseException as exc:
        # Ctrl-C (a signal handler's exception) arriving while we run is the
        # program's, raised at the return it interrupted.
        _hide(exc)
        raise


def _give_up():
    global _tool
    tool = _tool
    if tool is None:
        return
    _tool = None
    try:
        for code in _codes:
            _mon.set_local_events(tool, code, 0)
        _mon.register_callback(tool, _mon.events.PY_RETURN, None)
    finally:
        monitoring_ids.free(tool)
        _on_give_up()
