"""dask's local schedulers (dask.local.get_async: the threaded and the
multiprocessing scheduler): installed when the program imports dask.local,
never importing dask itself.

One task per dask key.  get_async submits ready keys in batches
(batch_execute_tasks(args) on an executor: a ThreadPoolExecutor, or a
ProcessPoolExecutor under the multiprocessing scheduler).  The batch is
library machinery, not a task (pool_workers.add_library_batch: the executor
writes no records for it), but it has the executor task id futures.py gives
it, which both sides know: the caller from the future, a worker thread from
futures.running_task(), a worker process from its call item (pool_workers).  Key k of a batch: task id task_base(DASK_KEY,
batch task id, k, 0).  Records: TASK_SUBMIT in the caller as the batch is
submitted (b = the key's text, site = the user's compute() line), TASK_RUN
on the worker around execute_task (a = the key's text, b = 0), TASK_RESULT as
the batch's future completes (a = 0 for a key whose task raised).  The pool
object: OBJECT a="dask", b="dask threads(4)" / "dask processes(4)".
The synchronous scheduler (scheduler="synchronous": dask's own
SynchronousExecutor, whose submit runs the batch before it returns): the
batch's unit is an object id of the caller's; submit, run and result are all
in the caller's thread; OBJECT b="dask synchronous(1)".
dask.distributed is not covered here.
"""
import threading

from . import events, futures, lib_sites, patching, pool_workers, safe_values, safety, writer
from .task_ids import POOL, task_base

_failed = safety.failed
_hide = safety.hide

DASK_KEY = 6        # task_ids domain: (6, batch task id, k, 0)
_tls = threading.local()    # worker: .unit, .k for the batch being run; caller: .sync_unit (a
                            # synchronous batch running inside submit)
_pools = {}                 # id(submit's executor) -> (executor, object id)


def install():
    from . import processes
    processes.when_imported("dask.local", _patch_local)


def after_fork_in_child():
    _tls.__dict__.clear()
    _pools.clear()


_KEY_NAME_CHARS = 80


def key_text(key):
    """A dask key as text: a str as it is (at most 80 characters), a tuple
    key (name, i, j, ...) of dask.array / dask.dataframe as "('name', i, j)"
    with its whole name (the name is what a user recognises: "sum-aggregate-
    5574..."); anything else as safe_values shows a value."""
    t = type(key)
    if t is str:
        return key if len(key) <= _KEY_NAME_CHARS else key[:_KEY_NAME_CHARS - 1] + "\u2026"
    if t is tuple and 0 < len(key) <= 8 and type(key[0]) is str:
        name = key[0] if len(key[0]) <= _KEY_NAME_CHARS else key[0][:_KEY_NAME_CHARS - 1] + "\u2026"
        parts = [str.__repr__(name)]
        for x in key[1:]:
            if type(x) is int and -(1 << 63) <= x < (1 << 63):
                parts.append(int.__repr__(x))
            else:
                parts.append(safe_values.value_text(x, 1))
        return "(%s,)" % parts[0] if len(parts) == 1 else "(%s)" % ", ".join(parts)
    return safe_values.value_text(key)


_user_site = lib_sites.user_site


def _pool_object(submit, num_workers):
    executor = getattr(submit, "__self__", None)
    if executor is None:
        return 0
    hit = _pools.get(id(executor))
    if hit is not None and hit[0] is executor:
        return hit[1]
    kind = safe_values.name_of(type(executor))
    kind = ("threads" if "Thread" in kind else "processes" if "Process" in kind
            else "synchronous" if kind == "SynchronousExecutor" else kind)
    pool = getattr(executor, "__dict__", {}).get("pool") if kind == "MultiprocessingPoolExecutor" else None
    if pool is not None:    # the program's own Pool / ThreadPool
        kind = safe_values.name_of(type(pool))
    oid = writer.new_object_id()
    _pools[id(executor)] = (executor, oid)
    writer.point(events.OBJECT, oid, _user_site(), writer.intern("dask"),
                 writer.blob("dask %s(%s)" % (kind, num_workers if type(num_workers) is int else "?")))
    return oid


