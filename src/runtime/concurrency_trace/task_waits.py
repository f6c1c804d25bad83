"""A thread waiting for pool / executor tasks: TASK_WAIT spans (events.py,
"waits on tasks"), so a deadlock on Future.result() / AsyncResult.get() /
wait() is as visible as one on a lock.

concurrent.futures: Future.result() / exception() (executor map()'s
iteration waits through them), wait(), as_completed().
multiprocessing.pool: ApplyResult.wait() (get() waits through it; so does
Pool.map / starmap's caller), IMapIterator.next() (imap, imap_unordered).

Only a wait that finds its tasks unfinished is recorded, and only tasks the
tracer knows (futures an executor made, Pool jobs); besides, result() /
exception() of a future that already raised and wait() (get()) of a Pool
result that already failed are a zero-length wait ending RAISED: the
analysis then knows the task's exception reached the program.  What the
program passed is inspected only when it is a plain list / tuple / set of futures (never
iterated otherwise: a generator would be consumed), through the futures'
own fields (no method of a Future subclass runs).  How the wait ended is
read from its result or its exception.
"""
import collections
import sys

from . import events, futures, lib_sites, patching, pool_workers, safe_values, safety, sites, writer
from .task_ids import POOL, POOL_JOB_GROUP, task_base

TASK_WAIT = events.TASK_WAIT
TASK_WAIT_MEMBER = events.TASK_WAIT_MEMBER
ONE, ALL, ANY, ALL_OR_RAISED = 0, 1, 2, 3
OPEN, DONE, RAISED, TIMED_OUT, INTERRUPTED, CANCELLED = 0, 1, 2, 3, 4, 5
_PLAIN_COLLECTIONS = (list, tuple, set, frozenset)
_PENDING_STATES = ("PENDING", "RUNNING")
_failed = safety.failed
_hide = safety.hide
_getframe = sys._getframe
_deque = collections.deque


def _field(obj, name):
    try:
        return obj.__dict__.get(name)
    except Exception:
        _failed()
        return None


def _begin(obj, mode, depth):
    """A TASK_WAIT span opened for the caller `depth` frames up, at the
    user's line: a library waiting for its own tasks (joblib's Parallel
    waits inside parallel.py) is placed at the user's call into it."""
    return writer.begin(TASK_WAIT, obj, lib_sites.user_site(depth + 1) or sites.site(depth + 1), mode, OPEN)


def _asked(obj, depth):
    """A zero-length TASK_WAIT ending RAISED: the exception of a task that
    had already failed is handed to the caller `depth` frames up."""
    _finish(_begin(obj, ONE, depth + 1), ONE, RAISED)


def _finish(off, mode, how):
    if off:
        try:
            writer.finish(off, mode, how)
        except Exception:
            _failed()


def _group(tasks):
    """A new group id with the given futures' tasks as members."""
    gid = writer.new_object_id()
    ts = writer.monotonic_ns()
    ident = writer.get_ident()
    for task in tasks:
        writer.point_at(TASK_WAIT_MEMBER, ts, ident, gid, 0, task.ids[0], len(task.ids))
    return gid


# --------------------------------------------------------------------------
# concurrent.futures

