"""dask.distributed workers this run does not trace (dask-worker started in
another terminal or on another machine): their tasks reach the traced
Client through dask's own channels, nothing is run on the workers but a
worker plugin, and no connection of ours is opened.

As the Client finishes connecting (Client._start) it
  1. subscribes to a topic of its own ("concurrency-trace-<client id>") of
     the scheduler's event log;
  2. measures its clock against the scheduler's with up to 3 pings through
     that log: Client-side time t1, scheduler.log_event(topic, ping) stamps
     the scheduler's time Ts, the subscription hands it back at t3;
     theta = client clock - scheduler clock lies in [t1 - Ts, t3 - Ts]
     (NTP's reasoning; every later event received also bounds it from above);
  3. registers the worker plugin (lib_distributed_plugin.py, pickled by
     value) on every worker, present and future.
Each task a worker finishes executing comes back as one event; this module
writes REMOTE_PROCESS / REMOTE_THREAD / REMOTE_CLOCK the first time (and when
the clock estimate moves) and one REMOTE_TASK_RUN span (events.py, 110-113)
with the task id lib_distributed gives the key, so it pairs with the
client's TASK_SUBMIT and TASK_RESULT.  Times: dask's compute start/stop on
the worker's own clock, moved onto this process's monotonic clock by an
offset bounded per worker from the tasks' own round trips: a run began
after the client submitted its key (lower bound), its report left the
worker before it arrived here (upper bound); the estimate is the middle,
the uncertainty half the width.  dask's own estimate (the worker's
scheduler_delay, from heartbeats) is used, with the pings, only for a worker
none of whose runs this client submitted yet (uncertainty then unknown): it
was measured 0.14-1 s off on a loaded machine right after the worker started.

Client._close first sends one more ping and waits (at most 2 s) until it
comes back: every event the scheduler logged before it has then been
received (one ordered stream), so a client that closes right after its last
result loses nothing; then the plugin is unregistered.

A failure on the way (subscribing, the pings, registering or unregistering
the plugin) never reaches the program: it is said by one TRACER_NOTE record
(events.py) naming what stays invisible, as a collector shows a process's
tracing that stopped.

Not registered when the Client's cluster is a LocalCluster of this process:
its workers are this run's processes or threads, traced by lib_distributed.
A worker started under this run anyway (its environment holds the run's
token) keeps the plugin silent (lib_distributed_plugin.TaskReporter.setup).

Test-only: CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS (runPlace.ts) moves this
process's wall-clock readings by that many ns, as if its clock were off.
"""
import builtins
import os
import time
import weakref

from . import events, safe_values, safety, writer

_hide = safety.hide


def note(text, exc=None):
    """A TRACER_NOTE: which part of the program stays untraced and why."""
    try:
        if writer.enabled:
            if exc is not None:
                text = "%s (%s)" % (text, safe_values.name_of(type(exc)))
            writer.point(events.TRACER_NOTE, writer.pid(), 0, writer.blob(text), 0)
    except Exception:
        pass        # nowhere left to say it

TEST_OFFSET_ENV = "CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS"
TOKEN_ENV = "CONCURRENCY_TRACE_TOKEN"
PINGS = 3
PING_TIMEOUT = 5.0
FIRST_PING_TIMEOUT = 0.05
CLOSE_TIMEOUT = 2.0
_PLUGIN_MODULE = "concurrency_trace_dask_worker_plugin"     # never importable: pickled by value
_MAX_TEXT = 256
_INF = float("inf")


def _test_offset():
    v = os.environ.get(TEST_OFFSET_ENV, "").strip()
    body = v[1:] if v[:1] == "-" else v
    return int(v) if body.isdigit() and len(body) <= 15 and body.isascii() else 0


_offset_ns = _test_offset()


def wall_ns():
    return time.time_ns() + _offset_ns


_plugin = None


def _task_id(address, text):
    from .lib_distributed import task_id     # (lib_distributed imports this module)
    return task_id(address, text)


def plugin_namespace():
    """The plugin module's names, executed from its file into a namespace no
    import can find (see lib_distributed_plugin's docstring)."""
    global _plugin
    if _plugin is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib_distributed_plugin.py")
        with open(path, "rb") as f:
            source = f.read()
        namespace = {"__name__": _PLUGIN_MODULE, "__builtins__": builtins}
        exec(compile(source, path, "exec"), namespace)
        _plugin = namespace
    return _plugin


def _is_num(v):
    t = type(v)
    return (t is float or t is int) and -1e18 < v < 1e18


def _text(v):
    return v[:_MAX_TEXT] if type(v) is str else ""


