"""concurrent.futures: ThreadPoolExecutor / ProcessPoolExecutor tasks.

submit() (and map(), which submits) makes a Future: the Future that submit()
creates next in its thread becomes the task (TASK_SUBMIT, with the caller's
thread and line).  A ThreadPoolExecutor task's TASK_RUN is the future's
set_running_or_notify_cancel .. set_result / set_exception on the worker
thread; a ProcessPoolExecutor's is written by its worker process
(pool_workers).  TASK_RESULT when the future is completed or cancelled.
The waits of the caller (Future.result() & co) are task_waits'.
Tasks are kept by the future's id() (no method of a Future subclass runs)
until the future completes.
"""
import sys
import threading

from . import events, patching, perturb, pool_workers, processes, safe_values, safety, sites, task_ids, writer

_failed = safety.failed
_hide = safety.hide
_futures = {}                        # id(Future) -> (Future, Task), until it completes
_tls = threading.local()             # .pending: a submit() in progress in this thread; .running: a
                                     # worker thread's task (lib_dask reads it)
_process_chunk_fn = [None]


class Task(object):
    __slots__ = ("ids", "kind", "fblob", "fn", "args", "kwargs", "span", "library")

    def __init__(self, ids, kind, fblob, fn=None, args=(), kwargs=None):
        self.ids = ids            # task ids, one per element (consecutive)
        self.kind = kind          # "thread" or "process"
        self.fblob = fblob
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.span = 0
        self.library = False      # a library's batch unit (pool_workers): no records of its own


def task_of(future):
    """The Task of a future an executor made, while it is not complete (None
    for a library's batch unit: not a task)."""
    hit = _futures.get(id(future))
    if hit is not None and hit[0] is future and not hit[1].library:
        return hit[1]
    return None


def _task_of(future):
    hit = _futures.get(id(future))
    if hit is not None and hit[0] is future:
        return hit[1]
    return None


def take_created():
    """The Task of the future this thread's last submit() made (once; None if none)."""
    task = _tls.__dict__.pop("created", None)
    return task


def running_task():
    """Id of the ThreadPoolExecutor task this worker thread is running (0: none)."""
    return _tls.__dict__.get("running", 0)


def _pop_task(future):
    hit = _futures.get(id(future))
    if hit is not None and hit[0] is future:
        _futures.pop(id(future), None)
        return hit[1]
    return None


def reset():
    _futures.clear()
    _tls.__dict__.clear()


def _future_created(future, pending):
    executor, kind, fn, args, kwargs, site, ident = pending
    oid = task_ids.owner_id(executor)
    if kind == "thread":
        ids = (writer.new_object_id(),)
        fblob = writer.intern(safe_values.func_name(fn))
        task = Task(ids, kind, fblob, fn, args, kwargs)
    else:
        work_id = executor.__dict__.get("_queue_count")
        if type(work_id) is not int:
            return
        chunk_fn = _process_chunk_fn[0]
        if (chunk_fn is not None and safe_values.is_partial_of(fn, chunk_fn)
                and len(args) == 1 and type(args[0]) in (list, tuple)):
            n = len(args[0])
            fblob = writer.intern(safe_values.func_name(safe_values.partial_args(fn)[0]))
        else:
            n = 1
            fblob = writer.intern(safe_values.func_name(fn))
        base = task_ids.task_base(task_ids.PROCESS_EXECUTOR, oid, work_id, 0)
        ids = tuple(range(base, base + n))
        task = Task(ids, kind, fblob)
    _futures[id(future)] = (future, task)
    _tls.created = task
    if pool_workers.is_library_batch(fn):
        task.library = True
        task.fn = task.args = task.kwargs = None
        return
    ts = writer.monotonic_ns()
    for tid in task.ids:
        writer.point_at(events.TASK_SUBMIT, ts, ident, tid, site, oid, fblob)


def patch_future(mod):
    Future = mod.Future
    if patching.is_wrapped(Future.__dict__.get("__init__")):
        return

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            pending = _tls.__dict__.get("pending")
            if pending is not None:
                _tls.pending = None
                try:
                    if writer.enabled:
                        _future_created(self, pending)
                except Exception:
                    _failed()
        return __init__

    def make_running(orig):
        def set_running_or_notify_cancel(self):
            try:
                if perturb.enabled and _futures:    # a point before a traced task starts on its worker
                    perturb.point_in_wrapper()
                result = orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
            if result and _futures:
                try:
                    task = _task_of(self)
                    if task is not None and task.kind == "thread" and task.library:
                        _tls.running = task.ids[0]
                    elif task is not None and task.kind == "thread" and writer.enabled:
                        task.span = writer.begin(events.TASK_RUN, task.ids[0], 0, task.fblob,
                                                 writer.blob(safe_values.summary(task.args, task.kwargs)))
                        task.fn = task.args = task.kwargs = None
                        _tls.running = task.ids[0]
                except Exception:
                    _failed()
            return result
        return set_running_or_notify_cancel

    def completer(ok):
        def make(orig):
            def complete(self, value):
                try:
                    task = None
                    if _futures:
                        try:
                            task = _pop_task(self)
                        except Exception:
                            _failed()
                    if task is None:
                        return orig(self, value)
                    ts = 0
                    try:
                        if task.kind == "thread":
                            _tls.running = 0
                        if task.span:
                            writer.finish_time(task.span)
                        ts = writer.monotonic_ns()
                    except Exception:
                        _failed()
                    result = orig(self, value)
                    if not task.library:
                        _results(task, ts, ok)
                    return result
                except BaseException as exc:
                    _hide(exc)
                    raise
            return complete
        return make

    def make_cancel(orig):
        def cancel(self):
            try:
                result = orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
            if result and _futures:
                try:
                    task = _pop_task(self)
                    if task is not None and not task.library:
                        _results(task, 0, 2)
                except Exception:
                    _failed()
            return result
        return cancel

    patching.wrap(Future, "__init__", make_init)
    patching.wrap(Future, "set_running_or_notify_cancel", make_running)
    patching.wrap(Future, "set_result", completer(1))
    patching.wrap(Future, "set_exception", completer(0))
    patching.wrap(Future, "cancel", make_cancel)
    from . import task_waits
    task_waits.patch_futures(mod)


