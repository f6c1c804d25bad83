"""A thread waiting for dask.distributed futures: TASK_WAIT spans (events.py)
on the dask task ids lib_distributed gives keys, as task_waits.py records
waits on concurrent.futures.

Future.result() / exception() and Client.gather() are recorded whether or
not the task has finished: a wait that ends RAISED is how the analysis
knows a task's exception reached the program (uncaught-exception stays
silent for it), and an unfinished one gives the deadlock analysis its edge.
distributed.wait() is recorded while some future is unfinished (it never
raises a task's exception).  Only synchronous clients (an asynchronous
client's calls return coroutines) and only futures of a client this run
traced; what gather is given is inspected only when it is one Future or a
plain list / tuple / set of them, through the objects' own fields.
"""
import weakref
from collections import defaultdict

from . import events, lib_sites, patching, safe_values, safety, writer
from .task_ids import owner_id
from .task_waits import (ALL, ANY, CANCELLED, DONE, INTERRUPTED, ONE, OPEN, RAISED, TASK_WAIT,
                         TIMED_OUT, _finish, _PLAIN_COLLECTIONS)

_failed = safety.failed
_hide = safety.hide
_FINISHED = ("finished", "error", "cancelled", "lost")
_MAX_MEMBERS = 100000   # futures looked at in one gather / wait
_MAX_DEPTH = 8          # nesting of the collections gather is given


def _field(obj, name):
    try:
        return obj.__dict__.get(name)
    except Exception:
        return None


def patch(mod, task_id, key_text, address):
    """Client / Future / wait of distributed.client (mod)."""
    Future = getattr(mod, "Future", None)
    Client = getattr(mod, "Client", None)
    if Future is None or Client is None or patching.is_wrapped(Future.__dict__.get("result")):
        return
    timeout_error = getattr(mod, "TimeoutError", TimeoutError)
    FutureState = getattr(mod, "FutureState", None)
    status_slot = FutureState.__dict__.get("status") if FutureState is not None else None

    def _status(f):
        """The future's status ("pending", "finished", "error", ...), read
        through FutureState's slot (it has no __dict__)."""
        state = _field(f, "_state")
        if state is None or type(state) is not FutureState or status_slot is None:
            return None
        try:
            return status_slot.__get__(state, FutureState)
        except Exception:
            return None

    def task_of(f):
        """The dask task id of a Future of a traced synchronous client, else 0."""
        if not safe_values.is_subclass(type(f), Future):
            return 0
        client = _field(f, "client")
        if client is None or not owner_id(client) or _field(client, "_asynchronous"):
            return 0
        key = _field(f, "key")
        if key is None:
            return 0
        return task_id(address(client), key_text(key))

    def group(ids):
        gid = writer.new_object_id()
        ts = writer.monotonic_ns()
        ident = writer.get_ident()
        for tid in ids:
            writer.point_at(events.TASK_WAIT_MEMBER, ts, ident, gid, 0, tid, 1)
        return gid

    def outcome(futures, e):
        if safe_values.is_subclass(type(e), timeout_error):
            return TIMED_OUT
        statuses = [_status(f) for f in futures]
        if "error" in statuses:
            return RAISED
        if "cancelled" in statuses:
            return CANCELLED
        return INTERRUPTED

    def begin(obj, mode):
        # the wrapper's caller: lib_sites walks out of distributed / dask to the user's line
        return writer.begin(TASK_WAIT, obj, lib_sites.user_site(2), mode, OPEN)

    def make_result(returns_exception):
        def make(orig):
            def result(self, *args, **kwargs):
                try:
                    off = 0
                    try:
                        if writer.enabled:
                            tid = task_of(self)
                            if tid:
                                off = begin(tid, ONE)
                    except Exception:
                        _failed()
                    if not off:
                        return orig(self, *args, **kwargs)
                    try:
                        value = orig(self, *args, **kwargs)
                    except BaseException as e:
                        _finish(off, ONE, outcome((self,), e))
                        raise
                    _finish(off, ONE, RAISED if returns_exception and value is not None else DONE)
                    return value
                except BaseException as exc:
                    _hide(exc)
                    raise
            return result
        return make

    patching.wrap(Future, "result", make_result(False))
    if "exception" in Future.__dict__:
        patching.wrap(Future, "exception", make_result(True))

    def members(fs, nested=False):
        """The task ids and futures of fs: a Future, a plain list / tuple /
        set of them, or with nested (gather) plain lists / tuples / sets /
        dicts' values holding them at any depth, as distributed unpacks them."""
        ids = []
        kept = []
        todo = [(fs, 0)]
        while todo and len(kept) < _MAX_MEMBERS:
            obj, depth = todo.pop()
            t = type(obj)
            if safe_values.is_subclass(t, Future):
                tid = task_of(obj)
                if tid:
                    ids.append(tid)
                    kept.append(obj)
            elif depth == 0 or (nested and depth < _MAX_DEPTH):
                if t is dict and nested:
                    items = list(dict.values(obj))
                elif t in _PLAIN_COLLECTIONS:
                    items = list(obj)
                else:
                    continue
                todo.extend((x, depth + 1) for x in reversed(items))
        return ids, kept

    def make_gather(orig):
        def gather(self, futures, *args, **kwargs):
            try:
                off = 0
                kept = ()
                try:
                    if writer.enabled and owner_id(self) and not _field(self, "_asynchronous"):
                        ids, kept = members(futures, True)
                        if ids:
                            off = begin(ids[0] if len(ids) == 1 else group(ids), ONE if len(ids) == 1 else ALL)
                except Exception:
                    _failed()
                if not off:
                    return orig(self, futures, *args, **kwargs)
                mode = ONE if len(kept) == 1 else ALL
                try:
                    value = orig(self, futures, *args, **kwargs)
                except BaseException as e:
                    _finish(off, mode, outcome(kept, e))
                    raise
                _finish(off, mode, DONE)
                return value
            except BaseException as exc:
                _hide(exc)
                raise
        return gather
    if "gather" in Client.__dict__:
        patching.wrap(Client, "gather", make_gather)

    _patch_as_completed(mod, members, group, begin, _status)

    orig_wait = getattr(mod, "wait", None)
    first_completed = getattr(mod, "FIRST_COMPLETED", "FIRST_COMPLETED")
    if orig_wait is None or patching.is_wrapped(orig_wait):
        return

    def wait(fs, *args, **kwargs):
        try:
            off = 0
            mode = ALL
            try:
                if writer.enabled and type(fs) in _PLAIN_COLLECTIONS:
                    when = kwargs.get("return_when", args[1] if len(args) > 1 else None)
                    mode = ANY if when == first_completed else ALL
                    ids, kept = members(fs)
                    pending = [tid for tid, f in zip(ids, kept) if _status(f) not in _FINISHED]
                    if pending and (mode == ALL or len(pending) == len(ids)):
                        off = begin(group(pending), mode)
            except Exception:
                _failed()
            if not off:
                return orig_wait(fs, *args, **kwargs)
            try:
                value = orig_wait(fs, *args, **kwargs)
            except BaseException as e:
                _finish(off, mode, TIMED_OUT if safe_values.is_subclass(type(e), timeout_error) else INTERRUPTED)
                raise
            _finish(off, mode, DONE)
            return value
        except BaseException as exc:
            _hide(exc)
            raise
    patching.replace_global(mod, "wait", patching.copy_identity(wait, orig_wait))