class Worker:
    """A worker that reported: its REMOTE_PROCESS id, threads written, clock bounds."""
    __slots__ = ("oid", "threads", "lo", "hi", "clock")

    def __init__(self, info):
        from .bootstrap import _to_json
        self.oid = writer.new_object_id()
        writer.point(events.REMOTE_PROCESS, self.oid, 0, writer.blob(_to_json(info)), 0)
        self.threads = set()
        self.lo = -_INF         # this process's monotonic ns - the worker's wall ns
        self.hi = _INF
        self.clock = None       # (offset, error) last written


def _interval(lo, hi):
    """(estimate, half width or -1 if not bounded from both sides) of lo <= x <= hi."""
    if lo > -_INF and hi < _INF:
        if lo > hi:             # contradicting bounds (a clock stepped, a key run twice): their middle
            return (lo + hi) // 2, (lo - hi + 1) // 2
        return (lo + hi) // 2, (hi - lo + 1) // 2
    if hi < _INF:
        return hi, -1
    if lo > -_INF:
        return lo, -1
    return 0, -1


MAX_PENDING = 1 << 17


class RemoteTasks:
    """One traced Client's view of the workers' reports (its event-loop thread;
    submitted() in the thread that submits)."""

    def __init__(self, address, topic):
        self.address = address      # the scheduler as the client names it (task ids)
        self.topic = topic
        self.lo = -_INF             # client wall - scheduler wall (ns): lo <= it <= hi, from the pings
        self.hi = _INF
        self.pings = {}             # n -> (future, t1) of pings sent and not back yet
        self.pending = {}           # key text -> monotonic ns of its TASK_SUBMIT, until its run is reported
        self.procs = {}             # (worker address, pid) -> Worker
        self.registered = False
        self.next_ping = 0
        self.tasks = 0

    def submitted(self, text, mono_ns):
        # The earliest submit stays: a key submitted again while it runs
        # (the same pure call twice) must not bound its run from below.
        if len(self.pending) < MAX_PENDING:
            self.pending.setdefault(text, mono_ns)

    def receive(self, event):
        """The topic's handler: (scheduler time, message)."""
        t3 = wall_ns()
        m3 = writer.monotonic_ns()
        try:
            if type(event) not in (tuple, list) or len(event) != 2:
                return
            stamp, msg = event
            if not _is_num(stamp) or type(msg) not in (tuple, list):
                return
            ts = int(stamp * 1e9)
            if t3 - ts < self.hi:
                self.hi = t3 - ts
            if len(msg) == 2 and msg[0] == "ping":
                ping = self.pings.pop(msg[1], None)
                if ping is not None:        # (also one that came back after its wait gave up: still a bound)
                    fut, t1 = ping
                    if t1 - ts > self.lo:
                        self.lo = t1 - ts
                    if not fut.done():
                        fut.set_result(None)
            elif len(msg) == 13 and msg[0] == 1 and writer.enabled:
                self._task(msg, t3, m3)
        except Exception:
            pass        # a malformed report is dropped, never the program's problem

    def _task(self, msg, t3, m3):
        _, key, ok, start, stop, ident, tname, pid, host, waddr, delay, latency, now = msg
        if (type(key) is not str or not _is_num(start) or not _is_num(stop) or not _is_num(now)
                or type(ident) is not int or type(pid) is not int or not _is_num(delay) or not _is_num(latency)):
            return
        waddr = _text(waddr)
        w = self.procs.get((waddr, pid))
        if w is None:
            w = self.procs[(waddr, pid)] = Worker(info={"engine": "dask", "host": _text(host), "address": waddr, "pid": pid})
        if ident not in w.threads and len(w.threads) < 4096:
            w.threads.add(ident)
            writer.point_at(events.REMOTE_THREAD, m3, ident, w.oid, 0, writer.blob(_text(tname) or "Thread %d" % ident))
        start_ns, stop_ns, now_ns = int(start * 1e9), int(stop * 1e9), int(now * 1e9)
        # x = this process's monotonic clock - the worker's wall clock.  The
        # run began after the client submitted it; the report left the worker
        # before it arrived here (NTP's reasoning over the task's round trip).
        # An upper bound pairs nothing (always valid); a lower bound pairs a
        # submit with a run, wrongly if another client (or an earlier call)
        # had that key running already: one above the upper bound is dropped,
        # and an upper bound below the lower one drops the lower one.
        if m3 - now_ns < w.hi:
            w.hi = m3 - now_ns
            if w.lo > w.hi:
                w.lo = -_INF
        submit = self.pending.pop(key, None)
        if submit is not None and w.lo < submit - start_ns <= w.hi:
            w.lo = submit - start_ns
        x, half = _interval(w.lo, w.hi)
        if half < 0:
            # Never bounded from below (no submit of ours ran there yet): the
            # client - scheduler pings and dask's own estimate of the worker's
            # scheduler_delay, kept under the upper bound; its error unknown.
            theta = _interval(self.lo, self.hi)[0]
            x = min(w.hi, theta - (t3 - m3) + int(delay * 1e9))
        # The worker's clock reads ahead of this process's wall clock by:
        offset = -x - (t3 - m3)
        last = w.clock
        step = max(10000, half >> 3)        # a new REMOTE_CLOCK when the estimate moved noticeably
        if last is None or abs(last[0] - offset) > step or abs(last[1] - half) > step or (half < 0) != (last[1] < 0):
            w.clock = (offset, half)
            writer.point_at(events.REMOTE_CLOCK, m3, writer.get_ident(), w.oid, 0, offset, half)
        begin = start_ns + x
        if begin <= 0:
            return
        writer.point_at(events.REMOTE_TASK_RUN, begin, ident, _task_id(self.address, key), 0,
                        writer.blob(key), w.oid, max(begin, stop_ns + x))
        self.tasks += 1

    async def ping(self, client, n, timeout):
        """One round trip through the scheduler's event log; False if it did not come back in time."""
        import asyncio
        fut = asyncio.get_running_loop().create_future()
        self.pings[n] = (fut, wall_ns())
        try:
            await client.scheduler.log_event(topic=self.topic, msg=["ping", n])
            await asyncio.wait_for(fut, timeout)
            return True
        except Exception:
            return False

    async def attach(self, client):
        mark_of = plugin_namespace()["run_mark"]
        reporter = plugin_namespace()["TaskReporter"](self.topic, mark_of(os.environ.get(TOKEN_ENV, "")))
        client.subscribe_topic(self.topic, self.receive)
        # The subscription travels on the client's stream, the pings on a
        # connection of their own: the scheduler may log the first ping
        # before it knows the subscriber.  Ping until one comes back.
        n = answered = 0
        deadline = time.monotonic() + PING_TIMEOUT
        while answered < PINGS and time.monotonic() < deadline:
            answered += await self.ping(client, n, FIRST_PING_TIMEOUT if not answered else PING_TIMEOUT)
            n += 1
        self.next_ping = n
        await client._register_worker_plugin(plugin=reporter, name=self.topic, nanny=False)
        self.registered = True

    async def detach(self, client):
        import asyncio
        if client.__dict__.get("status") not in ("running", "closing"):     # close() says "closing" first
            return
        if not await self.ping(client, self.next_ping, CLOSE_TIMEOUT):      # flush: what was logged before it is here
            note("dask.distributed: the last tasks of workers this run does not trace may be missing: "
                 "the scheduler's event log did not answer within %g s as the Client closed" % CLOSE_TIMEOUT)
        if self.registered:
            self.registered = False
            try:
                await asyncio.wait_for(client._unregister_worker_plugin(self.topic, nanny=False), CLOSE_TIMEOUT)
            except Exception as e:
                note("dask.distributed: the tracer's worker plugin could not be removed from the workers "
                     "as the Client closed; it stays until they restart", e)
        client.unsubscribe_topic(self.topic)


