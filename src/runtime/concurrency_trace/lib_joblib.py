"""joblib (and the loky it vendors): installed when the program imports it,
never importing joblib itself.

Workers: loky starts each worker with fork + execve (popen_loky_posix); the
exec'ed image writes its own event file for the same pid and the collector
makes the two one process (child_processes patches os.exec*).  loky's own
resource tracker (a `python -c` helper) is plumbing like multiprocessing's.

Tasks: one task per call of the user's function (`delayed(f)(i)`), element
k of a joblib batch (BatchedCalls).  Each batch travels as one unit of the
backend, whose id both sides already know (nothing is added to what the
worker receives):
  multiprocessing / threading backends: a multiprocessing Pool job
    (task_base(POOL, pool pid, job, 0), as pools.py would name it);
  loky: a _CallItem: task_base(LOKY_WORK, inode of the executor's call-queue
    pipe, work_id, 0) (the pipe is the same in every process);
  sequential (n_jobs=1): an object id of the caller's; the batch runs in the
    caller's thread inside apply_async.
Element k's task id = task_base(JOBLIB_ITEM, unit id, 0, 0) + k.  Records:
TASK_SUBMIT in the caller when the backend takes the batch (site = the
user's Parallel(...)(...) line), TASK_RUN on the worker around each call,
TASK_RESULT when the batch's result reaches the caller (Pool backends: as
the Pool hands the job's result over, a = 0 for every call of a batch that
raised; loky and sequential: when the batch's completion callback runs).
The pool object is the Parallel instance (OBJECT a="joblib.Parallel").
The batch unit itself (SafeFunction) is library machinery, not a task: the
Pool backends write no task of their own for it (pool_workers.
add_library_batch), and the caller's wait on it (AsyncResult.get) waits for
the group of its calls: task_base(POOL_JOB_GROUP, pool pid, job, 0), whose
TASK_WAIT_MEMBER this module writes as it submits the batch.
"""
import os
import threading
from _weakref import ref as _ref

from . import events, lib_sites, patching, pool_workers, processes, safe_values, safety, task_waits, writer
from .task_ids import POOL, POOL_JOB_GROUP, owner_id, set_owner_id, task_base

_failed = safety.failed
_hide = safety.hide

LOKY_WORK = 4        # task_ids domain (4, call-queue pipe inode, work_id, 0)
JOBLIB_ITEM = 5      # (5, unit id, k, 0): element k of a joblib batch

_LOKY_TRACKERS = ("joblib.externals.loky.backend.resource_tracker",
                  "loky.backend.resource_tracker")
_tls = threading.local()      # caller: .loky_unit (set by submit), .seq_unit (a sequential batch running);
                              # worker: .loky_unit (running _CallItem)
_loky_queue_key = 0           # worker: inode of its call queue's pipe
_loky_futures = {}            # id(loky Future) -> unit id, until its completion callback
_batched_calls = None         # joblib.parallel.BatchedCalls
_loky_waits = {}              # id(loky Future) -> (weak reference to it, its wait group), until get() asks
_MAX_LOKY_WAITS = 4096


def install():
    for name in _LOKY_TRACKERS:
        processes.when_imported(name, processes.helper_main_patch("resource_tracker"))
    processes.when_imported("joblib.parallel", _patch_parallel)
    processes.when_imported("joblib._parallel_backends", _patch_backends)
    processes.when_imported("joblib.externals.loky.process_executor", _patch_loky)


def after_fork_in_child():
    global _loky_queue_key
    _tls.__dict__.clear()
    _loky_futures.clear()
    _loky_waits.clear()
    _loky_queue_key = 0


def item_id(unit, k):
    return task_base(JOBLIB_ITEM, unit, 0, 0) + k


def loky_group(unit):
    """The wait group of a loky batch's calls: (JOBLIB_ITEM, unit, 1, 0), apart from its items."""
    return task_base(JOBLIB_ITEM, unit, 1, 0)


# --- caller side -------------------------------------------------------------

