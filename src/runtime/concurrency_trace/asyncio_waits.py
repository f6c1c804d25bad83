"""asyncio: what a suspended task waits on (ASYNC_WAIT spans, events.py).

A task's step ends (asyncio_tasks' Handle._run) with the task either done,
rescheduled (a bare yield: `await asyncio.sleep(0)`), or suspended on a
future: task._fut_waiter (a field of the C Task as of the Python one).  For a
suspended task, the span opens at the end of the step and closes at the
start of its next step (the wakeup), so arrows drawn to the span's end come
from whatever completed the future.

What it waits on is read from the task's coroutine chain (cr_await /
gi_yieldfrom, C fields: no user code runs): the innermost user frame gives
the site (the user's `await` line); the first standard-library coroutine
after it names the wait (sleep, Queue.get, Lock.acquire, asyncio.wait...),
and for the synchronisation primitives its `self` (read from the suspended
frame's locals) is the object waited on.  A wait the table does not name is
classified by the future: a Task (await task, wait_for, shield), gather's
future (a group of its children), else a plain future.  Standard-library
I/O (streams, the loop's sock_* and connection coroutines) is "I/O".

Cost: one walk of the chain (usually 1-3 links, dict lookups per code
object, cached) and one record per suspension; the frame's locals are read
only for waits on primitives, asyncio.wait and TaskGroup.
"""
import os
import types

from . import events, safe_values, safety, sites, writer

ASYNC_WAIT = events.ASYNC_WAIT
TASK_WAIT_MEMBER = events.TASK_WAIT_MEMBER

# ASYNC_WAIT b: what the task waits on (a: the object, see events.py).
SLEEP, FUTURE, TASK, GATHER, WAIT_ALL, WAIT_ANY, WAIT_FIRST_EXCEPTION, TASK_GROUP = 1, 2, 3, 4, 5, 6, 7, 8
QUEUE_GET, QUEUE_PUT, QUEUE_JOIN, LOCK, EVENT, CONDITION, SEMAPHORE, BARRIER, IO = (
    9, 10, 11, 12, 13, 14, 15, 16, 17)
_WAIT_FOR = -1      # wait_for: named by what it waits on (deeper in the chain, or its task)
_PRIMITIVES = frozenset((QUEUE_GET, QUEUE_PUT, QUEUE_JOIN, LOCK, EVENT, CONDITION, SEMAPHORE,
                         BARRIER))
_IO_MODULES = frozenset(("streams.py", "base_events.py", "selector_events.py",
                         "proactor_events.py", "unix_events.py", "windows_events.py",
                         "subprocess.py", "sslproto.py", "staggered.py"))

_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_failed = safety.failed
_object_getattribute = object.__getattribute__
_user_code = sites.is_user_code
_frame_site = sites.frame_site

_codes = {}          # code -> kind, from setup(): module-level codes, few
_info = {}           # id(code) -> _learn(code)
_waiter_kinds = {}   # type of a _fut_waiter -> TASK / GATHER / FUTURE
_asyncio_dir = ""
_task_types = ()
_gathering = None
_ids = {}            # asyncio_tasks._ids: id(task) -> trace id
_open = {}           # id(task) -> offset of its open ASYNC_WAIT


def setup(task_ids, task_types):
    """Called by asyncio_tasks once asyncio is imported: the code objects
    that name a wait."""
    global _asyncio_dir, _task_types, _gathering, _ids
    import asyncio
    from asyncio import locks, queues, tasks
    _ids = task_ids
    _task_types = task_types
    _gathering = getattr(tasks, "_GatheringFuture", None)
    _asyncio_dir = os.path.dirname(asyncio.__file__) + os.sep

    def add(fn, kind):
        code = getattr(fn, "__code__", None)
        if code is not None:
            _codes[code] = kind

    def method(cls, name, kind):
        if cls is not None and name in cls.__dict__:
            add(cls.__dict__[name], kind)

    add(tasks.sleep, SLEEP)
    add(getattr(tasks, "_wait", None), WAIT_ALL)        # mode from its return_when
    add(getattr(tasks, "wait_for", None), _WAIT_FOR)
    for const in _consts(getattr(tasks, "as_completed", None)):     # 3.8-3.12: a nested coroutine
        if type(const) is types.CodeType and const.co_name == "_wait_for_one":
            _codes[const] = WAIT_ANY
    method(getattr(tasks, "_AsCompletedIterator", None), "_wait_for_one", WAIT_ANY)
    for cls in (queues.Queue,):
        method(cls, "get", QUEUE_GET)
        method(cls, "put", QUEUE_PUT)
        method(cls, "join", QUEUE_JOIN)
    method(locks.Lock, "acquire", LOCK)
    method(locks.Event, "wait", EVENT)
    method(locks.Condition, "wait", CONDITION)
    method(locks.Condition, "wait_for", CONDITION)
    method(locks.Semaphore, "acquire", SEMAPHORE)
    method(locks.BoundedSemaphore, "acquire", SEMAPHORE)
    barrier = getattr(locks, "Barrier", None)
    method(barrier, "wait", BARRIER)
    taskgroups = getattr(asyncio, "taskgroups", None)
    group = getattr(taskgroups, "TaskGroup", None)
    method(group, "__aexit__", TASK_GROUP)
    method(group, "_aexit", TASK_GROUP)


