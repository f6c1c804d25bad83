"""multiprocessing processes, os.fork / os._exit and subprocess under the tracer."""
import multiprocessing
import os
import subprocess
import sys
import tempfile
import unittest

from test.runtime import tracefile

METHODS = multiprocessing.get_all_start_methods()

HEADER = """
import multiprocessing as mp, os, sys, time
"""
MAIN = """
if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
"""


def line_of(code, text):
    return next(n for n, line in enumerate(code.splitlines(), 1) if text in line)


def last_exit(trace, pid):
    """The code a process recorded for itself (the last PROCESS_EXIT with b=1)."""
    known = [r for r in trace.of("PROCESS_EXIT") if r.pid == pid and r.b == 1]
    return known[-1].a if known else None


def joins_of(trace, pid):
    return [r for r in trace.of("PROCESS_JOIN") if r.obj == pid]


def name_of(trace, pid):
    names = [r for r in trace.of("PROCESS_NAME") if r.pid == pid]
    return trace.blob(names[-1]) if names else None


class _PerMethod:
    METHOD = None

    def setUp(self):
        if self.METHOD not in METHODS:
            self.skipTest("start method %s not available" % self.METHOD)

    def run_script(self, body, *args):
        self.code = HEADER + body
        proc, trace = tracefile.run(self.code, self.METHOD, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc, trace

    def test_start_is_a_span_with_the_child_pid_and_the_child_names_itself(self):
        proc, trace = self.run_script("""
def work():
    print("child", os.getpid())
""" + MAIN + """
    p = mp.Process(target=work, name="kid")
    p.start()
    p.join()
    print("exit", p.exitcode, "pid", p.pid)
""")
        out = proc.stdout.decode().split()
        child = int(out[out.index("pid") + 1])
        spawns = trace.of("PROCESS_SPAWN")
        self.assertEqual([s.obj for s in spawns], [child])
        parent = spawns[0].pid
        self.assertGreater(spawns[0].end, spawns[0].ts)
        self.assertEqual(trace.site(spawns[0])[1], line_of(self.code, "p.start()"))
        self.assertIn(child, trace.pids())
        self.assertEqual(name_of(trace, child), "kid")
        self.assertEqual([r.a for r in trace.of("PROCESS_PARENT") if r.pid == child], [parent])
        join = joins_of(trace, child)
        self.assertEqual([(j.a, j.b, j.pid) for j in join], [(0, 1, parent)])
        self.assertEqual(trace.site(join[0])[1], line_of(self.code, "p.join()"))
        self.assertEqual(last_exit(trace, child), 0)

    def test_process_subclass_exit_code_reaches_both_sides(self):
        proc, trace = self.run_script("""
class Worker(mp.Process):
    def run(self):
        sys.exit(5)
""" + MAIN + """
    w = Worker(name="sub")
    w.start()
    w.join()
    print(w.exitcode, w.pid)
""")
        code, child = map(int, proc.stdout.split())
        self.assertEqual(code, 5)
        self.assertEqual(name_of(trace, child), "sub")
        self.assertEqual(last_exit(trace, child), 5)
        self.assertEqual([(j.a, j.b) for j in joins_of(trace, child)], [(5, 1)])

    def test_killed_child_keeps_its_events_and_the_parent_sees_minus_9(self):
        proc, trace = self.run_script("""
def victim(ev):
    mp.current_process().name = "renamed before the kill"
    ev.set()
    time.sleep(60)
""" + MAIN + """
    ev = mp.Event()
    p = mp.Process(target=victim, args=(ev,), name="victim")
    p.start()
    ev.wait()
    p.kill()
    p.join()
    print(p.exitcode, p.pid)
""")
        code, child = map(int, proc.stdout.split())
        self.assertEqual(code, -9)
        names = [trace.blob(r) for r in trace.of("PROCESS_NAME") if r.pid == child]
        self.assertEqual(names, ["victim", "renamed before the kill"])
        self.assertEqual(last_exit(trace, child), None)
        kills = [r for r in trace.of("PROCESS_TERMINATE") if r.obj == child]
        self.assertEqual([k.a for k in kills], [9])
        self.assertEqual([(j.a, j.b) for j in joins_of(trace, child)], [(-9, 1)])

    def test_terminate_records_sigterm_and_minus_15(self):
        proc, trace = self.run_script("""
def sleeper(ev):
    ev.set()
    time.sleep(60)
""" + MAIN + """
    ev = mp.Event()
    p = mp.Process(target=sleeper, args=(ev,))
    p.start()
    ev.wait()
    p.terminate()
    p.join()
    print(p.exitcode, p.pid)
""")
        code, child = map(int, proc.stdout.split())
        self.assertEqual(code, -15)
        self.assertEqual([k.a for k in trace.of("PROCESS_TERMINATE") if k.obj == child], [15])
        self.assertEqual([(j.a, j.b) for j in joins_of(trace, child)], [(-15, 1)])

    def test_a_child_killed_right_after_start_is_known_from_its_parents_records(self):
        proc, trace = self.run_script("""
def sleeper():
    time.sleep(60)
""" + MAIN + """
    pids = []
    for i in range(5):
        p = mp.Process(target=sleeper, name="short-%d" % i, daemon=True)
        p.start()
        p.kill()
        p.join()
        pids.append((p.pid, p.exitcode))
    print(pids)
""")
        pids = dict(eval(proc.stdout.decode()))
        spawns = {s.obj: s for s in trace.of("PROCESS_SPAWN")}
        self.assertEqual(set(spawns), set(pids))
        for pid, code in pids.items():
            spawn = spawns[pid]
            # what a collector needs for a child that never wrote a record:
            # its pid, its parent (the record's process), when, its name
            self.assertTrue(spawn.end >= spawn.ts > 0)
            self.assertTrue(trace.blob(spawn, "b").startswith("short-"), trace.blob(spawn, "b"))
            self.assertEqual([(j.a, j.b) for j in joins_of(trace, pid)], [(code, 1)])

    def test_nested_processes_have_the_right_parents(self):
        proc, trace = self.run_script("""
def leaf():
    pass
def middle():
    p = mp.Process(target=leaf, name="grandchild")
    p.start()
    p.join()
    print("grandchild", p.pid, flush=True)
""" + MAIN + """
    p = mp.Process(target=middle, name="middle")
    p.start()
    p.join()
    print("middle", p.pid, os.getpid())
""")
        words = proc.stdout.decode().split()
        grandchild = int(words[words.index("grandchild") + 1])
        middle, main = int(words[words.index("middle") + 1]), int(words[words.index("middle") + 2])
        parent_of = {r.pid: r.a for r in trace.of("PROCESS_PARENT")}
        self.assertEqual(parent_of[middle], main)
        self.assertEqual(parent_of[grandchild], middle)
        self.assertEqual([s.pid for s in trace.of("PROCESS_SPAWN") if s.obj == grandchild], [middle])
        self.assertEqual(name_of(trace, grandchild), "grandchild")
        ppid = {r.pid: r.a for r in trace.of("PROCESS_START")}
        if self.METHOD == "forkserver":
            self.assertEqual(name_of(trace, ppid[grandchild]), "forkserver")
        else:
            self.assertEqual((ppid[middle], ppid[grandchild]), (main, middle))
        self.assertEqual(last_exit(trace, grandchild), 0)
        self.assertEqual(last_exit(trace, middle), 0)

    def test_exit_seen_through_is_alive_is_recorded_without_join(self):
        proc, trace = self.run_script("""
def quick():
    os._exit(7)
""" + MAIN + """
    p = mp.Process(target=quick)
    p.start()
    while p.is_alive():
        time.sleep(0.01)
    print(p.exitcode, p.pid)
""")
        code, child = map(int, proc.stdout.split())
        self.assertEqual(code, 7)
        seen = joins_of(trace, child)
        self.assertEqual(len(seen), 1)
        self.assertEqual((seen[0].a, seen[0].b, seen[0].end), (7, 1, seen[0].ts))
        self.assertEqual(last_exit(trace, child), 7)

    def test_context_process_is_traced_like_the_default_one(self):
        proc, trace = tracefile.run(HEADER + """
if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    p = ctx.Process(target=time.sleep, args=(0,), name="from-context")
    p.start()
    p.join()
    print(p.pid)
""", self.METHOD)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        child = int(proc.stdout)
        self.assertEqual([s.obj for s in trace.of("PROCESS_SPAWN")], [child])
        self.assertEqual(name_of(trace, child), "from-context")
        self.assertEqual([(j.a, j.b) for j in joins_of(trace, child)], [(0, 1)])

    def test_manager_server_is_named_and_marked(self):
        proc, trace = self.run_script(MAIN + """
    with mp.Manager() as m:
        d = m.dict()
        d["x"] = 1
        print(d["x"])
""")
        self.assertEqual(proc.stdout.strip(), b"1")
        servers = [r for r in trace.of("PROCESS_NAME") if r.b & 4]
        self.assertEqual(len(servers), 1)
        self.assertTrue(trace.blob(servers[0]).startswith("SyncManager-"), trace.blob(servers[0]))


class ForkProcesses(_PerMethod, unittest.TestCase):
    METHOD = "fork"


class SpawnProcesses(_PerMethod, unittest.TestCase):
    METHOD = "spawn"

    def test_resource_tracker_is_an_internal_helper(self):
        proc, trace = self.run_script(MAIN + """
    lock = mp.Lock()
    p = mp.Process(target=print, args=("x",))
    p.start(); p.join()
""")
        helpers = {trace.blob(r): r.b for r in trace.of("PROCESS_NAME") if r.b & 2}
        self.assertEqual(helpers, {"resource_tracker": 2})


class ForkserverProcesses(_PerMethod, unittest.TestCase):
    METHOD = "forkserver"

    def test_forkserver_is_an_internal_helper(self):
        proc, trace = self.run_script(MAIN + """
    p = mp.Process(target=print, args=("x",))
    p.start(); p.join()
""")
        helpers = {trace.blob(r) for r in trace.of("PROCESS_NAME") if r.b & 2}
        self.assertIn("forkserver", helpers)


class ForkAndExit(unittest.TestCase):
    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_os_fork_child_and_os_exit_code(self):
        proc, trace = tracefile.run("""import os
pid = os.fork()
if pid == 0:
    os._exit(3)
_, status = os.waitpid(pid, 0)
print(pid, os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
""")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        child, code = map(int, proc.stdout.split())
        self.assertEqual(code, 3)
        forks = trace.of("CHILD_PROCESS")
        self.assertEqual([(f.obj, f.a) for f in forks], [(child, 0)])
        self.assertEqual(trace.site(forks[0])[1], 2)
        self.assertEqual(last_exit(trace, child), 3)
        self.assertEqual({r.pid: r.a for r in trace.of("PROCESS_START")}[child], forks[0].pid)
        reaped = joins_of(trace, child)     # the user's os.waitpid
        self.assertEqual([(j.a, j.b, j.pid) for j in reaped], [(3, 1, forks[0].pid)])
        self.assertEqual(trace.site(reaped[0])[1], 5)

    def test_os_exit_in_the_main_process_records_its_code(self):
        proc, trace = tracefile.run("import os\nos._exit(4)\n")
        self.assertEqual(proc.returncode, 4)
        self.assertEqual(last_exit(trace, trace.pids()[0]), 4)

    def test_subprocess_running_python_is_a_traced_child(self):
        proc, trace = tracefile.run("""import subprocess, sys
r = subprocess.run([sys.executable, "-c", "import os, sys; print(os.getpid()); sys.exit(6)"],
                   capture_output=True)
print(r.stdout.decode().strip())
""")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        child = int(proc.stdout)
        children = trace.of("CHILD_PROCESS")
        self.assertEqual([c.obj for c in children], [child])
        self.assertIn('"-c"', trace.blob(children[0]))
        self.assertEqual(trace.site(children[0])[1], 2)
        self.assertEqual({r.pid: r.a for r in trace.of("PROCESS_START")}[child], children[0].pid)
        self.assertEqual([(j.a, j.b, trace.site(j)[1]) for j in joins_of(trace, child)], [(6, 1, 2)])

    def test_subprocess_killed_child_exit_code_seen_by_poll(self):
        proc, trace = tracefile.run("""import subprocess, sys, time
p = subprocess.Popen(["sleep", "30"])
p.kill()
while p.poll() is None:
    time.sleep(0.01)
print(p.pid, p.returncode)
""")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        child, code = map(int, proc.stdout.split())
        self.assertEqual(code, -9)
        self.assertEqual([c.obj for c in trace.of("CHILD_PROCESS")], [child])
        seen = joins_of(trace, child)
        self.assertEqual([(j.a, j.b, j.end - j.ts) for j in seen], [(-9, 1, 0)])

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_fork_warning_is_attributed_as_without_the_tracer(self):
        code = """import os, threading, time, warnings
warnings.simplefilter("always")
ev = threading.Event()
t = threading.Thread(target=ev.wait); t.start()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
ev.set(); t.join()
"""
        proc, _ = tracefile.run(code)
        self.assertEqual(proc.returncode, 0)
        if sys.version_info >= (3, 12):
            self.assertIn(b"script.py:5: DeprecationWarning", proc.stderr)
        else:
            self.assertEqual(proc.stderr, b"")

    def test_nothing_is_printed_and_results_are_unchanged(self):
        code = """import multiprocessing as mp
def f(q):
    q.put(41 + 1)
if __name__ == "__main__":
    q = mp.Queue()
    p = mp.Process(target=f, args=(q,))
    p.start(); print(q.get()); p.join(); print(p.exitcode)
"""
        proc, _ = tracefile.run(code)
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "script.py")
            with open(script, "w") as f:
                f.write(code)
            plain = subprocess.run([sys.executable, script], capture_output=True, cwd=tmp)
        self.assertEqual((proc.stdout, proc.stderr), (plain.stdout, plain.stderr))


if __name__ == "__main__":
    unittest.main()