def patch_futures(mod):
    Future = mod.Future
    cancelled_error = mod.CancelledError
    timeout_error = mod.TimeoutError

    def pending_task(f):
        """The executor task of future f if it is not finished yet."""
        task = futures.task_of(f)
        if task is not None and _field(f, "_state") in _PENDING_STATES:
            return task
        return None

    def begin_one(f, depth):
        task = pending_task(f)
        if task is None:
            return 0, ONE
        if len(task.ids) == 1:
            return _begin(task.ids[0], ONE, depth + 1), ONE
        return _begin(_group((task,)), ALL, depth + 1), ALL

    def outcome(f, e):
        if safe_values.is_subclass(type(e), cancelled_error):
            return CANCELLED
        if safe_values.is_subclass(type(e), timeout_error) and _field(f, "_state") in _PENDING_STATES:
            return TIMED_OUT
        if e is _field(f, "_exception"):
            return RAISED
        return INTERRUPTED

    def make_result(returns_exception):
        def make(orig):
            def result(self, timeout=None):
                try:
                    off = 0
                    mode = ONE
                    try:
                        if writer.enabled and futures._futures:
                            off, mode = begin_one(self, 1)
                            if not off and _field(self, "_exception") is not None:
                                task = futures.task_of(self)
                                if task is not None and len(task.ids) == 1:
                                    _asked(task.ids[0], 1)
                    except Exception:
                        _failed()
                    if not off:
                        return orig(self, timeout)
                    try:
                        value = orig(self, timeout)
                    except BaseException as e:
                        _finish(off, mode, outcome(self, e))
                        raise
                    _finish(off, mode, RAISED if returns_exception and value is not None else DONE)
                    return value
                except BaseException as exc:
                    _hide(exc)
                    raise
            return result
        return make

    patching.wrap(Future, "result", make_result(False))
    patching.wrap(Future, "exception", make_result(True))

    first_completed = getattr(mod, "FIRST_COMPLETED", "FIRST_COMPLETED")
    first_exception = getattr(mod, "FIRST_EXCEPTION", "FIRST_EXCEPTION")

    def is_future(f):
        return safe_values.is_subclass(type(f), Future)

    def begin_wait(fs, return_when):
        if type(fs) not in _PLAIN_COLLECTIONS or not futures._futures:
            return 0, ONE
        mode = ANY if return_when == first_completed else (
            ALL_OR_RAISED if return_when == first_exception else ALL)
        tasks = []
        for f in fs:
            if not is_future(f):
                continue
            state = _field(f, "_state")
            if state in _PENDING_STATES:
                task = futures.task_of(f)
                if task is not None:
                    tasks.append(task)
            elif mode == ANY or (mode == ALL_OR_RAISED and _field(f, "_exception") is not None):
                return 0, mode      # already satisfied: no wait
        if not tasks:
            return 0, mode
        return _begin(_group(tasks), mode, 2), mode

    def wait_outcome(result, mode):
        done, not_done = result
        if mode == ANY:
            return DONE if done else TIMED_OUT
        if mode == ALL_OR_RAISED and any(is_future(f) and _field(f, "_exception") is not None
                                         for f in done):
            return RAISED
        return DONE if not not_done else TIMED_OUT

    orig_wait = mod.wait

    def wait(fs, timeout=None, return_when=mod.ALL_COMPLETED):
        try:
            off = 0
            mode = ALL
            try:
                if writer.enabled:
                    off, mode = begin_wait(fs, return_when)
            except Exception:
                _failed()
            if not off:
                return orig_wait(fs, timeout, return_when)
            try:
                result = orig_wait(fs, timeout, return_when)
            except BaseException:
                _finish(off, mode, INTERRUPTED)
                raise
            how = DONE
            try:
                how = wait_outcome(result, mode)
            except Exception:
                _failed()
            _finish(off, mode, how)
            return result
        except BaseException as exc:
            _hide(exc)
            raise
    patching.replace_global(mod, "wait", patching.copy_identity(wait, orig_wait))

    orig_as_completed = mod.as_completed

    def as_completed(fs, timeout=None):
        gen = orig_as_completed(fs, timeout)
        try:
            if writer.enabled and type(fs) in _PLAIN_COLLECTIONS and futures._futures:
                members = {}
                for f in fs:
                    if is_future(f) and _field(f, "_state") in _PENDING_STATES:
                        task = futures.task_of(f)
                        if task is not None:
                            members[id(f)] = (f, task)
                if members:
                    waiting = _waiting(gen, members, lib_sites.user_site(1) or sites.site(1), timeout_error)
                    waiting.__name__ = gen.__name__
                    waiting.__qualname__ = gen.__qualname__
                    return waiting
        except Exception:
            _failed()
        return gen
    patching.replace_global(mod, "as_completed", patching.copy_identity(as_completed, orig_as_completed))


def _waiting(gen, members, site, timeout_error):
    """as_completed's generator, each of its waits a TASK_WAIT (any of the
    members not yielded yet) on one group."""
    gid = 0
    try:
        while True:
            off = 0
            try:
                if writer.enabled and members and not any(
                        _field(f, "_state") not in _PENDING_STATES for f, _ in members.values()):
                    if not gid:
                        gid = _group([task for _, task in members.values()])
                    off = writer.begin(TASK_WAIT, gid, site, ANY, OPEN)
            except Exception:
                _failed()
            try:
                f = next(gen)
            except StopIteration:
                _finish(off, ANY, DONE)
                return
            except BaseException as e:
                _finish(off, ANY, TIMED_OUT if safe_values.is_subclass(type(e), timeout_error)
                        else INTERRUPTED)
                raise
            _finish(off, ANY, DONE)
            members.pop(id(f), None)
            yield f
    except BaseException as exc:
        _hide(exc)
        raise
    finally:
        gen.close()


