"""dask.distributed workers the run does not trace (lib_distributed_remote and
its worker plugin): the plugin unpickles and reports where no tracer is
installed; a traced Client records every task those workers ran, paired with
its submits and results, on the worker's process; a worker of the run itself
stays silent (its own tracer records its tasks)."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from test.runtime import tracefile

DEBIAN = "/usr/bin/python3"


def _has_distributed():
    try:
        return subprocess.run([DEBIAN, "-c", "import distributed"], capture_output=True, timeout=120,
                              cwd=tempfile.gettempdir()).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


HAVE = _has_distributed()


def _plain_env():
    """The environment of a process no tracer runs in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCURRENCY_TRACE")}
    env.pop("PYTHONPATH", None)
    return env


class Cluster:
    """dask-scheduler and dask-worker processes started untraced, as in other terminals."""

    def __init__(self, workers=2, env=None):
        self.dir = tempfile.mkdtemp(prefix="ct-dask-")
        self.file = os.path.join(self.dir, "scheduler.json")
        env = env or _plain_env()
        common = dict(cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs = [subprocess.Popen([DEBIAN, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                        "--port", "0", "--no-dashboard", "--scheduler-file", self.file], **common)]
        self.workers = [subprocess.Popen([DEBIAN, "-m", "distributed.cli.dask_worker", "--scheduler-file", self.file,
                                          "--nthreads", "2", "--no-dashboard", "--no-nanny", "--host", "127.0.0.1"],
                                         **common) for _ in range(workers)]
        self.procs += self.workers
        deadline = time.monotonic() + 120
        while not os.path.exists(self.file):
            if time.monotonic() > deadline:
                self.close()
                raise AssertionError("the scheduler did not start")
            time.sleep(0.05)
        time.sleep(0.2)
        with open(self.file) as f:
            self.address = json.load(f)["address"]

    def close(self):
        # SIGKILL: a worker told to stop once its scheduler is gone keeps trying to reach it
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


CLIENT = """import sys, time
import dask
from dask.distributed import Client
def inc(x):
    time.sleep(0.01)
    return x + 1
def fails(x):
    raise ValueError("no %d" % x)
client = Client(sys.argv[1])
client.wait_for_workers(int(sys.argv[2]))
futures = client.map(inc, range(8))
total = client.submit(sum, futures)
bad = client.submit(fails, 3, key="fails-3")
d = dask.delayed(inc)(dask.delayed(inc)(1, dask_key_name="d-one"), dask_key_name="d-two")
print(total.result(), d.compute())
try:
    bad.result()
except ValueError:
    pass
print(" ".join([f.key for f in futures] + [total.key, "fails-3", "d-one", "d-two"]))
client.close()
"""


def remote_view(trace):
    """(processes by remote id, clocks by remote id, runs by key text, submits by key text, results by task id)."""
    procs = {r.obj: json.loads(trace.blob(r)) for r in trace.of("REMOTE_PROCESS")}
    clocks = {r.obj: (r.a, r.b) for r in trace.of("REMOTE_CLOCK")}
    runs = collections.defaultdict(list)
    for r in trace.of("REMOTE_TASK_RUN"):
        runs[trace.blob(r)].append(r)
    submits = {trace.blob(r, "b"): r for r in trace.of("TASK_SUBMIT")}
    results = {r.obj: r for r in trace.of("TASK_RESULT")}
    return procs, clocks, runs, submits, results


@unittest.skipUnless(HAVE, "Debian's python3-distributed is not installed at /usr/bin/python3")
class WorkerPluginTest(unittest.TestCase):
    def test_the_plugin_unpickles_and_reports_each_task_in_a_process_without_the_tracer(self):
        make = subprocess.run([DEBIAN, "-c", """import sys
sys.path.insert(0, %r)
from concurrency_trace import lib_distributed_remote as r
from distributed.protocol.pickle import dumps
ns = r.plugin_namespace()
sys.stdout.buffer.write(dumps(ns["TaskReporter"]("ct-test-topic", ns["run_mark"]("another run"))))
""" % tracefile.RUNTIME], capture_output=True, timeout=120, env=_plain_env(), cwd=tempfile.gettempdir())
        self.assertEqual(make.returncode, 0, make.stderr.decode())
        self.assertNotIn(b"concurrency_trace.lib", make.stdout)     # no module of ours named: the class goes by value
        use = subprocess.run([DEBIAN, "-c", """import json, pickle, sys, time
from dask.distributed import Client, LocalCluster
plugin = pickle.loads(sys.stdin.buffer.read())
assert "concurrency_trace" not in sys.modules and not any("concurrency_trace" in m for m in sys.modules)
def inc(x):
    return x + 1
def fails(x):
    raise ValueError(x)
with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
    got = []
    client.subscribe_topic("ct-test-topic", got.append)
    client.register_worker_plugin(plugin, name="ct-test", nanny=False)
    t0 = time.time()
    print(client.submit(inc, 1, key="inc-1").result())
    try:
        client.submit(fails, 2, key="fails-2").result()
    except ValueError:
        pass
    deadline = time.time() + 10
    while len(got) < 2 and time.time() < deadline:
        time.sleep(0.05)
    print(json.dumps({"t0": t0, "events": [list(e) for e in got], "worker": list(client.scheduler_info()["workers"])}))
"""], input=make.stdout, capture_output=True, timeout=120, env=_plain_env(), cwd=tempfile.gettempdir())
        self.assertEqual(use.returncode, 0, use.stderr.decode())
        out = json.loads(use.stdout.decode().splitlines()[-1])
        events = sorted((e[1] for e in out["events"]), key=lambda m: m[1])
        self.assertEqual([m[1] for m in events], ["fails-2", "inc-1"])
        self.assertEqual([m[2] for m in events], [0, 1])
        for m in events:
            version, _key, _ok, start, stop, ident, tname, pid, host, address, _delay, latency, now = m
            self.assertEqual(version, 1)
            self.assertTrue(out["t0"] - 1 <= start <= stop <= now, m)
            self.assertGreater(ident, 0)
            self.assertIsInstance(tname, str)
            self.assertGreater(pid, 0)
            self.assertTrue(host)
            self.assertEqual([address], out["worker"])
            self.assertGreaterEqual(latency, 0)

    def test_a_worker_with_the_runs_token_stays_silent(self):
        code = """import os, sys
sys.path.insert(0, %r)
os.environ["CONCURRENCY_TRACE_TOKEN"] = "run-a"
from concurrency_trace import lib_distributed_remote as r
ns = r.plugin_namespace()
class W:
    address = "tcp://127.0.0.1:1"
same = ns["TaskReporter"]("t", ns["run_mark"]("run-a"))
other = ns["TaskReporter"]("t", ns["run_mark"]("run-b"))
same.setup(W())
other.setup(W())
print(same.quiet, other.quiet, ns["run_mark"]("run-a") != "run-a")
""" % tracefile.RUNTIME
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=_plain_env())
        self.assertEqual(out.stdout.decode().split(), ["True", "False", "True"], out.stderr.decode())