def _consts(fn):
    code = getattr(fn, "__code__", None)
    return code.co_consts if code is not None else ()


def _learn(code):
    """(code, is user code, wait kind) for a code object met in a chain;
    kept (the code with it, so its id is not reused) up to 10 000 codes."""
    kind = _codes.get(code)
    if kind is None:
        name = code.co_filename
        kind = IO if (name.startswith(_asyncio_dir) and
                      name[len(_asyncio_dir):] in _IO_MODULES) else 0
    info = (code, bool(_user_code(code)), kind)
    if len(_info) >= 10000:
        _info.clear()
    _info[id(code)] = info
    return info


def _waiter_kind(t):
    """TASK, GATHER or FUTURE for the type of a task's _fut_waiter."""
    kind = _waiter_kinds.get(t)
    if kind is None:
        if any(safe_values.is_subclass(t, base) for base in _task_types):
            kind = TASK
        elif _gathering is not None and safe_values.is_subclass(t, _gathering):
            kind = GATHER
        else:
            kind = FUTURE
        if len(_waiter_kinds) < 1000:
            _waiter_kinds[t] = kind
    return kind


def _local(frame, name):
    try:
        return frame.f_locals.get(name)
    except Exception:
        _failed()
        return None


def _attr(obj, name):
    """obj.name without a __getattribute__ / __getattr__ of its class
    (the generic lookup: the instance's dict, then its type's); None if
    missing."""
    try:
        return _object_getattribute(obj, name)
    except AttributeError:
        return None


def _trace_id(obj):
    """The trace id asyncio_sync gave a primitive (0: untraced)."""
    tid = _attr(obj, "_ct_id")
    return tid if type(tid) is int else 0


def _group(members):
    """A group id whose TASK_WAIT_MEMBER records list the recorded tasks
    among members (a plain set / list / tuple); 0 if none is recorded."""
    if type(members) not in (set, list, tuple, frozenset):
        return 0
    ids = [_ids.get(id(m), 0) for m in list(members)]
    ids = [t for t in ids if t > 0]
    if not ids:
        return 0
    gid = writer.new_object_id()
    ts = writer.monotonic_ns()
    ident = writer.get_ident()
    for t in ids:
        writer.point_at(TASK_WAIT_MEMBER, ts, ident, gid, 0, t, 1)
    return gid


def suspended(task, tid, coro):
    """After a step that left task (trace id tid) suspended: open its
    ASYNC_WAIT span if it waits on a future."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return
    user = lib = via = None
    kind = 0
    c = coro
    while c is not None:
        t = type(c)
        if t is _CoroutineType:
            f = c.cr_frame
            nxt = c.cr_await
        elif t is _GeneratorType:
            f = c.gi_frame
            nxt = c.gi_yieldfrom
        else:
            break
        if f is None:
            break
        code = f.f_code
        info = _info.get(id(code))
        if info is None or info[0] is not code:
            info = _learn(code)
        if info[1]:
            user = f
            lib = via = None
            kind = 0
        elif not kind:      # the first standard-library coroutine that names the wait
            k = info[2]
            if k > 0:
                lib, kind = f, k
            elif k == _WAIT_FOR and via is None:
                via = f
        c = nxt
    obj = 0
    if kind in _PRIMITIVES:
        owner = _local(lib, "self")
        obj = _trace_id(owner) if owner is not None else 0
    elif kind == WAIT_ALL:
        mode = _local(lib, "return_when")
        kind = WAIT_ANY if mode == "FIRST_COMPLETED" else (
            WAIT_FIRST_EXCEPTION if mode == "FIRST_EXCEPTION" else WAIT_ALL)
        obj = _group(_local(lib, "fs"))
    elif kind == TASK_GROUP:
        owner = _local(lib, "self")
        obj = _group(_attr(owner, "_tasks")) if owner is not None else 0
    elif kind == WAIT_ANY:
        owner = _local(lib, "self")     # 3.13+: the _AsCompletedIterator
        obj = _group(_attr(owner, "_todo")) if owner is not None else 0
    elif kind != SLEEP and kind != IO:
        kind = _waiter_kind(type(waiter))
        if kind != TASK and via is not None:
            inner = _local(via, "fut")      # 3.8-3.11: wait_for's own waiter; the task it waits for
            if inner is not None and _waiter_kind(type(inner)) == TASK:
                waiter = inner
                kind = TASK
        if kind == TASK:
            obj = _ids.get(id(waiter), 0)
            if obj < 0:
                obj = 0
        elif kind == GATHER:
            obj = _group(_attr(waiter, "_children"))
    site = _frame_site(user) if user is not None else 0
    _open[id(task)] = writer.begin(ASYNC_WAIT, tid, site, obj, kind)


def resumed(task):
    """At the start of task's next step (or its end): close its wait."""
    off = _open.pop(id(task), 0)
    if off:
        writer.finish_time(off)


def after_fork_in_child():
    _open.clear()
