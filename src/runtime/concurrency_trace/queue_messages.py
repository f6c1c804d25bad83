"""Which put queued the object a thread queue's get returned.

Each traced put gets a message id.  QueueState.table maps id(item) to
(message id, item), or to a deque of those when the same object is queued
more than once (None, small ints).  The table keeps the item alive, so its id
cannot be reused while the entry exists.  A get takes the entry of the object
it returned: the oldest for FIFO order, the newest for a LifoQueue (a
PriorityQueue's equal objects are one object: any entry pairs).

The common cases are one atomic dict operation each (setdefault on put, pop
on get).  Anything with more steps holds the queue's own reentrant lock: a
signal handler that runs in the middle and uses the same queue enters it
again instead of deadlocking, and a thread that holds it while the process
forks leaves the child a fresh one (QueueState.guard).  Whatever happens in
between (another thread, a handler, an exception arriving at any bytecode)
can only cost a pairing, never the program's item.
"""
import _thread
import collections
import os

_deque = collections.deque
_RLock = _thread.RLock
_getpid = os.getpid


class QueueState(object):
    """Tracing state of one thread queue the user's code created."""
    __slots__ = ("obj", "table", "lifo", "_lock", "_pid", "waiting", "suspects")

    def __init__(self, obj, lifo):
        self.obj = obj
        self.table = {}
        self.lifo = lifo
        self._lock = _RLock()
        self._pid = _getpid()
        self.waiting = set()    # message ids of puts waiting for room: not stale
        self.suspects = {}      # entries not in the queue at the last prune

    def guard(self):
        if self._pid != _getpid():
            self._lock = _RLock()
            self._pid = _getpid()
        return self._lock


def _reinsert(table, k, val):
    """Put entries back under k, merging with any that arrived meanwhile
    (those are newer: they go after).  Caller holds the guard."""
    while True:
        got = table.setdefault(k, val)
        if got is val:
            return
        other = table.pop(k, None)
        if other is None:
            continue
        if type(val) is tuple:
            val = _deque((val,))
        if type(other) is tuple:
            val.append(other)
        else:
            val.extend(other)


def add(st, k, e):
    """A put's entry e for the object with id k."""
    if st.table.setdefault(k, e) is not e:
        add_more(st, k, e)


def add_more(st, k, e):
    """add() when the table already holds an entry for k (its setdefault
    did not take e)."""
    table = st.table
    with st.guard():
        cur = table.pop(k, None)
        if cur is None:
            val = e
        elif type(cur) is tuple:
            val = _deque((cur, e))
        else:
            cur.append(e)
            val = cur
        _reinsert(table, k, val)


def take(st, item):
    """The message id of the put that queued `item` (0 if unknown); its
    entry leaves the table."""
    k = id(item)
    v = st.table.pop(k, None)
    if v is None:
        return 0
    if type(v) is tuple:
        return v[0]
    return take_more(st, k, v)


def take_more(st, k, v):
    """take() when the table held several entries (v, popped) for k."""
    table = st.table
    with st.guard():
        if not v:
            return 0
        e = v.pop() if st.lifo else v.popleft()
        if v:
            _reinsert(table, k, v[0] if len(v) == 1 else v)
    return e[0]


def forget(st, k, e):
    """A put that raised: its entry must not pair with a later get."""
    table = st.table
    with st.guard():
        cur = table.pop(k, None)
        if cur is None or cur is e:
            return
        if type(cur) is tuple:
            _reinsert(table, k, cur)
            return
        for i, x in enumerate(cur):
            if x is e:
                del cur[i]
                break
        if cur:
            _reinsert(table, k, cur[0] if len(cur) == 1 else cur)


def prune(st, items):
    """Drop entries whose object left the queue without a traced get
    (q.queue.clear(), shutdown(immediate=True), a subclass's own get), once
    the table holds clearly more than the queue.  `items` is the queue's
    storage (deque or list).  An entry goes only if it was already absent at
    the previous prune (a put between its entry and its real put is not
    stale) and it is not a put waiting for room."""
    table = st.table
    if type(items) is not _deque and type(items) is not list:
        return
    live = list(items)      # one C call: no other thread runs meanwhile
    if len(table) <= 2 * len(live) + 64:
        return
    live_ids = set(map(id, live))
    waiting = st.waiting
    previous = st.suspects
    suspects = {}
    with st.guard():
        for k, v in list(table.items()):
            if k in live_ids:
                continue
            if previous.get(k) is not v or _is_waiting(v, waiting):
                suspects[k] = v
                continue
            cur = table.pop(k, None)
            if cur is not None and cur is not v:
                _reinsert(table, k, cur)    # replaced meanwhile: keep the new one
    st.suspects = suspects


def _is_waiting(v, waiting):
    if not waiting:
        return False
    if type(v) is tuple:
        return v[0] in waiting
    return any(e[0] in waiting for e in v)
