"""py_state: the program behaves as untraced (output, exit code, tracebacks,
its own tracer, Ctrl-C, fork) and hot loops stay within the budget, on
every interpreter here."""
import os
import subprocess
import tempfile
import textwrap
import unittest

from test.runtime import tracefile
from test.runtime.pystatetrace import COUNTER, PYTHONS, accesses, run


class Behaviour(unittest.TestCase):
    def test_output_exit_code_and_traceback_are_unchanged(self):
        script = """
        import threading, sys
        data = {"a": 1}
        class Obj:
            pass
        o = Obj()
        def work():
            o.x = data["a"]
            data["b"] = o.x + 1
        t = threading.Thread(target=work)
        t.start(); t.join()
        print(data, o.x)
        sys.stdout.flush()
        def fail():
            return data["missing"]
        fail()
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python, check=False)
                untraced = subprocess.run([python, trace.script], capture_output=True)
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.returncode, untraced.returncode)
                self.assertEqual(proc.stdout, untraced.stdout)
                self.assertEqual(proc.stderr, untraced.stderr)
                self.assertIn(b"KeyError: 'missing'", proc.stderr)
                self.assertTrue(accesses(trace, name="'b'"))

    def test_starting_a_thread_twice_raises_as_untraced(self):
        script = """
        import threading
        t = threading.Thread(target=lambda: None)
        t.start(); t.join()
        t.start()
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python, check=False)
                untraced = subprocess.run([python, trace.script], capture_output=True)
                self.assertEqual(proc.returncode, untraced.returncode)
                self.assertIn(b"RuntimeError: threads can only be started once", proc.stderr)
                if version >= (3, 11):
                    self.assertEqual(proc.stderr, untraced.stderr)

    def test_a_thread_that_raises_keeps_its_traceback(self):
        script = """
        import threading
        shared = {}
        def work():
            shared["k"] = 1
            raise ValueError("boom %d" % shared["k"])
        t = threading.Thread(target=work)
        t.start(); t.join()
        print("after")
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                untraced = subprocess.run([python, trace.script], capture_output=True)
                self.assertEqual(proc.stderr, untraced.stderr)
                self.assertEqual(proc.stdout, b"after\n")

    def test_a_program_with_its_own_settrace_keeps_it(self):
        script = """
        import sys, threading
        lines = []
        total = 0
        def tracer(frame, event, arg):
            if event == "line" and frame.f_code.co_name == "counted":
                lines.append(frame.f_lineno)
            return tracer
        def counted():
            global total
            total += 1
            total += 2
        def work():
            counted()
        t = threading.Thread(target=work)
        t.start(); t.join()
        print("before", sys.gettrace())
        sys.settrace(tracer)
        counted()
        sys.settrace(None)
        print("lines", len(lines), "total", total, sys.gettrace())
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                untraced = subprocess.run([python, trace.script], capture_output=True)
                self.assertEqual(proc.stdout, untraced.stdout)
                self.assertEqual(proc.stdout, b"before None\nlines 2 total 6 None\n")

    def test_an_active_debugger_tracer_leaves_recording_off_before_3_12(self):
        script = """
        import sys, threading
        def tracer(frame, event, arg):
            return None
        sys.settrace(tracer)
        counter = 0
        def work():
            global counter
            counter += 1
        t = threading.Thread(target=work)
        t.start(); t.join()
        print(sys.gettrace() is tracer)
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                self.assertEqual(proc.stdout, b"True\n")
                if version < (3, 12):
                    self.assertEqual(accesses(trace), [])
                else:
                    self.assertTrue(accesses(trace, name="counter"), "sys.monitoring works beside it")

    def test_a_forked_child_starts_its_own_ids(self):
        script = """
        import os, threading
        n = 0
        def work():
            global n
            n += 1
        t = threading.Thread(target=work); t.start(); t.join()
        pid = os.fork()
        if pid == 0:
            t = threading.Thread(target=work); t.start(); t.join()
            n += 1
            os._exit(0)
        os.waitpid(pid, 0)
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                pids = trace.pids()
                self.assertEqual(len(pids), 2)
                for pid in pids:
                    objs = {r.obj for r in trace.of("OBJECT") if r.pid == pid and trace.blob(r) == "Python.globals"}
                    acc = [r for r in trace.of("SHARED_READ", "SHARED_WRITE") if r.pid == pid]
                    self.assertTrue(acc)
                    self.assertTrue({r.obj for r in acc} <= objs, "every id used is announced in its own process")