_states = {}     # id(client) -> (weak reference, RemoteTasks)


def state_of(client):
    hit = _states.get(id(client))
    return hit[1] if hit is not None and hit[0]() is client else None


def _take(client):
    hit = _states.pop(id(client), None)
    return hit[1] if hit is not None and hit[0]() is client else None


def _wanted(client):
    """Connected, and not to a LocalCluster of this process (its workers are traced here)."""
    d = client.__dict__
    if not writer.enabled or d.get("status") != "running":
        return False
    cluster = d.get("cluster")
    return cluster is None or type(cluster).__module__ != "distributed.deploy.local"


def patch_client(Client):
    from . import patching

    def make_start(orig):
        async def _start(self, *args, **kwargs):
            try:
                result = await orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
            try:
                if _wanted(self) and state_of(self) is None:
                    from .lib_distributed import _address
                    ident = self.__dict__.get("id")
                    state = RemoteTasks(_address(self), "concurrency-trace-%s" % (ident if type(ident) is str else id(self)))
                    _states[id(self)] = (weakref.ref(self), state)
                    await state.attach(self)
            except Exception as e:
                # the program goes on as it would untraced; the trace says what it misses
                note("dask.distributed: tasks of workers this run does not trace (other terminals or "
                     "machines) are untraced: registering the tracer's worker plugin failed", e)
            return result
        return _start

    def make_close(orig):
        async def _close(self, *args, **kwargs):
            try:
                state = _take(self)
                if state is not None:
                    await state.detach(self)
            except Exception as e:
                note("dask.distributed: the last tasks of workers this run does not trace may be missing: "
                     "closing the tracer's subscription failed", e)
            try:
                return await orig(self, *args, **kwargs)
            except BaseException as exc:
                _hide(exc)
                raise
        return _close

    for name, make in (("_start", make_start), ("_close", make_close)):
        fn = Client.__dict__.get(name)
        if fn is not None and not patching.is_wrapped(fn):
            patching.wrap(Client, name, make)