# --------------------------------------------------------------------------
# multiprocessing.pool

def patch_pool_results(mod):
    ApplyResult = mod.ApplyResult
    MapResult = getattr(mod, "MapResult", None)
    IMapIterator = getattr(mod, "IMapIterator", None)
    Unordered = getattr(mod, "IMapUnorderedIterator", None)
    timeout_error = getattr(mod, "TimeoutError", TimeoutError)

    def make_wait(orig):
        def wait(self, timeout=None):
            try:
                off = 0
                mode = ONE
                try:
                    event = _field(self, "_event")
                    job = _field(self, "_job")
                    if writer.enabled and type(job) is int and event is not None and not event.is_set():
                        pid = writer.pid()
                        group = pool_workers.library_group(self)      # a library's batch: its calls
                        if MapResult is not None and safe_values.is_subclass(type(self), MapResult):
                            mode = ALL
                            off = _begin(task_base(POOL_JOB_GROUP, pid, job, 0), mode, 1)
                        elif group:
                            mode = ALL
                            off = _begin(group, mode, 1)
                        else:
                            off = _begin(task_base(POOL, pid, job, 0), mode, 1)
                    elif (writer.enabled and type(job) is int and event is not None
                          and _field(self, "_success") is False and not pool_workers.library_group(self)):
                        pid = writer.pid()
                        if MapResult is not None and safe_values.is_subclass(type(self), MapResult):
                            _finish(_begin(task_base(POOL_JOB_GROUP, pid, job, 0), ALL, 1), ALL, RAISED)
                        else:
                            _asked(task_base(POOL, pid, job, 0), 1)
                except Exception:
                    _failed()
                if not off:
                    return orig(self, timeout)
                try:
                    result = orig(self, timeout)
                except BaseException:
                    _finish(off, mode, INTERRUPTED)
                    raise
                how = TIMED_OUT
                try:
                    if event.is_set():
                        how = DONE if _field(self, "_success") else RAISED
                except Exception:
                    _failed()
                _finish(off, mode, how)
                return result
            except BaseException as exc:
                _hide(exc)
                raise
        return wait
    if "wait" in ApplyResult.__dict__:
        patching.wrap(ApplyResult, "wait", make_wait)

    def make_next(orig):
        def next(self, timeout=None):
            try:
                off = 0
                unordered = Unordered is not None and safe_values.is_subclass(type(self), Unordered)
                mode = ANY if unordered else ONE
                try:
                    items = _field(self, "_items")
                    job = _field(self, "_job")
                    index = _field(self, "_index")
                    if (writer.enabled and type(items) is _deque and not items
                            and type(job) is int and type(index) is int
                            and index != _field(self, "_length")):
                        pid = writer.pid()
                        if unordered:
                            off = _begin(task_base(POOL_JOB_GROUP, pid, job, 0), mode, 1)
                        else:
                            off = _begin(task_base(POOL, pid, job, index), mode, 1)
                    elif (writer.enabled and type(items) is _deque and items and type(job) is int
                          and type(index) is int):
                        # The next item is already there: if it is a failure, next() hands its
                        # exception to the caller now (a zero-length wait ending RAISED).
                        head = items[0]
                        if type(head) is tuple and len(head) == 2 and head[0] is False:
                            pid = writer.pid()
                            if unordered:
                                _finish(_begin(task_base(POOL_JOB_GROUP, pid, job, 0), ANY, 1), ANY, RAISED)
                            else:
                                _asked(task_base(POOL, pid, job, index - len(items)), 1)
                except Exception:
                    _failed()
                if not off:
                    return orig(self, timeout)
                try:
                    value = orig(self, timeout)
                except StopIteration:
                    _finish(off, mode, DONE)
                    raise
                except BaseException as e:
                    t = type(e)
                    _finish(off, mode, TIMED_OUT if safe_values.is_subclass(t, timeout_error) else (
                        RAISED if safe_values.is_subclass(t, Exception) else INTERRUPTED))
                    raise
                _finish(off, mode, DONE)
                return value
            except BaseException as exc:
                _hide(exc)
                raise
        return next

    for cls in (IMapIterator, Unordered):
        if cls is None or "next" not in cls.__dict__:
            continue
        alias = cls.__dict__.get("__next__") is cls.__dict__["next"]
        patching.wrap(cls, "next", make_next)
        if alias:
            cls.__next__ = cls.__dict__["next"]