class Signals(unittest.TestCase):
    def test_ctrl_c_in_a_traced_loop_is_the_programs_keyboardinterrupt(self):
        script = textwrap.dedent("""
        import threading
        counter = 0
        def work():
            global counter
            while True:
                counter += 1
        threading.Thread(target=work, daemon=True).start()
        print("ready", flush=True)
        while True:
            counter += 1
        """)
        for version, python in PYTHONS:
            with self.subTest(python=version):
                tmp = tempfile.mkdtemp(prefix="ct-test-")
                path = os.path.join(tmp, "script.py")
                with open(path, "w") as f:
                    f.write(script)
                os.mkdir(os.path.join(tmp, "trace"))
                env = dict(os.environ, PYTHONPATH=tracefile.RUNTIME, CONCURRENCY_TRACE_DIR=os.path.join(tmp, "trace"),
                           CONCURRENCY_TRACE_TOKEN="testtoken", CONCURRENCY_TRACE_PY_STATE="all")
                proc = subprocess.Popen([python, path], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                try:
                    self.assertEqual(proc.stdout.readline(), b"ready\n")
                    import signal
                    import time
                    time.sleep(0.3)
                    proc.send_signal(signal.SIGINT)
                    _out, err = proc.communicate(timeout=60)
                finally:
                    if proc.poll() is None:     # a failed check leaves no endless loop running
                        proc.kill()
                        proc.communicate()
                self.assertNotEqual(proc.returncode, 0)
                self.assertTrue(err.rstrip().endswith(b"KeyboardInterrupt"), err)
                self.assertIn(b'script.py", line', err)
                if version >= (3, 12):
                    self.assertNotIn(b"concurrency_trace", err, "no tracer frame in the traceback")
                # Up to 3.11 a Ctrl-C that lands inside the trace function can
                # keep it as the traceback's last line (py_state_settrace).

    def test_a_program_taking_our_monitoring_tool_id_gets_it(self):
        script = """
        import sys, threading
        counter = 0
        def work():
            global counter
            counter += 1
        t = threading.Thread(target=work); t.start(); t.join()
        for tool in (3, 4):
            if sys.monitoring.get_tool(tool) is None or True:
                try:
                    sys.monitoring.use_tool_id(tool, "mine")
                    print("got", tool, sys.monitoring.get_tool(tool))
                except ValueError as e:
                    print("refused", tool, e)
        """
        for version, python in PYTHONS:
            if version < (3, 12):
                continue
            with self.subTest(python=version):
                proc, trace = run(script, python)
                self.assertEqual(proc.stdout, b"got 3 mine\ngot 4 mine\n")
                self.assertTrue(accesses(trace, name="counter"))


class Budget(unittest.TestCase):
    def test_a_hot_loop_records_a_bounded_number_of_accesses_from_every_thread(self):
        script = COUNTER.replace("args=(50,)", "args=(200000,)").replace(
            "range(2)", "range(3)")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                rows = accesses(trace, name="counter")
                self.assertLess(len(rows), 20000)
                threads = {r[4] for r in rows if r[0] == "WRITE"}
                self.assertEqual(len(threads), 3, "every thread's first accesses are there")

    def test_sequential_threads_reusing_an_ident_each_get_their_accesses(self):
        script = """
        import threading
        counter = 0
        def work():
            global counter
            for _ in range(100):
                counter += 1
        for _ in range(3):
            t = threading.Thread(target=work)
            t.start()
            t.join()
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                writes = [r for r in accesses(trace, name="counter") if r[0] == "WRITE"]
                values = sorted(r[2] for r in writes)
                for first in (1, 101, 201):
                    self.assertIn(first, values, "each thread's first write")

    def test_a_cpu_bound_loop_that_reads_only_builtins_gets_no_opcode_events(self):
        # The GIL lesson's loop: nothing in it is shared state, so 3.8-3.11
        # must not run the trace function per instruction (it was 30x slower).
        script = """
        import sys, threading
        seen = []
        def probe():
            seen.append(sys._getframe(1).f_trace is None)
        def count(n):
            total = 0
            for i in range(n):
                total += i % 7
            probe()
            return total
        ts = [threading.Thread(target=count, args=(1000,)) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(seen)
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, _trace = run(script, python)
                self.assertEqual(proc.stdout.decode().strip(), "[True, True]", proc.stderr.decode())


if __name__ == "__main__":
    unittest.main()
