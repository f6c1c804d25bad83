"""asyncio: task creation, each step of a task, and its end.

asyncio is never imported here: a program that does not use it must not pay
for it (sitecustomize runs in every process of the run).  shared.when_imported
puts a finder first on sys.meta_path that answers only for "asyncio"; when the
asyncio package has finished executing (all its submodules are loaded by its
__init__, so this covers `import asyncio.events` too) the patches below are
applied, once.  If asyncio is already imported at install, they apply at once.

Where each record comes from, without touching tasks, factories or loops:
- ASYNC_CREATE: BaseEventLoop.create_task, which create_task, gather,
  ensure_future, TaskGroup, asyncio.run / Runner and run_until_complete all go
  through (the user's task factory, if any, is still what create_task calls;
  get_task_factory() is unchanged).  Tasks made by Task(...) directly are
  announced at their first step instead (site 0).
- ASYNC_RUN: every task step is a loop callback run by asyncio.events.Handle._run
  (call_soon of the C TaskStepMethWrapper / task wakeup, or the pure-Python
  Task's bound __step / __wakeup); the span is that callback.  Task.cancel and
  other methods of a task scheduled as callbacks are not steps.  An eager
  task's first step (3.12+ eager_task_factory) runs inside create_task and is
  recorded there.
- ASYNC_END: after a step, if the task is done: cancelled / raised / ok, read
  from task._state and task._exception (never task.exception(), which
  would mark the exception retrieved and silence "never retrieved" logs).

Tasks running the standard library's own coroutines (asyncio.run's
shutdown_asyncgens / shutdown_default_executor, start_server's accept tasks,
happy eyeballs) are plumbing: not recorded.  Exceptions from the wrapped
calls keep their untraced traceback (shared.hide_own_frames).

Task ids live in a dict keyed by id(task) (C tasks have no __dict__, and a
WeakKeyDictionary lookup per step costs more); the entry goes at the end.
Not seen: loops that are not BaseEventLoop subclasses (uvloop).
"""
import sys
import types

from . import asyncio_sync, asyncio_waits, events, lib_sites, patching, safe_values, safety, sites, writer
from .import_hooks import after_import as when_imported

hide_own_frames = safety.hide
_failed = safety.failed

_ASYNC_RUN = events.ASYNC_RUN
_ids = {}            # id(task) -> trace id (until the task's end is recorded)
_cb_kinds = {}       # callback type -> 0 not a step, 1 step wrapper, 2 check name
_STEP_NAMES = frozenset(("task_wakeup", "__step", "__wakeup"))
_TASK_TYPES = ()
_originals = {}
_suspended = asyncio_waits.suspended
_resumed = asyncio_waits.resumed
_open_waits = asyncio_waits._open


def install():
    when_imported("asyncio", _patch)


def _classify(t):
    name = safe_values.name_of(t)
    if name in ("TaskStepMethWrapper", "TaskWakeupMethWrapper"):
        kind = 1
    elif t is types.MethodType or t is types.BuiltinMethodType:
        kind = 2
    else:
        kind = 0
    _cb_kinds[t] = kind
    return kind


_CORO_TYPES = (types.CoroutineType, types.GeneratorType)


def _coro_blob(coro):
    """The coroutine's qualified name (its function's), without asking the
    object: a coroutine or generator's own C field, else its type's name."""
    if coro is None:
        return 0
    if type(coro) in _CORO_TYPES:
        name = coro.__qualname__
    else:
        name = safe_values.type_name(coro)
    return writer.intern(name if type(name) is str else "?")


_task_type = {}     # type -> whether it is an asyncio Task class (cached: asked at every wakeup)
_packages = {}      # code file -> its installed package (lib_sites.package_of), None for the program's


def _is_task(obj):
    t = type(obj)
    known = _task_type.get(t)
    if known is None:
        known = any(safe_values.is_subclass(t, base) for base in _TASK_TYPES)
        if len(_task_type) < 1000:
            _task_type[t] = known
    return known


def _base(task):
    """The asyncio Task class task is made from (its methods are the
    standard library's, whatever a subclass overrides)."""
    t = type(task)
    for base in _TASK_TYPES:
        if safe_values.is_subclass(t, base):
            return base
    return None


def _task_name(task):
    base = _base(task)
    try:
        name = base.get_name(task) if base is not None else None
    except Exception:
        _failed()
        name = None
    return name if type(name) is str else ""


def _task_coro(task):
    base = _base(task)
    coro = base.get_coro(task) if base is not None else None
    return coro


def _announce(task, ts, site, name=None, coro=None):
    """Give the task an id and write ASYNC_CREATE, or mark it internal (-1):
    a task running a coroutine of the standard library itself (asyncio.run's
    shutdown_asyncgens / shutdown_default_executor, start_server's accept
    tasks, happy eyeballs) is plumbing, not the user's.

    The coroutine comes from create_task's argument when there is one:
    get_coro() of an eagerly finished task crashes 3.12.0-3.12.1 and is None
    on 3.13."""
    if coro is None and not _done(task):
        coro = _task_coro(task)
    frame = coro.cr_frame if type(coro) is types.CoroutineType else (
        coro.gi_frame if type(coro) is types.GeneratorType else None)
    if frame is not None and not sites.is_user_frame(frame):
        _ids[id(task)] = -1
        return -1
    tid = writer.new_object_id()
    _ids[id(task)] = tid
    # A library's task (events.py ASYNC_CREATE end): its coroutine is defined in an installed package.
    package = None
    if frame is not None:
        fname = frame.f_code.co_filename
        package = _packages.get(fname, 0)
        if package == 0:
            package = lib_sites.package_of(fname)
            if len(_packages) < 1000:
                _packages[fname] = package
    writer.point_at(events.ASYNC_CREATE, ts, writer.get_ident(), tid, site,
                    writer.blob(name if name is not None else _task_name(task)),
                    _coro_blob(coro), end=writer.intern(package) if package else 0)
    return tid


