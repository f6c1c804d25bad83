"""Pools and executors: one task = one call of the user's function on a worker.

multiprocessing.Pool / ThreadPool (map, starmap, imap, imap_unordered, apply,
apply_async, map_async, starmap_async, any chunksize): here, the caller's
side.  concurrent.futures ThreadPoolExecutor / ProcessPoolExecutor (submit,
map with chunksize, as_completed): futures.  The workers' side:
pool_workers.  The caller's waits (AsyncResult.get, Future.result, ...):
task_waits.  Every element of a chunk is its own task.  Records:
TASK_SUBMIT in the caller's process, TASK_RUN on the worker around the call,
TASK_RESULT when the result reaches the caller's process, TASK_WAIT while a
thread waits for tasks; events.py describes the fields and how task ids are
formed (task_ids).

The worker learns a task's id without any change to the task messages (a
worker that is not traced receives exactly what it would without the tracer):
  Pool: id = task_base(1, pool process pid, job, i) + k; job is the Pool's
    process-wide job number and i the task index, both already in every task
    tuple; k is the position inside a chunk.  A process worker gets the pool
    process's pid from multiprocessing.parent_process(), a ThreadPool worker
    is in that process.
  ProcessPoolExecutor: id = task_base(2, executor object id, work_id, 0) + k;
    work_id is in every _CallItem, the executor id is in the worker's
    Process._config (processes.OWNER_CONFIG_KEY: one extra key in a dict the
    worker's Process object already carries; nothing reads it but us).
  ThreadPoolExecutor: an object id kept with the future (same process).

A library's batch unit (pool_workers.add_library_batch: joblib's
SafeFunction) is not a task of the pool: the library records the calls in
it.  Its result object's callback tells the result side (pool_workers.
add_library_results: the callback's type -> a function(callback, job, ok)
the library gives) and the caller's wait (pool_workers.library_group) that
it is such a batch.
"""
import os
import threading

from . import events, futures, patching, pool_workers, processes, safe_values, safety, sites, writer
from .task_ids import POOL, POOL_JOB_GROUP, owner_id, set_owner_id, task_base

_failed = safety.failed
_hide = safety.hide
_list_owner = {}                     # id(Pool._pool list) -> pool object id
_chunks = {}                         # (job, i) -> elements in that chunk (0: not a task)


def install():
    processes.when_imported("multiprocessing.pool", _patch_pool)
    processes.when_imported("concurrent.futures._base", futures.patch_future)
    processes.when_imported("concurrent.futures.thread", futures.patch_thread_executor)
    processes.when_imported("concurrent.futures.process", futures.patch_process_executor)


def after_fork_in_child():
    _chunks.clear()
    _list_owner.clear()
    futures.reset()
    pool_workers.reset()


def chunk_size(job, i):
    """Elements in task i of Pool job `job` (None if not submitted yet, or
    already delivered)."""
    return _chunks.get((job, i))


