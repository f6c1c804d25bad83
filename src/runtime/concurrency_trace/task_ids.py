"""Ids of pool / executor tasks and of the pools and executors themselves
(see events.py, "pools and executors").

Task ids are computed by both sides from what they already have, so no id
travels with a task: base + k for element k of a chunk, base = task_base of
four integers.  A pool or executor's object id is kept here by the object's
id(), with a weak reference that says whether it is still the same object:
no method of the program's object (a Pool subclass's __hash__ / __eq__) is
ever called to look it up.
"""
from _weakref import ref as _ref

_M64 = (1 << 64) - 1
POOL = 1                # (1, pool process pid, job, task index)
PROCESS_EXECUTOR = 2    # (2, executor object id, work id, 0)
POOL_JOB_GROUP = 3      # (3, pool process pid, job, 0): the group of a Pool job's tasks (TASK_WAIT)
# Libraries (lib_*.py): 4 (loky call-queue pipe inode, work_id, 0) a loky work
# item; 5 (unit id, 0, 0) + k call k of a joblib batch; 6 (batch task id, k, 0) key
# k of a dask local scheduler's batch; 7 (crc32 scheduler address, crc32 key,
# key length) a dask.distributed key; 8 (crc32 msg id, its length, 0) an
# ipyparallel apply request.


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


_owners = {}    # id(pool or executor) -> (weak reference, object id)


def set_owner_id(obj, oid):
    try:
        wr = _ref(obj, lambda _r, key=id(obj): _forget(key, _r))
    except TypeError:
        return
    _owners[id(obj)] = (wr, oid)


def _forget(key, wr):
    hit = _owners.get(key)
    if hit is not None and hit[0] is wr:
        _owners.pop(key, None)


def owner_id(obj):
    """The object id given to a pool / executor (0 if none)."""
    hit = _owners.get(id(obj))
    if hit is not None and hit[0]() is obj:
        return hit[1]
    return 0


def reset():
    _owners.clear()