def _patch_local(mod):
    orig_get = getattr(mod, "get_async", None)
    orig_batch = getattr(mod, "batch_execute_tasks", None)
    orig_execute = getattr(mod, "execute_task", None)
    if orig_get is None or orig_batch is None or orig_execute is None or patching.is_wrapped(orig_get):
        return

    sync_executor = getattr(mod, "SynchronousExecutor", None)

    # Caller: get_async(submit, num_workers, dsk, result, ...) with its submit wrapped.
    def get_async(submit, num_workers, *args, **kwargs):
        try:
            if writer.enabled and callable(submit):
                executor = getattr(submit, "__self__", None)
                if sync_executor is not None and type(executor) is sync_executor:
                    submit = _sync_submitter(submit, num_workers, orig_batch)
                else:
                    submit = _submitter(submit, num_workers, orig_batch)
        except Exception:
            _failed()
        return orig_get(submit, num_workers, *args, **kwargs)
    mod.get_async = patching.copy_identity(get_async, orig_get)

    # Worker: the batch's unit, then one TASK_RUN per execute_task.
    def batch_execute_tasks(it):
        try:
            unit = (_tls.__dict__.get("sync_unit", 0) or _running_unit()) if writer.enabled else 0
            _tls.sync_unit = 0      # (a batch this one runs is not the synchronous one)
            _tls.unit, _tls.k = unit, 0
        except Exception:
            _failed()
        try:
            return orig_batch(it)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            _tls.unit = 0
    mod.batch_execute_tasks = patching.copy_identity(batch_execute_tasks, orig_batch)
    pool_workers.add_library_batch(orig_batch)
    pool_workers.add_library_batch(mod.batch_execute_tasks)

    def execute_task(key, *args, **kwargs):
        span = 0
        try:
            unit = _tls.__dict__.get("unit", 0)
            if unit and writer.enabled:
                k = _tls.k
                _tls.k = k + 1
                label = writer.blob(key_text(key))
                span = writer.begin(events.TASK_RUN, task_base(DASK_KEY, unit, k, 0), 0, label, 0)
        except Exception:
            _failed()
        try:
            return orig_execute(key, *args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            if span:
                try:
                    writer.finish_time(span)
                except Exception:
                    _failed()
    mod.execute_task = patching.copy_identity(execute_task, orig_execute)

    # A Pool the program gave (dask.config.set(pool=Pool(n))): MultiprocessingPoolExecutor.submit
    # hands the batch to the Pool's apply_async through submit_apply_async.
    orig_apply = getattr(mod, "submit_apply_async", None)
    if orig_apply is not None and not patching.is_wrapped(orig_apply):
        mod.submit_apply_async = patching.copy_identity(_pool_submitter(orig_apply), orig_apply)


def _running_unit():
    unit = futures.running_task()
    if unit:
        return unit
    source = pool_workers.current_source()
    return getattr(source, "task", 0) if source is not None else 0


def _pool_submitter(orig):
    """submit_apply_async(apply_async, fn, ...): the Pool job of the batch is
    noted (_tls.pool_job: the job number of the result object apply_async
    returns) for the submitter; apply_async is called as dask calls it."""
    def submit_apply_async(apply_async, fn, *args, **kwargs):
        box = []

        def noted(*a, **k):
            result = apply_async(*a, **k)
            box.append(result)
            return result
        try:
            return orig(noted if callable(apply_async) else apply_async, fn, *args, **kwargs)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            try:
                job = box[0].__dict__.get("_job") if box else None
                _tls.pool_job = job if type(job) is int else None
            except Exception:
                _failed()
    return submit_apply_async


def _submitter(submit, num_workers, batch_fn):
    def traced_submit(fn, *args, **kwargs):
        futures.take_created()
        _tls.pool_job = None
        future = submit(fn, *args, **kwargs)
        try:
            task = futures.take_created()    # the future may be done (and forgotten) already
            job = _tls.__dict__.pop("pool_job", None)
            # a Pool's job: its id as the Pool's worker knows it (pools.py)
            unit = task.ids[0] if task is not None else task_base(POOL, writer.pid(), job, 0) if job is not None else 0
            if unit and writer.enabled and args and type(args[0]) is list and _is_batch(fn, batch_fn):
                _submitted(future, unit, args[0], _pool_object(submit, num_workers))
        except Exception:
            _failed()
        return future
    return traced_submit


def _sync_submitter(submit, num_workers, batch_fn):
    """SynchronousExecutor.submit: the batch runs inside it, in this thread."""
    def traced_submit(fn, *args, **kwargs):
        unit = 0
        try:
            if writer.enabled and args and type(args[0]) is list and _is_batch(fn, batch_fn):
                unit = writer.new_object_id()
                _submit_keys(unit, args[0], _pool_object(submit, num_workers), writer.monotonic_ns())
                _tls.sync_unit = unit
        except Exception:
            _failed()
        try:
            future = submit(fn, *args, **kwargs)
        finally:
            _tls.sync_unit = 0
        try:
            if unit:
                future.add_done_callback(_done_callback(unit, len(args[0])))
        except Exception:
            _failed()
        return future
    return traced_submit


def _is_batch(fn, batch_fn):
    return fn is batch_fn or getattr(fn, "__wrapped__", None) is batch_fn


def _submitted(future, unit, batch, oid):
    n = _submit_keys(unit, batch, oid, writer.monotonic_ns())
    future.add_done_callback(_done_callback(unit, n))


def _submit_keys(unit, batch, oid, ts):
    ident = writer.get_ident()
    site = _user_site(2)
    n = 0
    for k, a in enumerate(batch):
        key = a[0] if type(a) is tuple and a else None
        writer.point_at(events.TASK_SUBMIT, ts, ident, task_base(DASK_KEY, unit, k, 0), site, oid,
                        writer.blob(key_text(key)))
        n += 1
    return n


def _done_callback(unit, n):
    def done(future):
        try:
            if not writer.enabled:
                return
            failed = ()
            every = 1           # the batch itself raised (the scheduler re-raises: all 0) or was cancelled (2)
            if future.cancelled():
                every = 2
            elif future._exception is not None:
                every = 0
            else:
                out = future._result
                if type(out) is list:
                    failed = [type(r) is tuple and len(r) == 3 and r[2] is True for r in out]
            ts = writer.monotonic_ns()
            ident = writer.get_ident()
            for k in range(n):
                ok = 0 if (k < len(failed) and failed[k]) else every
                writer.point_at(events.TASK_RESULT, ts, ident, task_base(DASK_KEY, unit, k, 0), 0, ok)
        except Exception:
            _failed()
    return done