def _results(task, ts, ok):
    try:
        if writer.enabled:
            ts = ts or writer.monotonic_ns()
            ident = writer.get_ident()
            for tid in task.ids:
                writer.point_at(events.TASK_RESULT, ts, ident, tid, 0, ok)
    except Exception:
        _failed()


def _patch_submit(cls, kind):
    orig_submit = cls.__dict__.get("submit")
    if orig_submit is None or patching.is_wrapped(orig_submit):
        return

    def submit(*args, **kwargs):
        # (self, fn, /, *args, **kwargs); 3.8 still accepts fn=... by keyword
        try:
            try:
                if writer.enabled and len(args) >= 1:
                    if len(args) >= 2:
                        fn, call_args, call_kwargs = args[1], args[2:], kwargs
                    else:
                        call_kwargs = dict(kwargs)
                        fn, call_args = call_kwargs.pop("fn", None), ()
                    _tls.pending = (args[0], kind, fn, call_args, call_kwargs, sites.site(1),
                                    writer.get_ident())
            except Exception:
                _failed()
            try:
                if "fn" in kwargs:     # 3.8: deprecated keyword, warns about the caller
                    return processes.call_as(sys._getframe(1), orig_submit, args, kwargs)
                return orig_submit(*args, **kwargs)
            finally:
                _tls.pending = None
        except BaseException as exc:
            _hide(exc)
            raise
    cls.submit = patching.copy_identity(submit, orig_submit)


def _patch_executor_init(cls, kind, workers_attr):
    orig_init = cls.__dict__.get("__init__")
    if orig_init is None or patching.is_wrapped(orig_init):
        return

    def make(orig):
        def __init__(self, *args, **kwargs):
            try:
                orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if writer.enabled and not task_ids.owner_id(self):
                    workers = self.__dict__.get(workers_attr)
                    label = "%s(%s)" % (safe_values.name_of(type(self)),
                                        workers if type(workers) is int else "?")
                    oid = writer.new_object_id()
                    task_ids.set_owner_id(self, oid)
                    writer.point(events.OBJECT, oid, sites.site(1), writer.intern(kind),
                                 writer.blob(label))
            except Exception:
                _failed()
        return __init__
    patching.wrap(cls, "__init__", make)


def patch_thread_executor(mod):
    cls = mod.ThreadPoolExecutor
    _patch_executor_init(cls, "ThreadPoolExecutor", "_max_workers")
    _patch_submit(cls, "thread")


def patch_process_executor(mod):
    cls = mod.ProcessPoolExecutor
    _process_chunk_fn[0] = getattr(mod, "_process_chunk", None)
    _patch_executor_init(cls, "ProcessPoolExecutor", "_max_workers")
    _patch_submit(cls, "process")

    # Worker processes started by the executor carry its id (Process.start
    # reads processes.spawn_owner).
    for name in ("_adjust_process_count", "_launch_processes", "_spawn_process"):
        orig = cls.__dict__.get(name)
        if orig is None or patching.is_wrapped(orig):
            continue

        def make(orig):
            def method(self, *args, **kwargs):
                try:
                    owner = 0
                    try:
                        owner = task_ids.owner_id(self)
                    except Exception:
                        _failed()
                    if not owner:
                        return orig(self, *args, **kwargs)
                    return processes.with_owner(owner, orig, self, *args, **kwargs)
                except BaseException as exc:
                    _hide(exc)
                    raise
            return method
        patching.wrap(cls, name, make)

    orig_worker = getattr(mod, "_process_worker", None)
    if orig_worker is None or patching.is_wrapped(orig_worker):
        return
    chunk_fn = _process_chunk_fn[0]

    def _process_worker(call_queue, result_queue, *args, **kwargs):
        try:
            if writer.enabled:
                import multiprocessing.process as mp_process
                config = mp_process.current_process()._config
                owner = config.get(processes.OWNER_CONFIG_KEY) if type(config) is dict else None
                if owner:
                    source = pool_workers.CallItems(call_queue, owner, chunk_fn, task_ids.task_base)
                    call_queue, result_queue = source, pool_workers.Results(result_queue, source)
                    pool_workers.set_source(source)
        except Exception:
            _failed()
        return orig_worker(call_queue, result_queue, *args, **kwargs)
    mod._process_worker = patching.copy_identity(_process_worker, orig_worker)
    pool_workers.end_run_on_exception(getattr(mod, "_ExceptionWithTraceback", None))

