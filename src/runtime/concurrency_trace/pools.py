"""Pools and executors: one task = one call of the user's function on a worker.

multiprocessing.Pool / ThreadPool (map, starmap, imap, imap_unordered, apply,
apply_async, map_async, starmap_async, any chunksize) and concurrent.futures
ThreadPoolExecutor / ProcessPoolExecutor (submit, map with chunksize,
as_completed).  Every element of a chunk is its own task.  Records:
TASK_SUBMIT in the caller's process, TASK_RUN on the worker around the call,
TASK_RESULT when the result reaches the caller's process; events.py
describes the fields and how task ids are formed.

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

Worker side: multiprocessing.pool.worker and concurrent.futures.process.
_process_worker are replaced by wrappers (same module and qualname, so a
Process pickled under spawn/forkserver names the same function; an untraced
child gets the original) that hand the original its own queues behind a thin
proxy: get() notes the task that just arrived, put() the result leaving.
A chunk's elements are handed to mapstar / _process_chunk through an
iterator that times each element.  The user's function is never wrapped, so
its exceptions and tracebacks are exactly as without the tracer.
"""
import collections
import functools
import itertools
import os
import sys
import threading
import weakref

from . import events, processes, sites, writer

_M64 = (1 << 64) - 1
_POOL = 1
_PROCESS_EXECUTOR = 2

_ids = weakref.WeakKeyDictionary()   # pool / executor -> object id
_list_owner = {}                     # id(Pool._pool list) -> pool object id
_chunks = {}                         # (job, i) -> elements in that chunk (0: not a task)
_futures = {}                        # Future -> _Task, until it completes
_tls = threading.local()             # .pending: a submit() in progress in this thread
_worker_tls = threading.local()      # .source: the task source of this worker thread

SUMMARY_CHARS = 60


def task_base(domain, a, b, c):
    """The id of element 0 of a task, from four integers; element k of a
    chunk is base + k.  Below 2**51, non-zero, the same in every process and
    Python version (splitmix64 finaliser over the inputs)."""
    h = _mix((domain * 0x9E3779B97F4A7C15 + a) & _M64)
    h = _mix((h ^ (b * 0xC2B2AE3D27D4EB4F + c)) & _M64)
    return (h >> 13) or 1


def _mix(x):
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def func_name(fn):
    try:
        if isinstance(fn, functools.partial):
            return "partial(%s)" % func_name(fn.func)
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
        if not isinstance(name, str):
            name = type(fn).__qualname__
        return name
    except Exception:
        return "?"


def summary(args, kwargs=None):
    """Short text of a call's arguments: "3", "'a', 2, key=5"; never raises.

    Its cost does not grow with the arguments' size: strings and bytes are cut
    before repr, containers show their first items (no sorting), ints beyond
    64 bits their size, array-like objects of numpy / pandas / torch / ...
    their type and shape.  Other objects are repr()'d (a failing repr gives
    "<Type>"), except that an object without its own __repr__ is "<Type>"."""
    try:
        parts = [_one(a, 0) for a in args]
        if kwargs:
            parts.extend("%s=%s" % (k, _one(v, 0)) for k, v in kwargs.items())
        text = ", ".join(parts)
    except Exception:
        text = "?"
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS - 3] + "..."
    return text


_PLAIN = (float, complex, bool, type(None), type(Ellipsis))
_ARRAY_MODULES = frozenset(("numpy", "pandas", "torch", "polars", "scipy", "xarray", "jax",
                            "jaxlib", "cupy", "dask", "pyarrow", "tensorflow"))
_BRACKETS = {tuple: "()", list: "[]", set: "{}", frozenset: "{}", collections.deque: "[]"}
_DICTS = frozenset((dict, collections.OrderedDict, collections.defaultdict, collections.Counter))