_user_site = lib_sites.user_site


def _parallel_object(backend):
    """Object id of the Parallel instance a backend works for (written once)."""
    parallel = backend.__dict__.get("parallel")
    if parallel is None:
        return 0
    oid = owner_id(parallel)
    if oid:
        return oid
    oid = writer.new_object_id()
    set_owner_id(parallel, oid)
    kind = safe_values.name_of(type(backend))
    if kind.endswith("Backend"):
        kind = kind[:-len("Backend")].lower()
    n = parallel.__dict__.get("n_jobs")
    writer.point(events.OBJECT, oid, _user_site(), writer.intern("joblib.Parallel"),
                 writer.blob("Parallel(n_jobs=%s, %s)" % (n if type(n) is int else "?", kind)))
    return oid


def _patch_backends(mod):
    safe_function = getattr(mod, "SafeFunction", None)
    if safe_function is not None:
        pool_workers.add_library_batch(safe_function)
    for name in ("PoolManagerMixin", "LokyBackend"):
        cls = getattr(mod, name, None)
        if cls is not None and "apply_async" in cls.__dict__ and not patching.is_wrapped(cls.__dict__["apply_async"]):
            patching.wrap(cls, "apply_async", _make_apply_async)
    loky = getattr(mod, "LokyBackend", None)
    wrap_result = loky.__dict__.get("wrap_future_result") if loky is not None else None
    if type(wrap_result) is staticmethod and not patching.is_wrapped(wrap_result.__func__):
        loky.wrap_future_result = staticmethod(patching.copy_identity(_loky_wait(wrap_result.__func__),
                                                                      wrap_result.__func__))
    cls = getattr(mod, "SequentialBackend", None)
    if cls is not None and "apply_async" in cls.__dict__ and not patching.is_wrapped(cls.__dict__["apply_async"]):
        patching.wrap(cls, "apply_async", _make_sequential_apply)


