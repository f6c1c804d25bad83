"""The worker side of pools and executors: TASK_RUN around each call of the
user's function.

multiprocessing.pool.worker and concurrent.futures.process._process_worker
are replaced by wrappers (same module and qualname, so a Process pickled
under spawn/forkserver names the same function; an untraced child gets the
original) that hand the original its own queues behind a thin proxy: get()
notes the task that just arrived, put() the result leaving.  A chunk's
elements are handed to mapstar / _process_chunk through an iterator that
times each element.  The user's function is never wrapped, so its
exceptions and tracebacks are exactly as without the tracer; its arguments
are summarised without running any of their code (safe_values).

A library's own batch unit (joblib's SafeFunction around a BatchedCalls,
dask's batch_execute_tasks) is library machinery, not a task: the library
module records the user's calls inside it (lib_joblib, lib_dask) and
registers the unit's type or function here (add_library_batch); the pool /
executor then writes no TASK_SUBMIT / TASK_RUN / TASK_RESULT for it, and
the worker still knows its id (`task`) for the library to read.
"""
import threading

from . import events, safe_values, safety, writer
from .task_ids import POOL_JOB_GROUP, task_base

_failed = safety.failed
_worker_tls = threading.local()      # .source: the task source of this worker thread
_POOL = 1
_PROCESS_EXECUTOR = 2
_library_batches = []                # types (of callable instances) and functions: a library's batch unit


def add_library_batch(kind):
    """Calls of `kind` (a function, or a class whose instances are called)
    are a library's batch unit, not a task of the pool or executor."""
    if not any(k is kind for k in _library_batches):
        _library_batches.append(kind)


_library_results = []                # (type of a library batch's Pool callback, fn(callback, job, ok))


def add_library_results(callback_type, fn):
    """A Pool result object whose callback is of callback_type belongs to a
    library's batch: fn(callback, job, ok) writes its calls' results."""
    _library_results.append((callback_type, fn))


def library_callback(result):
    """(callback, fn) of a Pool result object whose callback is a library
    batch's (add_library_results), else None."""
    if not _library_results:
        return None
    cb = result.__dict__.get("_callback")
    t = type(cb)
    for kind, fn in _library_results:
        if t is kind:
            return cb, fn
    return None


def library_group(result):
    """Id of the wait group of the calls in a library batch's Pool job (its
    members written by the library; 0: not such a job)."""
    job = result.__dict__.get("_job")
    if type(job) is int and library_callback(result) is not None:
        return task_base(POOL_JOB_GROUP, writer.pid(), job, 0)
    return 0


def is_library_batch(fn):
    if not _library_batches:
        return False
    t = type(fn)
    for k in _library_batches:
        if fn is k or t is k:
            return True
    return False


def current_source():
    return _worker_tls.__dict__.get("source")


def set_source(source):
    _worker_tls.source = source


def reset():
    _worker_tls.__dict__.clear()


def _run_span(task_id, fn_name_blob, args, kwargs):
    return writer.begin(events.TASK_RUN, task_id, 0, fn_name_blob,
                        writer.blob(safe_values.summary(args, kwargs)))


class QueueProxy(object):
    """Stands in for a worker's queue: only get/put are seen, every other
    attribute is the queue's own."""
    __slots__ = ("_queue",)

    def __init__(self, queue):
        self._queue = queue

    def __getattr__(self, name):
        if name == "_queue":
            raise AttributeError(name)
        return getattr(self._queue, name)


class Elements(object):
    """The elements of one chunk, handed to mapstar / _process_chunk in place
    of the chunk; each next() ends the previous element's TASK_RUN and begins
    the next one's."""
    __slots__ = ("_it", "_base", "_fblob", "_star", "_k", "span")

    def __init__(self, chunk, base, fn, star):
        self._it = iter(chunk)
        self._base = base            # task id of element 0
        self._fblob = writer.intern(safe_values.func_name(fn))
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
                args = x if self._star and type(x) is tuple else (x,)
                self.span = _run_span(self._base + self._k, self._fblob, args, None)
        except Exception:
            self.span = 0
            _failed()
        self._k += 1
        return x

    def close(self):
        span, self.span = self.span, 0
        if span:
            try:
                writer.finish_time(span)
            except Exception:
                _failed()


