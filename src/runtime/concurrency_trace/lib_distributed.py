"""dask.distributed, for workers this run traces (a LocalCluster's, or any
worker started under the tracer): installed when the program imports
distributed.client / distributed.worker, never importing them itself.

One task per dask key.  Its id is the same on the client and on the worker
without anything sent: task_base(DIST_KEY, crc32 of the scheduler's address,
crc32 of the key's text, its length) (a key recomputed later in the same
cluster reuses the id: each run of it is its own TASK_RUN span).  Records:
  TASK_SUBMIT in the client's thread that calls Client._graph_to_futures
    (compute, submit, map, persist), one per key of the graph's materialized
    layers (dask.delayed graphs; a dask.array / dataframe layer the client
    never materializes has none); b = the key's text; site = the user's line;
    the pool object: the Client (OBJECT a="dask", b="dask distributed <address>").
  TASK_RUN on the worker thread around apply_function (a = the key's text).
  TASK_RESULT in the client when the scheduler reports a key the client
    wants done (key-in-memory: a=1, task-erred: a=0).  Intermediate keys'
    results go from worker to worker and never reach the client: no
    TASK_RESULT.
Waits on futures (Future.result, Client.gather, wait): lib_distributed_waits.
Workers this run does not trace (other terminals, other machines) report
their tasks to the Client through dask's event log: lib_distributed_remote.
"""
import zlib

from . import events, lib_distributed_remote, lib_distributed_waits, lib_sites, patching, safe_values, safety, writer
from .task_ids import owner_id, set_owner_id, task_base

_failed = safety.failed
_hide = safety.hide

DIST_KEY = 7        # task_ids domain: (7, crc32(scheduler address), crc32(key text), len)


def install():
    from . import processes
    processes.when_imported("distributed.client", _patch_client)
    processes.when_imported("distributed.worker", _patch_worker)


def key_text(key, depth=0):
    """A key as distributed's stringify writes it: a str as it is, a tuple
    as str(tuple) of its str / int / float / tuple parts."""
    t = type(key)
    if t is str:
        return key
    if t is tuple and depth < 8:
        parts = [repr_part(k, depth) for k in key]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return "?" if depth else safe_values.value_text(key)


def repr_part(k, depth):
    t = type(k)
    if t is str:
        return str.__repr__(k)
    if t is int:
        return int.__repr__(k)
    if t is float:
        return float.__repr__(k)
    return key_text(k, depth + 1)


def task_id(address, text):
    data = text.encode("utf-8", "replace")
    return task_base(DIST_KEY, zlib.crc32(address.encode("utf-8", "replace")), zlib.crc32(data), len(data))


def _address(client):
    scheduler = client.__dict__.get("scheduler")
    address = getattr(scheduler, "address", None) if scheduler is not None else None
    return address if type(address) is str else ""



_user_site = lib_sites.user_site

def _client_object(client, address):
    oid = owner_id(client)
    if oid:
        return oid
    oid = writer.new_object_id()
    set_owner_id(client, oid)
    writer.point(events.OBJECT, oid, _user_site(), writer.intern("dask"),
                 writer.blob("dask distributed %s" % address))
    return oid


def _graph_keys(dsk):
    """Keys of a graph's materialized layers (a dict graph: all of them)."""
    if type(dsk) is dict:
        return list(dsk)
    layers = getattr(dsk, "__dict__", {}).get("layers")
    if type(layers) is not dict:
        return []
    keys = []
    for layer in layers.values():
        mapping = getattr(layer, "__dict__", {}).get("mapping")    # MaterializedLayer
        if type(mapping) is dict:
            keys.extend(mapping)
    return keys


def _patch_client(mod):
    Client = getattr(mod, "Client", None)
    if Client is None or patching.is_wrapped(Client.__dict__.get("_graph_to_futures")):
        return

    def make_graph(orig):
        def _graph_to_futures(self, dsk, *args, **kwargs):
            keys = None
            try:
                if writer.enabled:
                    t0 = writer.monotonic_ns()
                    keys = _graph_keys(dsk)
            except Exception:
                _failed()
            try:
                result = orig(self, dsk, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if keys:
                    address = _address(self)
                    oid = _client_object(self, address)
                    site = _user_site()
                    ident = writer.get_ident()
                    remote = lib_distributed_remote.state_of(self)
                    for key in keys:
                        text = key_text(key)
                        writer.point_at(events.TASK_SUBMIT, t0, ident, task_id(address, text), site,
                                        oid, writer.blob(text))
                        if remote is not None:
                            remote.submitted(text, t0)
            except Exception:
                _failed()
            return result
        return _graph_to_futures
    patching.wrap(Client, "_graph_to_futures", make_graph)

    def done(ok):
        def make(orig):
            def handle(self, key=None, *args, **kwargs):
                try:
                    if writer.enabled and type(key) is str and owner_id(self):
                        writer.point(events.TASK_RESULT, task_id(_address(self), key), 0, ok)
                except Exception:
                    _failed()
                return orig(self, key, *args, **kwargs)
            return handle
        return make
    for name, ok in (("_handle_key_in_memory", 1), ("_handle_task_erred", 0)):
        if name in Client.__dict__:
            patching.wrap(Client, name, done(ok))
    lib_distributed_remote.patch_client(Client)
    try:
        lib_distributed_waits.patch(mod, task_id, key_text, _address)
    except Exception:
        _failed()


def _patch_worker(mod):
    orig = getattr(mod, "apply_function", None)
    if orig is None or patching.is_wrapped(orig):
        return

    def apply_function(function, args, kwargs, execution_state, key, *rest, **kw):
        span = 0
        try:
            if writer.enabled and type(execution_state) is dict:
                address = execution_state.get("scheduler")
                if type(address) is str and type(key) is str:
                    span = writer.begin(events.TASK_RUN, task_id(address, key), 0, writer.blob(key),
                                        writer.blob(safe_values.summary(args or (), kwargs)))
        except Exception:
            _failed()
        try:
            return orig(function, args, kwargs, execution_state, key, *rest, **kw)
        except BaseException as exc:
            _hide(exc)
            raise
        finally:
            if span:
                try:
                    writer.finish_time(span)
                except Exception:
                    _failed()
    mod.apply_function = patching.copy_identity(apply_function, orig)