def _patch_as_completed(mod, members, group, begin, status):
    """as_completed's iteration (for f in as_completed(futures)): a next()
    that finds nothing completed waits for any of the futures not finished
    yet (TASK_WAIT, mode ANY) on one group per set of futures (a group is
    made again only when futures were added).  Its state is read through
    its own fields: the completed queue's deque and the futures dict's keys."""
    cls = getattr(mod, "as_completed", None)
    orig_next = cls.__dict__.get("__next__") if type(cls) is type else None
    if orig_next is None or patching.is_wrapped(orig_next):
        return
    groups = {}     # id(as_completed) -> (weak reference, group id, task ids in it)

    def pending_wait(self):
        q = _field(self, "queue")
        done = _field(q, "queue") if q is not None else None
        futures = _field(self, "futures")
        if done is None or len(done) or type(futures) is not defaultdict:
            return 0
        ids, kept = members(tuple(dict.keys(futures)))
        ids = [tid for tid, f in zip(ids, kept) if status(f) not in _FINISHED]
        if not ids:
            return 0
        key = id(self)
        known = groups.get(key)
        if known is None or known[0]() is not self or not known[2].issuperset(ids):
            if len(groups) >= 256:
                groups.clear()
            known = groups[key] = (weakref.ref(self), group(ids), frozenset(ids))
        return begin(known[1], ANY)

    def make(orig):
        def __next__(self):
            try:
                off = 0
                try:
                    if writer.enabled:
                        off = pending_wait(self)
                except Exception:
                    _failed()
                if not off:
                    return orig(self)
                try:
                    value = orig(self)
                except StopIteration:
                    _finish(off, ANY, DONE)
                    raise
                except BaseException:
                    # with_results=True, raise_errors=True: the task's own exception
                    _finish(off, ANY, RAISED if _field(self, "with_results") and _field(self, "raise_errors") else INTERRUPTED)
                    raise
                _finish(off, ANY, DONE)
                return value
            except BaseException as exc:
                _hide(exc)
                raise
        return __next__
    same = cls.__dict__.get("next") is orig_next
    patching.wrap(cls, "__next__", make)
    if same:
        cls.next = cls.__dict__["__next__"]