@unittest.skipUnless(HAVE, "Debian's python3-distributed is not installed at /usr/bin/python3")
class RemoteWorkersTest(unittest.TestCase):
    def check_remote_run(self, offset_ns):
        cluster = Cluster(workers=2)
        try:
            env = {"CONCURRENCY_TRACE_TEST_CLOCK_OFFSET_NS": str(offset_ns)} if offset_ns else {}
            proc, trace = tracefile.run(CLIENT, cluster.address, "2", python=DEBIAN, env=env)
            worker_pids = sorted(w.pid for w in cluster.workers)
        finally:
            cluster.close()
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        keys = proc.stdout.decode().split("\n")[1].split()
        self.assertEqual(len(keys), 12)
        procs, clocks, runs, submits, results = remote_view(trace)
        # The workers, as they reported themselves; no TASK_RUN of the client's own.
        self.assertEqual(sorted(p["pid"] for p in procs.values()), worker_pids)
        self.assertTrue(all(p["engine"] == "dask" and p["address"].startswith("tcp://127.0.0.1:") for p in procs.values()))
        self.assertEqual(trace.of("TASK_RUN"), [])
        # Every task ran once, on a worker, paired with the client's submit (and result, for those it waited on).
        self.assertEqual(sorted(runs), sorted(keys))
        for key in keys:
            self.assertEqual(len(runs[key]), 1, key)
            run = runs[key][0]
            self.assertIn(run.b, procs)
            self.assertEqual(run.obj, submits[key].obj, key)
            offset, error = clocks[run.b]
            self.assertGreaterEqual(error, 0)
            self.assertGreaterEqual(run.ts, submits[key].ts - error, key)
            self.assertGreaterEqual(run.end, run.ts)
            if run.obj in results:
                self.assertLessEqual(run.end, results[run.obj].ts + error, key)
        for key in keys[:8] + ["fails-3", "d-two"]:
            self.assertIn(submits[key].obj, results)
        # The machine has one clock: the workers' true offset is minus the one given to the client.
        for offset, error in clocks.values():
            self.assertLessEqual(abs(offset + offset_ns), error, (offset, error, offset_ns))
        return clocks

    def test_a_traced_client_records_each_task_the_untraced_workers_ran(self):
        self.check_remote_run(0)

    def test_a_client_clock_off_by_2_5_s_is_measured_within_the_claimed_error(self):
        clocks = self.check_remote_run(2_500_000_000)
        sys.stderr.write("\n  clock offsets (ns, +- error): %s\n" % sorted(clocks.values()))

    def test_workers_this_run_traces_report_nothing_and_each_task_is_recorded_once(self):
        code = """import json, os, subprocess, sys, tempfile, time
d = tempfile.mkdtemp()
f = os.path.join(d, "s.json")
procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                           "--no-dashboard", "--scheduler-file", f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", f, "--nthreads", "2",
                               "--no-dashboard", "--no-nanny", "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
while not os.path.exists(f):
    time.sleep(0.05)
time.sleep(0.2)
from dask.distributed import Client
def inc(x):
    return x + 1
with Client(json.load(open(f))["address"]) as client:
    client.wait_for_workers(1)
    futures = client.map(inc, range(6))
    print(sum(client.gather(futures)))
    print(" ".join(f.key for f in futures))
for p in procs:
    p.kill()
    p.wait()
"""
        proc, trace = tracefile.run(code, python=DEBIAN)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        keys = proc.stdout.decode().split("\n")[1].split()
        self.assertEqual(trace.of("REMOTE_PROCESS", "REMOTE_TASK_RUN"), [])
        # (the workers' executor threads run dask's own work items too: TASK_RUN of other ids)
        ids = {r.obj for r in trace.of("TASK_SUBMIT") if trace.blob(r, "b") in keys}
        self.assertEqual(len(ids), len(keys))
        runs = collections.Counter(trace.blob(r) for r in trace.of("TASK_RUN") if r.obj in ids)
        self.assertEqual(sorted(runs.elements()), sorted(keys))

    def test_a_plugin_the_scheduler_refuses_leaves_the_program_as_it_is_and_the_trace_says_what_is_untraced(self):
        code = """import sys
from distributed import Client
async def refuse(self, *args, **kwargs):
    raise OSError("the scheduler refused the plugin")
Client._register_worker_plugin = refuse
def inc(x):
    return x + 1
with Client(sys.argv[1]) as client:
    client.wait_for_workers(1)
    print(sum(client.gather(client.map(inc, range(6)))))
"""
        cluster = Cluster(workers=1)
        try:
            proc, trace = tracefile.run(code, cluster.address, python=DEBIAN)
        finally:
            cluster.close()
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(proc.stdout.decode().split(), ["21"])
        self.assertEqual(trace.of("REMOTE_TASK_RUN"), [])
        notes = [trace.blob(r) for r in trace.of("TRACER_NOTE")]
        self.assertEqual(len(notes), 1, notes)
        self.assertIn("registering the tracer's worker plugin failed (OSError)", notes[0])

    def test_a_client_whose_plugin_works_leaves_no_note(self):
        cluster = Cluster(workers=1)
        try:
            proc, trace = tracefile.run(CLIENT, cluster.address, "1", python=DEBIAN)
        finally:
            cluster.close()
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertNotEqual(trace.of("REMOTE_TASK_RUN"), [])
        self.assertEqual(trace.of("TRACER_NOTE"), [])


if __name__ == "__main__":
    unittest.main()