def _patch_pool(mod):
    Pool = mod.Pool
    if patching.is_wrapped(Pool.__dict__.get("__init__")):
        return
    mapstar, starmapstar = mod.mapstar, mod.starmapstar
    reraise = getattr(mod, "_helper_reraises_exception", None)
    chunked_funcs = (mapstar, starmapstar)
    grouped_results = tuple(c for c in (getattr(mod, "MapResult", None),
                                        getattr(mod, "IMapUnorderedIterator", None)) if c)

    def make_init(orig):
        def __init__(self, *args, **kwargs):
            try:
                oid = 0
                try:
                    if writer.enabled:
                        oid = writer.new_object_id()
                        set_owner_id(self, oid)
                except Exception:
                    oid = 0
                    _failed()
                if not oid:
                    return orig(self, *args, **kwargs)
                processes.with_owner(oid, orig, self, *args, **kwargs)
                try:
                    kind = "ThreadPool" if safe_values.is_subclass(type(self), mod.ThreadPool) else "Pool"
                    n = self.__dict__.get("_processes")
                    label = "%s(%s)" % (safe_values.name_of(type(self)), n if type(n) is int else "?")
                    writer.point(events.OBJECT, oid, sites.site(1), writer.intern(kind),
                                 writer.blob(label))
                except Exception:
                    _failed()
            except BaseException as exc:
                _hide(exc)
                raise
        return __init__
    patching.wrap(Pool, "__init__", make_init)

    orig_repopulate = Pool.__dict__["_repopulate_pool_static"].__func__

    def _repopulate_pool_static(ctx, Process, processes_, pool, *args, **kwargs):
        owner = 0
        try:
            owner = processes.spawn_owner.__dict__.get("id", 0)
            if owner:
                _list_owner[id(pool)] = owner
            else:
                owner = _list_owner.get(id(pool), 0)
        except Exception:
            _failed()
        if not owner:
            return orig_repopulate(ctx, Process, processes_, pool, *args, **kwargs)
        return processes.with_owner(owner, orig_repopulate, ctx, Process, processes_, pool,
                                    *args, **kwargs)
    Pool._repopulate_pool_static = staticmethod(
        patching.copy_identity(_repopulate_pool_static, orig_repopulate))

    # Caller side: TASK_SUBMIT as the task handler thread takes each task
    # from the user's call (for imap: as it pulls each element), written
    # with the caller's thread and call site.
    # (_guarded_task_generation_lazy: imap(buffersize=...) in newer versions)
    def _patch_generation(name):
        if name not in Pool.__dict__:
            return

        def make(orig):
            def generation(self, result_job, func, iterable, *args, **kwargs):
                gen = orig(self, result_job, func, iterable, *args, **kwargs)
                try:
                    if writer.enabled:
                        cache = self.__dict__.get("_cache")
                        grouped = (cache is not None and type(result_job) is int
                                   and type(cache.get(result_job)) in grouped_results)
                        return _submitting(gen, writer.get_ident(), sites.site(1), owner_id(self),
                                           writer.pid(), func is mapstar or func is starmapstar,
                                           grouped)
                except Exception:
                    _failed()
                return gen
            return generation
        patching.wrap(Pool, name, make)

    _patch_generation("_guarded_task_generation")
    _patch_generation("_guarded_task_generation_lazy")

    def _submitting(gen, ident, site, pool_oid, pid, chunked, grouped):
        for task in gen:
            try:
                _submit_task(task, ident, site, pool_oid, pid, chunked, grouped)
            except Exception:
                _failed()
            yield task

    def _submit_task(task, ident, site, pool_oid, pid, chunked, grouped):
        job, i, func, args = task[0], task[1], task[2], task[3]
        if func is reraise or pool_workers.is_library_batch(func):
            _chunks[(job, i)] = 0
            return
        ts = writer.monotonic_ns()
        point_at = writer.point_at
        base = task_base(POOL, pid, job, i)
        if chunked:
            fn, chunk = args[0]
            n = len(chunk)
            _chunks[(job, i)] = n
            fblob = writer.intern(safe_values.func_name(fn))
            for k in range(n):
                point_at(events.TASK_SUBMIT, ts, ident, base + k, site, pool_oid, fblob)
        else:
            n = 1
            point_at(events.TASK_SUBMIT, ts, ident, base, site, pool_oid,
                     writer.intern(safe_values.func_name(func)))
        if grouped:     # a job some thread waits for as a whole (task_waits)
            point_at(events.TASK_WAIT_MEMBER, ts, ident, task_base(POOL_JOB_GROUP, pid, job, 0),
                     0, base, n)

    def make_apply_async(orig):
        def apply_async(self, func, *args, **kwargs):
            try:
                t0 = writer.monotonic_ns()
                result = orig(self, func, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                job = result.__dict__.get("_job")
                if writer.enabled and type(job) is int and pool_workers.is_library_batch(func):
                    _library_job(self, job)
                elif writer.enabled and type(job) is int:
                    writer.point_at(events.TASK_SUBMIT, t0, writer.get_ident(),
                                    task_base(POOL, writer.pid(), job, 0), sites.site(1),
                                    owner_id(self), writer.intern(safe_values.func_name(func)))
            except Exception:
                _failed()
            return result
        return apply_async
    patching.wrap(Pool, "apply_async", make_apply_async)

    def _library_job(pool, job):
        """A library's batch unit applied: no result of its own either.  Marked
        first, then unmarked if the result was handed over already (it leaves
        the cache after _delivered), so a mark never outlives its job."""
        _chunks[(job, 0)] = 0
        cache = pool.__dict__.get("_cache")
        if type(cache) is not dict and not safe_values.is_subclass(type(cache), dict):
            return
        if not dict.__contains__(cache, job):
            _chunks.pop((job, 0), None)

    # Result side: when the result-handler thread hands a result to the
    # caller's result object (before callbacks run and before get() returns).
    def _delivered(result, job, i, obj):
        n = _chunks.pop((job, i), None)
        hit = pool_workers.library_callback(result)
        if hit is not None:     # a library's batch: the results of its calls
            hit[1](hit[0], job, 1 if type(obj) is tuple and obj and obj[0] else 0)
            return
        if n == 0:
            return
        ok = 1 if type(obj) is tuple and obj and obj[0] else 0
        pid = writer.pid()
        if n is None:
            writer.point(events.TASK_RESULT, task_base(POOL, pid, job, i), 0, ok)
        else:
            ts = writer.monotonic_ns()
            ident = writer.get_ident()
            base = task_base(POOL, pid, job, i)
            for k in range(n):
                writer.point_at(events.TASK_RESULT, ts, ident, base + k, 0, ok)

    def make_set(orig):
        def _set(self, i, obj):
            try:
                job = self.__dict__.get("_job")
                if writer.enabled and type(job) is int:
                    _delivered(self, job, i, obj)
            except Exception:
                _failed()
            return orig(self, i, obj)
        return _set

    for name in ("ApplyResult", "MapResult", "IMapIterator", "IMapUnorderedIterator"):
        cls = getattr(mod, name, None)
        if cls is not None and "_set" in cls.__dict__:
            patching.wrap(cls, "_set", make_set)

    # Worker side.
    orig_worker = mod.worker

    def worker(inqueue, outqueue, *args, **kwargs):
        try:
            if writer.enabled:
                if threading.current_thread() is threading.main_thread():
                    parent = _parent_pid()
                else:
                    parent = writer.pid()        # a ThreadPool worker thread
                source = pool_workers.PoolTasks(inqueue, parent, chunked_funcs, reraise, task_base)
                inqueue, outqueue = source, pool_workers.Results(outqueue, source)
                pool_workers.set_source(source)
        except Exception:
            _failed()
        return orig_worker(inqueue, outqueue, *args, **kwargs)
    mod.worker = patching.copy_identity(worker, orig_worker)
    pool_workers.end_run_on_exception(getattr(mod, "ExceptionWithTraceback", None))

    from . import task_waits
    task_waits.patch_pool_results(mod)


def _parent_pid():
    try:
        import multiprocessing.process as mp_process
        parent = mp_process.parent_process()
        if parent is not None and parent.pid:
            return parent.pid
        return mp_process.current_process()._parent_pid or os.getppid()
    except Exception:
        return os.getppid()