def _one(value, depth):
    try:
        t = type(value)
        if t is int:
            if -(1 << 63) <= value < (1 << 63):
                return int.__repr__(value)
            return "<int %d bits>" % value.bit_length()
        if t in _PLAIN:
            return repr(value)
        if t is str:
            return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
        if t is bytes or t is bytearray:
            return repr(value) if len(value) <= 24 else repr(value[:24]) + "..."
        brackets = _BRACKETS.get(t)
        if brackets is not None or t in _DICTS:
            if depth >= 2:
                return "{...}" if brackets is None else brackets[0] + "..." + brackets[1]
            if brackets is None:
                items = ["%s: %s" % (_one(k, depth + 1), _one(v, depth + 1))
                         for k, v in itertools.islice(value.items(), 3)]
                more = len(value) > 3
                brackets = "{}"
            else:
                items = [_one(v, depth + 1) for v in itertools.islice(value, 4)]
                more = len(value) > 4
            if more:
                items.append("...")
            text = ", ".join(items)
            if t is tuple and len(value) == 1:
                text += ","
            return brackets[0] + text + brackets[1]
        name = t.__qualname__
        if t.__module__.partition(".")[0] in _ARRAY_MODULES:
            shape = getattr(value, "shape", None)
            if isinstance(shape, tuple):
                return "<%s shape=%s>" % (name, "x".join(map(str, shape)) or "()")
            return "<%s>" % name
        if t.__repr__ is object.__repr__:
            return "<%s>" % name
        text = repr(value)
        if not isinstance(text, str):
            return "<%s>" % name
        return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "..."
    except Exception:
        try:
            return "<%s>" % type(value).__qualname__
        except Exception:
            return "?"


def install():
    processes.when_imported("multiprocessing.pool", _patch_pool)
    processes.when_imported("concurrent.futures._base", _patch_future)
    processes.when_imported("concurrent.futures.thread", _patch_thread_executor)
    processes.when_imported("concurrent.futures.process", _patch_process_executor)


def after_fork_in_child():
    _chunks.clear()
    _futures.clear()
    _list_owner.clear()
    _tls.__dict__.clear()
    _worker_tls.__dict__.clear()


def _declare(obj, kind, label, site):
    oid = writer.new_object_id()
    _ids[obj] = oid
    writer.point(events.OBJECT, oid, site, writer.intern(kind), writer.blob(label))
    return oid


def _with_owner(owner, call, /, *args, **kwargs):
    local = processes.spawn_owner
    previous = local.__dict__.get("id", 0)
    local.id = owner
    try:
        return call(*args, **kwargs)
    finally:
        local.id = previous


# --- multiprocessing.Pool ----------------------------------------------------

