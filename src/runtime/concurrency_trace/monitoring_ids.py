"""sys.monitoring tool ids the tracer holds (3.12+), and giving them up.

The tracer takes ids no tool takes by convention (3 and 4: 0-2 and 5 are
the debugger's, coverage's, profiler's and optimizer's).  A program (or its
debugger) asking for an id we hold must get it, as it would untraced:
sys.monitoring.use_tool_id is replaced (same name and docstring) by a
function that first calls the holder's give_up(), which stops its events and
frees the id (free()), then asks the real use_tool_id.  get_tool is replaced
too: an id we hold reads as free (None), as it would untraced (CPython's
test_monitoring checks that ids 2-4 are free before it takes them).  One
replacement for every holder (py_state_monitoring, asyncio_returns)."""
import sys

_mon = getattr(sys, "monitoring", None)
FREE_IDS = (4, 3)
NAME = "concurrency-trace"
_holders = {}       # tool id -> give_up()
_real_use_tool_id = _mon.use_tool_id if _mon is not None else None
_real_get_tool = _mon.get_tool if _mon is not None else None


def _use_tool_id(tool_id, name):
    give_up = _holders.pop(tool_id, None)
    if give_up is not None:
        try:
            give_up()
        except Exception:
            pass
        try:
            if _real_get_tool(tool_id) == NAME:
                _mon.free_tool_id(tool_id)
        except Exception:
            pass
    return _real_use_tool_id(tool_id, name)


def _get_tool(tool_id):
    name = _real_get_tool(tool_id)
    if name == NAME and tool_id in _holders:
        return None
    return name


def _install():
    for real, mine, attr in ((_real_use_tool_id, _use_tool_id, "use_tool_id"),
                             (_real_get_tool, _get_tool, "get_tool")):
        if getattr(_mon, attr) is not mine:
            for a in ("__name__", "__qualname__", "__doc__"):
                setattr(mine, a, getattr(real, a))
            setattr(_mon, attr, mine)


def take(give_up, order=FREE_IDS):
    """A free id of order, now ours (None: all in use); give_up() is called
    when the program asks for it."""
    if _mon is None:
        return None
    _install()
    for tid in order:
        if _real_get_tool(tid) is None:
            _real_use_tool_id(tid, NAME)
            _holders[tid] = give_up
            return tid
    return None


def free(tid):
    """Give an id back (its events and callbacks already cleared)."""
    _holders.pop(tid, None)
    if _real_get_tool(tid) == NAME:
        _mon.free_tool_id(tid)