def _make_apply_async(orig):
    def apply_async(self, *args, **kwargs):
        try:
            names = None
            try:
                if writer.enabled:
                    # before the call: a thread worker may be running the batch already after it
                    names = _item_names(args[0] if args else kwargs.get("func"))
            except Exception:
                _failed()
            t0 = writer.monotonic_ns()
            _tls.loky_unit = 0
            result = orig(self, *args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        try:
            if names is not None:
                _submitted(self, names, result, t0)
        except Exception:
            _failed()
        return result
    return apply_async


_PENDING = ("PENDING", "RUNNING")


def _loky_wait(orig):
    """LokyBackend.wrap_future_result(future, timeout): joblib's caller
    getting a batch's result (job.get()).  A future not done yet is a
    TASK_WAIT for all calls of the batch (mode ALL), read through the
    future's own fields, as task_waits does for an executor's."""
    def wrap_future_result(future, *args, **kwargs):
        try:
            off = 0
            try:
                hit = _loky_waits.pop(id(future), None) if writer.enabled else None
                if hit is not None and hit[0]() is future and _field(future, "_state") in _PENDING:
                    off = task_waits._begin(hit[1], task_waits.ALL, 1)
            except Exception:
                _failed()
            if not off:
                return orig(future, *args, **kwargs)
            try:
                value = orig(future, *args, **kwargs)
            except BaseException:
                state = _field(future, "_state")
                task_waits._finish(off, task_waits.ALL, task_waits.TIMED_OUT if state in _PENDING else (
                    task_waits.RAISED if state == "FINISHED" and _field(future, "_exception") is not None
                    else task_waits.INTERRUPTED))
                raise
            task_waits._finish(off, task_waits.ALL, task_waits.DONE)
            return value
        except BaseException as exc:
            _hide(exc)
            raise
    return wrap_future_result


def _field(obj, name):
    try:
        return obj.__dict__.get(name)
    except Exception:
        return None


def _item_names(batch):
    """Name blobs of the functions of a joblib batch's calls (None: not a batch)."""
    if _batched_calls is None or type(batch) is not _batched_calls:
        return None
    items = batch.__dict__.get("items")
    if type(items) is not list:
        return None
    return [writer.intern(safe_values.func_name(it[0] if type(it) is tuple and it else None))
            for it in items]


def _submitted(backend, names, result, t0):
    unit = _tls.__dict__.pop("loky_unit", 0)
    group = 0
    if unit:    # a loky future: the caller's get() waits for this group (_loky_wait)
        group = loky_group(unit)
        if len(_loky_waits) >= _MAX_LOKY_WAITS:
            _loky_waits.clear()
        _loky_waits[id(result)] = (_ref(result), group)
    else:
        job = getattr(result, "__dict__", {}).get("_job")
        if type(job) is not int:
            return
        unit = task_base(POOL, writer.pid(), job, 0)
        group = task_base(POOL_JOB_GROUP, writer.pid(), job, 0)
    _submit_items(backend, names, unit, t0)
    if group and names:     # what the caller's AsyncResult.get() / future.get() waits for
        writer.point_at(events.TASK_WAIT_MEMBER, t0, writer.get_ident(), group, 0, item_id(unit, 0),
                        len(names))


def _submit_items(backend, names, unit, t0):
    oid = _parallel_object(backend)
    site = _user_site(2)
    ident = writer.get_ident()
    for k, name in enumerate(names):
        writer.point_at(events.TASK_SUBMIT, t0, ident, item_id(unit, k), site, oid, name)


def _results(unit, n, ok):
    ts = writer.monotonic_ns()
    ident = writer.get_ident()
    for k in range(n):
        writer.point_at(events.TASK_RESULT, ts, ident, item_id(unit, k), 0, ok)


def _make_sequential_apply(orig):
    """SequentialBackend (n_jobs=1): the batch runs (and its completion
    callback is called) inside apply_async, in the caller's thread."""
    def apply_async(self, *args, **kwargs):
        try:
            unit = n = 0
            try:
                if writer.enabled:
                    names = _item_names(args[0] if args else kwargs.get("func"))
                    if names:
                        unit, n = writer.new_object_id(), len(names)
                        _submit_items(self, names, unit, writer.monotonic_ns())
            except Exception:
                unit = 0
                _failed()
            if not unit:
                return orig(self, *args, **kwargs)
            prev = _tls.__dict__.get("seq_unit", 0)
            _tls.seq_unit = unit
            try:
                result = orig(self, *args, **kwargs)
            except BaseException:
                try:
                    if _tls.__dict__.get("seq_unit") == unit and writer.enabled:
                        _results(unit, n, 0)     # the batch raised before its callback
                except Exception:
                    _failed()
                raise
            finally:
                _tls.seq_unit = prev
            return result
        except BaseException as exc:
            _hide(exc)
            raise
    return apply_async


def _pool_batch_delivered(callback, job, ok):
    """A Pool backend's batch result reached the caller (pools' result side)."""
    n = callback.__dict__.get("batch_size")
    if type(n) is int:
        _results(task_base(POOL, writer.pid(), job, 0), n, ok)


def _completed(callback, out):
    """A batch's completion callback (BatchCompletionCallBack) is running:
    loky's and the sequential backend's (the Pool backends' results are
    _pool_batch_delivered's)."""
    n = callback.__dict__.get("batch_size")
    if type(n) is not int:
        return
    unit = _loky_futures.pop(id(out), 0)
    ok = 1
    if unit:
        try:
            ok = 0 if out._exception is not None else 1     # a loky Future, done
        except Exception:
            ok = 1
    else:
        unit = _tls.__dict__.get("seq_unit", 0)
        if not unit:
            return
        _tls.seq_unit = 0       # its results are written
    _results(unit, n, ok)


# --- worker side ---------------------------------------------------------------

def _current_unit():
    unit = _tls.__dict__.get("seq_unit", 0) or _tls.__dict__.get("loky_unit", 0)
    if unit:
        return unit
    source = pool_workers.current_source()
    return getattr(source, "task", 0) if source is not None else 0


def _runner(task, fn):
    """fn, recording one TASK_RUN around its call (its frame is dropped from
    the traceback of an exception the call raises)."""
    def run(*args, **kwargs):
        span = 0
        try:
            if writer.enabled:
                span = writer.begin(events.TASK_RUN, task, 0, writer.intern(safe_values.func_name(fn)),
                                    writer.blob(safe_values.summary(args, kwargs)))
        except Exception:
            _failed()
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            if span:
                try:
                    writer.finish_time(span)
                except Exception:
                    _failed()
    return run


def _patch_parallel(mod):
    global _batched_calls
    BatchedCalls = getattr(mod, "BatchedCalls", None)
    if BatchedCalls is None or patching.is_wrapped(BatchedCalls.__dict__.get("__call__")):
        return
    _batched_calls = BatchedCalls

    def make_call(orig):
        def __call__(self):
            items = None
            try:
                unit = _current_unit() if writer.enabled else 0
                own = self.__dict__
                if unit and type(own.get("items")) is list:
                    items = own["items"]
                    own["items"] = [(_runner(item_id(unit, k), it[0]),) + it[1:]
                                    if type(it) is tuple and len(it) == 3 else it
                                    for k, it in enumerate(items)]
            except Exception:
                items = None
                _failed()
            try:
                return orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
            finally:
                if items is not None:
                    self.__dict__["items"] = items
        return __call__
    patching.wrap(BatchedCalls, "__call__", make_call)

    Callback = getattr(mod, "BatchCompletionCallBack", None)
    if Callback is not None:
        pool_workers.add_library_results(Callback, _pool_batch_delivered)
    if Callback is not None and "__call__" in Callback.__dict__:
        def make_done(orig):
            def __call__(self, out):
                try:
                    if writer.enabled:
                        _completed(self, out)
                except Exception:
                    _failed()
                return orig(self, out)
            return __call__
        patching.wrap(Callback, "__call__", make_done)


# --- loky --------------------------------------------------------------------

def _pipe_key(queue):
    reader = getattr(queue, "_reader", None)
    fileno = getattr(type(reader), "fileno", None)
    if fileno is None:
        return 0
    return os.fstat(fileno(reader)).st_ino


def _patch_loky(mod):
    Executor = getattr(mod, "ProcessPoolExecutor", None)
    CallItem = getattr(mod, "_CallItem", None)
    orig_worker = getattr(mod, "_process_worker", None)
    if Executor is None or CallItem is None or orig_worker is None or patching.is_wrapped(orig_worker):
        return

    def make_submit(orig):
        def submit(self, *args, **kwargs):
            try:
                unit = 0
                try:
                    if writer.enabled:
                        count = self.__dict__.get("_queue_count")
                        key = _pipe_key(self.__dict__.get("_call_queue"))
                        if type(count) is int and key:
                            unit = task_base(LOKY_WORK, key, count, 0)
                except Exception:
                    _failed()
                future = orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            if unit:
                _tls.loky_unit = unit
                _loky_futures[id(future)] = unit
            return future
        return submit
    patching.wrap(Executor, "submit", make_submit)

    def make_call(orig):
        def __call__(self):
            try:
                work_id = self.__dict__.get("work_id")
                _tls.loky_unit = (task_base(LOKY_WORK, _loky_queue_key, work_id, 0)
                                  if _loky_queue_key and type(work_id) is int else 0)
            except Exception:
                _failed()
            try:
                return orig(self)
            except BaseException as exc:
                _hide(exc)
                raise
            finally:
                _tls.loky_unit = 0
        return __call__
    patching.wrap(CallItem, "__call__", make_call)

    def _process_worker(call_queue, *args, **kwargs):
        global _loky_queue_key
        try:
            if writer.enabled:
                _loky_queue_key = _pipe_key(call_queue)
        except Exception:
            _failed()
        return orig_worker(call_queue, *args, **kwargs)
    mod._process_worker = patching.copy_identity(_process_worker, orig_worker)