class PoolTasks(QueueProxy):
    """A multiprocessing.pool worker's inqueue."""
    __slots__ = ("_get", "_parent", "_chunked", "_reraise", "span", "elements", "_task_base", "task")

    def __init__(self, queue, parent, chunked, reraise, task_base):
        QueueProxy.__init__(self, queue)
        self._get = queue.get
        self._parent = parent
        self._chunked = chunked
        self._reraise = reraise
        self._task_base = task_base
        self.span = 0
        self.elements = None
        self.task = 0               # id of the unchunked task running (lib_joblib reads it)

    def get(self, *args, **kwargs):
        task = self._get(*args, **kwargs)
        if task is not None:
            try:
                if writer.enabled:
                    task = self._started(task)
            except Exception:
                _failed()
        return task

    def _started(self, task):
        if type(task) is not tuple or len(task) != 5:
            return task
        job, i, func, args, kwds = task
        parent = self._parent
        if func is self._chunked[0] or func is self._chunked[1]:
            fn, chunk = args[0]
            elements = Elements(chunk, self._task_base(_POOL, parent, job, i), fn,
                                func is self._chunked[1])
            self.elements = elements
            return (job, i, func, ((fn, elements),), kwds)
        if func is not self._reraise:
            self.task = self._task_base(_POOL, parent, job, i)
            if is_library_batch(func):
                return task
            self.span = _run_span(self.task, writer.intern(safe_values.func_name(func)), args, kwds)
        return task

    def ended(self):
        self.task = 0
        span, self.span = self.span, 0
        if span:
            try:
                writer.finish_time(span)
            except Exception:
                _failed()
        elements, self.elements = self.elements, None
        if elements is not None:
            elements.close()


class Results(QueueProxy):
    """A worker's outqueue: the task ended as its result leaves."""
    __slots__ = ("_put", "_source")

    def __init__(self, queue, source):
        QueueProxy.__init__(self, queue)
        self._put = queue.put
        self._source = source

    def put(self, *args, **kwargs):
        self._source.ended()
        return self._put(*args, **kwargs)


class CallItems(QueueProxy):
    """A ProcessPoolExecutor worker's call queue."""
    __slots__ = ("_get", "_owner", "_chunk_fn", "span", "elements", "_task_base", "task")

    def __init__(self, queue, owner, chunk_fn, task_base):
        QueueProxy.__init__(self, queue)
        self._get = queue.get
        self._owner = owner
        self._chunk_fn = chunk_fn
        self._task_base = task_base
        self.span = 0
        self.elements = None
        self.task = 0               # id of the unchunked task running (lib_joblib reads it)

    def get(self, *args, **kwargs):
        item = self._get(*args, **kwargs)
        if item is not None:
            try:
                if writer.enabled:
                    self._started(item)
            except Exception:
                _failed()
        return item

    def _started(self, item):
        d = getattr(item, "__dict__", None)     # a _CallItem: the stdlib's plain object
        if type(d) is not dict:
            return
        work_id = d.get("work_id")
        fn = d.get("fn")
        if type(work_id) is not int or fn is None:
            return
        owner = self._owner
        call_args = d.get("args", ())
        chunk_fn = self._chunk_fn
        # 3.8's submit() unpacks with `self, fn, *args = args`: its args are a list.
        if (chunk_fn is not None and safe_values.is_partial_of(fn, chunk_fn)
                and type(call_args) in (tuple, list) and len(call_args) == 1):
            elements = Elements(call_args[0], self._task_base(_PROCESS_EXECUTOR, owner, work_id, 0),
                                safe_values.partial_args(fn)[0], True)
            self.elements = elements
            item.args = (elements,)
            return
        self.task = self._task_base(_PROCESS_EXECUTOR, owner, work_id, 0)
        if is_library_batch(fn):
            return
        self.span = _run_span(self.task, writer.intern(safe_values.func_name(fn)), call_args,
                              d.get("kwargs"))

    ended = PoolTasks.ended


def end_run_on_exception(cls):
    """A worker wraps a task's exception (formatting its traceback) before it
    sends the result: the task ended when the exception was caught."""
    from . import patching
    if cls is None or patching.is_wrapped(cls.__dict__.get("__init__")):
        return

    def make(orig):
        def __init__(self, *args, **kwargs):
            source = _worker_tls.__dict__.get("source")
            if source is not None:
                source.ended()
            orig(self, *args, **kwargs)
        return __init__
    patching.wrap(cls, "__init__", make)