def _patch_pool(mod):
    Pool = mod.Pool
    if getattr(Pool.__init__, "__wrapped__", None) is not None:
        return
    copy = processes.copy_identity
    mapstar, starmapstar = mod.mapstar, mod.starmapstar
    reraise = getattr(mod, "_helper_reraises_exception", None)
    chunked_funcs = (mapstar, starmapstar)

    orig_init = Pool.__init__

    def __init__(self, *args, **kwargs):
        oid = 0
        try:
            if writer.enabled:
                oid = writer.new_object_id()
                _ids[self] = oid
        except Exception:
            oid = 0
        if not oid:
            return orig_init(self, *args, **kwargs)
        _with_owner(oid, orig_init, self, *args, **kwargs)
        try:
            kind = "ThreadPool" if isinstance(self, mod.ThreadPool) else "Pool"
            label = "%s(%s)" % (type(self).__name__, getattr(self, "_processes", "?"))
            writer.point(events.OBJECT, oid, sites.site(1), writer.intern(kind), writer.blob(label))
        except Exception:
            pass
    Pool.__init__ = copy(__init__, orig_init)

    orig_repopulate = Pool.__dict__["_repopulate_pool_static"].__func__

    def _repopulate_pool_static(ctx, Process, processes_, pool, *args, **kwargs):
        try:
            owner = processes.spawn_owner.__dict__.get("id", 0)
            if owner:
                _list_owner[id(pool)] = owner
            else:
                owner = _list_owner.get(id(pool), 0)
        except Exception:
            owner = 0
        if not owner:
            return orig_repopulate(ctx, Process, processes_, pool, *args, **kwargs)
        return _with_owner(owner, orig_repopulate, ctx, Process, processes_, pool, *args, **kwargs)
    Pool._repopulate_pool_static = staticmethod(copy(_repopulate_pool_static, orig_repopulate))

    # Caller side: TASK_SUBMIT as the task handler thread takes each task
    # from the user's call (for imap: as it pulls each element), written
    # with the caller's thread and call site.
    # (_guarded_task_generation_lazy: imap(buffersize=...) in newer versions)
    def _patch_generation(name):
        orig_generation = Pool.__dict__.get(name)
        if orig_generation is None:
            return

        def generation(self, result_job, func, iterable, *args, **kwargs):
            gen = orig_generation(self, result_job, func, iterable, *args, **kwargs)
            try:
                if writer.enabled:
                    return _submitting(gen, writer.get_ident(), sites.site(1), _ids.get(self, 0),
                                       writer.pid(), func is mapstar or func is starmapstar)
            except Exception:
                pass
            return gen
        setattr(Pool, name, copy(generation, orig_generation))

    _patch_generation("_guarded_task_generation")
    _patch_generation("_guarded_task_generation_lazy")

    def _submitting(gen, ident, site, pool_oid, pid, chunked):
        for task in gen:
            try:
                _submit_task(task, ident, site, pool_oid, pid, chunked)
            except Exception:
                pass
            yield task

    def _submit_task(task, ident, site, pool_oid, pid, chunked):
        job, i, func, args = task[0], task[1], task[2], task[3]
        if func is reraise:
            _chunks[(job, i)] = 0
            return
        ts = writer.monotonic_ns()
        point_at = writer.point_at
        if chunked:
            fn, chunk = args[0]
            n = len(chunk)
            _chunks[(job, i)] = n
            fblob = writer.intern(func_name(fn))
            base = task_base(_POOL, pid, job, i)
            for k in range(n):
                point_at(events.TASK_SUBMIT, ts, ident, base + k, site, pool_oid, fblob)
        else:
            point_at(events.TASK_SUBMIT, ts, ident, task_base(_POOL, pid, job, i), site, pool_oid,
                     writer.intern(func_name(func)))

    orig_apply_async = Pool.apply_async

    def apply_async(self, func, *args, **kwargs):
        t0 = writer.monotonic_ns()
        result = orig_apply_async(self, func, *args, **kwargs)
        try:
            if writer.enabled:
                writer.point_at(events.TASK_SUBMIT, t0, writer.get_ident(),
                                task_base(_POOL, writer.pid(), result._job, 0), sites.site(1),
                                _ids.get(self, 0), writer.intern(func_name(func)))
        except Exception:
            pass
        return result
    Pool.apply_async = copy(apply_async, orig_apply_async)

    # Result side: when the result-handler thread hands a result to the
    # caller's result object (before callbacks run and before get() returns).
    def _delivered(job, i, obj):
        n = _chunks.pop((job, i), None)
        if n == 0:
            return
        ok = 1 if obj[0] else 0
        pid = writer.pid()
        if n is None:
            writer.point(events.TASK_RESULT, task_base(_POOL, pid, job, i), 0, ok)
        else:
            ts = writer.monotonic_ns()
            ident = writer.get_ident()
            base = task_base(_POOL, pid, job, i)
            for k in range(n):
                writer.point_at(events.TASK_RESULT, ts, ident, base + k, 0, ok)

    def _patch_set(cls):
        orig = cls.__dict__.get("_set")
        if orig is None:
            return

        def _set(self, i, obj):
            try:
                if writer.enabled:
                    _delivered(self._job, i, obj)
            except Exception:
                pass
            return orig(self, i, obj)
        cls._set = copy(_set, orig)

    for name in ("ApplyResult", "MapResult", "IMapIterator", "IMapUnorderedIterator"):
        cls = getattr(mod, name, None)
        if cls is not None:
            _patch_set(cls)

    # Worker side.
    orig_worker = mod.worker

    def worker(inqueue, outqueue, *args, **kwargs):
        try:
            if writer.enabled:
                if threading.current_thread() is threading.main_thread():
                    parent = _parent_pid()
                else:
                    parent = writer.pid()        # a ThreadPool worker thread
                source = _PoolTasks(inqueue, parent, chunked_funcs, reraise)
                inqueue, outqueue = source, _Results(outqueue, source)
                _worker_tls.source = source
        except Exception:
            pass
        return orig_worker(inqueue, outqueue, *args, **kwargs)
    mod.worker = copy(worker, orig_worker)
    _end_run_on_exception(getattr(mod, "ExceptionWithTraceback", None))