def _done(task):
    """task.done() without calling a method a Task subclass may override."""
    return getattr(task, "_state", "PENDING") != "PENDING"


def _exc_text(exc):
    # The message only when computing it runs none of the program's code.
    return safe_values.exception_text(exc)


def _ended(task, tid):
    _ids.pop(id(task), None)
    _resumed(task)
    if getattr(task, "_state", None) == "CANCELLED":
        a, b = 2, 0
    else:
        exc = getattr(task, "_exception", None)
        if exc is None:
            a, b = 1, 0
        else:
            a, b = 0, writer.blob(_exc_text(exc))
    writer.point(events.ASYNC_END, tid, 0, a, b)


def _created(task, site, t0, name, coro):
    if not _is_task(task):
        return
    tid = _announce(task, t0, site, name, coro)
    # An eager task (3.12+) has already run its first step, and may be done.
    done = _done(task)
    if tid < 0:
        if done:
            _ids.pop(id(task), None)
        return
    if done or (type(coro) is types.CoroutineType and getattr(coro, "cr_suspended", False)):
        writer.point_at(_ASYNC_RUN, t0, writer.get_ident(), tid, 0, end=writer.monotonic_ns())
        if done:
            _ended(task, tid)
        else:
            _suspended(task, tid, coro)


def _patch(_asyncio):
    global _TASK_TYPES
    from asyncio import base_events, events as aevents, tasks
    if "_ct_asyncio_patched" in aevents.Handle.__dict__:
        return
    _TASK_TYPES = tuple(t for t in {getattr(tasks, "Task", None), getattr(tasks, "_PyTask", None),
                                    getattr(tasks, "_CTask", None)} if isinstance(t, type))
    try:
        asyncio_waits.setup(_ids, _TASK_TYPES)
    except Exception:
        _failed()
    try:
        asyncio_sync.install(_ids)
    except Exception:
        _failed()

    BaseEventLoop = base_events.BaseEventLoop
    orig_create_task = BaseEventLoop.create_task
    Handle = aevents.Handle
    orig_run = Handle._run
    _originals.update(create_task=orig_create_task, _run=orig_run)
    monotonic_ns = writer.monotonic_ns
    # Up to 3.12 asyncio.create_task(coro, name=...) and TaskGroup.create_task
    # name the task only after loop.create_task returns: take the name from
    # their frame.
    named_later = {getattr(tasks.create_task, "__code__", None)}
    taskgroups = sys.modules.get("asyncio.taskgroups")
    if taskgroups is not None:
        named_later.add(getattr(taskgroups.TaskGroup.create_task, "__code__", None))
    named_later.discard(None)
    getframe = sys._getframe
    hide = hide_own_frames

    def create_task(self, *args, **kwargs):
        t0 = monotonic_ns()
        try:
            task = orig_create_task(self, *args, **kwargs)
        except BaseException as exc:
            hide(exc)
            raise
        try:
            if not writer.enabled:
                return task
            name = None
            f = getframe(1)
            if f.f_code in named_later:
                name = f.f_locals.get("name")
                if type(name) is not str:
                    name = None
            coro = args[0] if args else kwargs.get("coro")
            _created(task, sites.site(1), t0, name, coro)
        except Exception:
            _failed()
        return task

    def _run(self):
        # Everything that touches module globals stays inside try: they are
        # None during late interpreter shutdown.  Like the original, no local
        # may still hold the handle, callback or task when this returns: a
        # task that raised keeps its coroutine's frame in the traceback, and
        # that frame's f_back chain reaches this frame (a cycle would delay
        # the task's collection and its "exception was never retrieved").
        task = None
        off = tid = 0
        try:
            cb = self._callback
            kind = _cb_kinds.get(type(cb))
            if kind is None:
                kind = _classify(type(cb))
            if kind and writer.enabled and (kind == 1 or (
                    cb.__name__ in _STEP_NAMES and _is_task(cb.__self__))):
                task = cb.__self__
                tid = _ids.get(id(task)) or _announce(task, monotonic_ns(), 0)
                if tid > 0:
                    if _open_waits:
                        _resumed(task)
                    off = writer.begin(_ASYNC_RUN, tid, 0)
        except Exception:
            task = None
            _failed()
        cb = None
        try:
            orig_run(self)      # catches all but SystemExit / KeyboardInterrupt
        except BaseException as exc:
            hide(exc)
            raise
        finally:
            self = None
            if task is not None:
                try:
                    if off:
                        writer.finish_time(off)
                    if _done(task):
                        if tid > 0:
                            _ended(task, tid)
                        else:   # an internal task: only forget it
                            _ids.pop(id(task), None)
                    elif tid > 0:
                        _suspended(task, tid, task._coro)
                except Exception:
                    _failed()
                task = None

    patching.copy_identity(create_task, orig_create_task)
    patching.copy_identity(_run, orig_run)
    BaseEventLoop.create_task = create_task
    Handle._run = _run
    Handle._ct_asyncio_patched = True


def after_fork_in_child():
    _ids.clear()
    asyncio_waits.after_fork_in_child()