def _end_run_on_exception(cls):
    """A worker wraps a task's exception (formatting its traceback) before it
    sends the result: the task ended when the exception was caught."""
    if cls is None or getattr(cls.__init__, "__wrapped__", None) is not None:
        return
    orig = cls.__init__

    def __init__(self, *args, **kwargs):
        source = _worker_tls.__dict__.get("source")
        if source is not None:
            source.ended()
        orig(self, *args, **kwargs)
    cls.__init__ = processes.copy_identity(__init__, orig)


def _parent_pid():
    try:
        import multiprocessing.process as mp_process
        parent = mp_process.parent_process()
        if parent is not None and parent.pid:
            return parent.pid
        return mp_process.current_process()._parent_pid or os.getppid()
    except Exception:
        return os.getppid()


class _QueueProxy:
    """Stands in for a worker's queue: only get/put are seen, every other
    attribute is the queue's own."""
    __slots__ = ("_queue",)

    def __init__(self, queue):
        self._queue = queue

    def __getattr__(self, name):
        if name == "_queue":
            raise AttributeError(name)
        return getattr(self._queue, name)


class _Elements:
    """The elements of one chunk, handed to mapstar / _process_chunk in place
    of the chunk; each next() ends the previous element's TASK_RUN and begins
    the next one's."""
    __slots__ = ("_it", "_base", "_fblob", "_star", "_k", "span")

    def __init__(self, chunk, base, fn, star):
        self._it = iter(chunk)
        self._base = base            # task id of element 0
        self._fblob = writer.intern(func_name(fn))
        self._star = star            # elements are argument tuples
        self._k = 0
        self.span = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.span:
            self.close()
        x = next(self._it)
        try:
            if writer.enabled:
                args = x if self._star else (x,)
                self.span = writer.begin(events.TASK_RUN, self._base + self._k, 0, self._fblob,
                                         writer.blob(summary(args)))
        except Exception:
            self.span = 0
        self._k += 1
        return x

    def close(self):
        span, self.span = self.span, 0
        if span:
            try:
                writer.finish_time(span)
            except Exception:
                pass


class _PoolTasks(_QueueProxy):
    __slots__ = ("_get", "_parent", "_chunked", "_reraise", "span", "elements")

    def __init__(self, queue, parent, chunked, reraise):
        _QueueProxy.__init__(self, queue)
        self._get = queue.get
        self._parent = parent
        self._chunked = chunked
        self._reraise = reraise
        self.span = 0
        self.elements = None

    def get(self, *args, **kwargs):
        task = self._get(*args, **kwargs)
        if task is not None:
            try:
                if writer.enabled:
                    task = self._started(task)
            except Exception:
                pass
        return task

    def _started(self, task):
        job, i, func, args, kwds = task
        parent = self._parent
        if func is self._chunked[0] or func is self._chunked[1]:
            fn, chunk = args[0]
            elements = _Elements(chunk, task_base(_POOL, parent, job, i), fn,
                                 func is self._chunked[1])
            self.elements = elements
            return (job, i, func, ((fn, elements),), kwds)
        if func is not self._reraise:
            self.span = writer.begin(events.TASK_RUN, task_base(_POOL, parent, job, i), 0,
                                     writer.intern(func_name(func)), writer.blob(summary(args, kwds)))
        return task

    def ended(self):
        span, self.span = self.span, 0
        if span:
            try:
                writer.finish_time(span)
            except Exception:
                pass
        elements, self.elements = self.elements, None
        if elements is not None:
            elements.close()


class _Results(_QueueProxy):
    __slots__ = ("_put", "_source")

    def __init__(self, queue, source):
        _QueueProxy.__init__(self, queue)
        self._put = queue.put
        self._source = source

    def put(self, *args, **kwargs):
        self._source.ended()
        return self._put(*args, **kwargs)


# --- concurrent.futures --------------------------------------------------------

class _Task:
    __slots__ = ("ids", "kind", "fblob", "fn", "args", "kwargs", "span")

    def __init__(self, ids, kind, fblob, fn=None, args=(), kwargs=None):
        self.ids = ids            # task ids, one per element
        self.kind = kind          # "thread" or "process"
        self.fblob = fblob
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.span = 0


def _begin_submit(executor, kind, fn, args, kwargs, site):
    """Called by a patched submit() before the original: the Future that
    submit() creates next in this thread becomes the task."""
    _tls.pending = (executor, kind, fn, args, kwargs, site, writer.get_ident())


def _future_created(future, pending):
    executor, kind, fn, args, kwargs, site, ident = pending
    oid = _ids.get(executor, 0)
    if kind == "thread":
        ids = (writer.new_object_id(),)
        fblob = writer.intern(func_name(fn))
        task = _Task(ids, kind, fblob, fn, args, kwargs)
    else:
        work_id = executor._queue_count
        chunk_fn = _process_chunk_fn[0]
        if (chunk_fn is not None and isinstance(fn, functools.partial) and fn.func is chunk_fn
                and fn.args and len(args) == 1):
            n = len(args[0])
            fblob = writer.intern(func_name(fn.args[0]))
        else:
            n = 1
            fblob = writer.intern(func_name(fn))
        base = task_base(_PROCESS_EXECUTOR, oid, work_id, 0)
        ids = tuple(range(base, base + n))
        task = _Task(ids, kind, fblob)
    _futures[future] = task
    ts = writer.monotonic_ns()
    for tid in task.ids:
        writer.point_at(events.TASK_SUBMIT, ts, ident, tid, site, oid, fblob)


_process_chunk_fn = [None]


def _patch_future(mod):
    Future = mod.Future
    if getattr(Future.__init__, "__wrapped__", None) is not None:
        return
    copy = processes.copy_identity
    orig_init = Future.__init__
    orig_running = Future.set_running_or_notify_cancel
    orig_set_result = Future.set_result
    orig_set_exception = Future.set_exception
    orig_cancel = Future.cancel

    def __init__(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        pending = _tls.__dict__.get("pending")
        if pending is not None:
            _tls.pending = None
            try:
                if writer.enabled:
                    _future_created(self, pending)
            except Exception:
                pass

    def set_running_or_notify_cancel(self):
        result = orig_running(self)
        if result and _futures:
            try:
                task = _futures.get(self)
                if task is not None and task.kind == "thread" and writer.enabled:
                    task.span = writer.begin(events.TASK_RUN, task.ids[0], 0, task.fblob,
                                             writer.blob(summary(task.args, task.kwargs)))
                    task.fn = task.args = task.kwargs = None
            except Exception:
                pass
        return result

    def _completer(orig, ok):
        def complete(self, value):
            task = None
            if _futures:
                try:
                    task = _futures.pop(self, None)
                except Exception:
                    task = None
            if task is None:
                return orig(self, value)
            ts = 0
            try:
                if task.span:
                    writer.finish_time(task.span)
                ts = writer.monotonic_ns()
            except Exception:
                pass
            result = orig(self, value)
            _results(task, ts, ok)
            return result
        return copy(complete, orig)

    def cancel(self):
        result = orig_cancel(self)
        if result and _futures:
            try:
                task = _futures.pop(self, None)
            except Exception:
                task = None
            if task is not None:
                _results(task, 0, 2)
        return result

    Future.__init__ = copy(__init__, orig_init)
    Future.set_running_or_notify_cancel = copy(set_running_or_notify_cancel, orig_running)
    Future.set_result = _completer(orig_set_result, 1)
    Future.set_exception = _completer(orig_set_exception, 0)
    Future.cancel = copy(cancel, orig_cancel)


def _results(task, ts, ok):
    try:
        if writer.enabled:
            ts = ts or writer.monotonic_ns()
            ident = writer.get_ident()
            for tid in task.ids:
                writer.point_at(events.TASK_RESULT, ts, ident, tid, 0, ok)
    except Exception:
        pass


def _patch_submit(cls, kind):
    orig_submit = cls.__dict__.get("submit")
    if orig_submit is None or getattr(orig_submit, "__wrapped__", None) is not None:
        return

    def submit(*args, **kwargs):
        # (self, fn, /, *args, **kwargs); 3.8 still accepts fn=... by keyword
        try:
            if writer.enabled and len(args) >= 1:
                if len(args) >= 2:
                    fn, call_args, call_kwargs = args[1], args[2:], kwargs
                else:
                    call_kwargs = dict(kwargs)
                    fn, call_args = call_kwargs.pop("fn", None), ()
                _begin_submit(args[0], kind, fn, call_args, call_kwargs, sites.site(1))
        except Exception:
            pass
        try:
            if "fn" in kwargs:     # 3.8: deprecated keyword, warns about the caller
                return processes.call_as(sys._getframe(1), orig_submit, args, kwargs)
            return orig_submit(*args, **kwargs)
        finally:
            _tls.pending = None
    cls.submit = processes.copy_identity(submit, orig_submit)


def _patch_executor_init(cls, kind, workers_attr):
    orig_init = cls.__init__
    if getattr(orig_init, "__wrapped__", None) is not None:
        return

    def __init__(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        try:
            if writer.enabled and self not in _ids:
                label = "%s(%s)" % (type(self).__name__, getattr(self, workers_attr, "?"))
                _declare(self, kind, label, sites.site(1))
        except Exception:
            pass
    cls.__init__ = processes.copy_identity(__init__, orig_init)


def _patch_thread_executor(mod):
    cls = mod.ThreadPoolExecutor
    _patch_executor_init(cls, "ThreadPoolExecutor", "_max_workers")
    _patch_submit(cls, "thread")


def _patch_process_executor(mod):
    cls = mod.ProcessPoolExecutor
    copy = processes.copy_identity
    _process_chunk_fn[0] = getattr(mod, "_process_chunk", None)
    _patch_executor_init(cls, "ProcessPoolExecutor", "_max_workers")
    _patch_submit(cls, "process")

    # Worker processes started by the executor carry its id (Process.start
    # reads processes.spawn_owner).
    for name in ("_adjust_process_count", "_launch_processes", "_spawn_process"):
        orig = cls.__dict__.get(name)
        if orig is None or getattr(orig, "__wrapped__", None) is not None:
            continue

        def make(orig):
            def method(self, *args, **kwargs):
                owner = 0
                try:
                    owner = _ids.get(self, 0)
                except Exception:
                    pass
                if not owner:
                    return orig(self, *args, **kwargs)
                return _with_owner(owner, orig, self, *args, **kwargs)
            return copy(method, orig)
        setattr(cls, name, make(orig))

    orig_worker = getattr(mod, "_process_worker", None)
    if orig_worker is None or getattr(orig_worker, "__wrapped__", None) is not None:
        return
    chunk_fn = _process_chunk_fn[0]

    def _process_worker(call_queue, result_queue, *args, **kwargs):
        try:
            if writer.enabled:
                import multiprocessing.process as mp_process
                owner = mp_process.current_process()._config.get(processes.OWNER_CONFIG_KEY)
                if owner:
                    source = _CallItems(call_queue, owner, chunk_fn)
                    call_queue, result_queue = source, _Results(result_queue, source)
                    _worker_tls.source = source
        except Exception:
            pass
        return orig_worker(call_queue, result_queue, *args, **kwargs)
    mod._process_worker = copy(_process_worker, orig_worker)
    _end_run_on_exception(getattr(mod, "_ExceptionWithTraceback", None))


class _CallItems(_QueueProxy):
    __slots__ = ("_get", "_owner", "_chunk_fn", "span", "elements")

    def __init__(self, queue, owner, chunk_fn):
        _QueueProxy.__init__(self, queue)
        self._get = queue.get
        self._owner = owner
        self._chunk_fn = chunk_fn
        self.span = 0
        self.elements = None

    def get(self, *args, **kwargs):
        item = self._get(*args, **kwargs)
        if item is not None:
            try:
                if writer.enabled:
                    self._started(item)
            except Exception:
                pass
        return item

    def _started(self, item):
        work_id = getattr(item, "work_id", None)
        fn = getattr(item, "fn", None)
        if work_id is None or fn is None:
            return
        owner = self._owner
        call_args = item.args
        if (self._chunk_fn is not None and isinstance(fn, functools.partial)
                and fn.func is self._chunk_fn and fn.args and len(call_args) == 1):
            elements = _Elements(call_args[0], task_base(_PROCESS_EXECUTOR, owner, work_id, 0),
                                 fn.args[0], True)
            self.elements = elements
            item.args = (elements,)
            return
        self.span = writer.begin(events.TASK_RUN, task_base(_PROCESS_EXECUTOR, owner, work_id, 0), 0,
                                 writer.intern(func_name(fn)), writer.blob(summary(call_args, item.kwargs)))

    ended = _PoolTasks.ended
