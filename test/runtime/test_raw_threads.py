"""Threads of _thread.start_new_thread / start_joinable_thread (raw_threads):
recorded like threading.Thread's (THREAD_START, THREAD_SPAWN, plain Python
state for the race analysis), behaving as untraced."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from test.runtime import pythons, tracefile
from test.runtime.pystatetrace import accesses

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "dist", "cli.js")

# Two _thread threads, `counter += 1` on a module global; the main thread
# waits for both on Events.  LOCKED: the same, each += under one Lock.
RACE = """
import _thread, threading
counter = 0
lock = threading.Lock()
def work(n, finished):
    global counter
    for _ in range(n):
        counter += 1
    finished.set()
ends = []
for _ in range(2):
    finished = threading.Event()
    ends.append(finished)
    _thread.start_new_thread(work, (200, finished))
for finished in ends:
    finished.wait()
print(counter)
"""
LOCKED = RACE.replace("        counter += 1\n", "        with lock:\n            counter += 1\n")


def version_of(v):
    return tuple(map(int, v.split(".")))


def findings(python, script_text):
    """Kinds of the findings of a run through the CLI (the real analysis)."""
    tmp = tempfile.mkdtemp(prefix="ct-raw-")
    try:
        script = os.path.join(tmp, "script.py")
        with open(script, "w") as f:
            f.write(script_text)
        out = os.path.join(tmp, "t.ctrace")
        run = subprocess.run(["node", CLI, "run", "--python", python, "--out", out, script],
                             capture_output=True, timeout=180)
        assert run.returncode == 0, run.stderr
        summary = subprocess.run(["node", CLI, "summary", "--json", out], capture_output=True, timeout=120)
        assert summary.returncode == 0, summary.stderr
        return [(f["kind"], f["message"]) for f in json.loads(summary.stdout)["findings"]]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Races(unittest.TestCase):
    def test_two_raw_threads_writing_a_global_leave_accesses_of_two_threads_with_their_spans(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(RACE, python=python)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertEqual(proc.stdout, b"400\n")
                starts = trace.of("THREAD_START")
                raw = [t for t in starts if t.b & 1]    # daemon: the two _thread threads
                self.assertEqual(len(raw), 2)
                spawns = trace.of("THREAD_SPAWN")
                self.assertEqual(sorted(s.obj for s in spawns), sorted(t.ident for t in raw))
                writes = [r for r in accesses(trace, name="counter") if r[0] == "WRITE"]
                # Each thread is its own span, even where the second got the first's ident.
                self.assertEqual({w[4] for w in writes}, {(t.pid, t.ident, t.ts) for t in raw})

    @unittest.skipUnless(os.path.exists(CLI), "dist/cli.js is built by npm run build")
    def test_a_race_between_raw_threads_is_a_data_race_finding_and_its_locked_twin_is_not(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                found = findings(python, RACE)
                self.assertEqual([k for k, _ in found], ["data-race"], found)
                self.assertIn("counter", found[0][1])
                self.assertEqual(findings(python, LOCKED), [])


def untraced(python, script):
    return subprocess.run([python, script], capture_output=True, timeout=120)


def without_addresses(text):
    return re.sub(rb"0x[0-9a-f]+", b"0x?", text)


class Behaviour(unittest.TestCase):
    def check_same(self, script, at_least=(3, 8)):
        script = textwrap.dedent(script)
        for version, python in pythons.traced_pythons():
            if version_of(version) < at_least:
                continue
            with self.subTest(python=version):
                proc, trace = tracefile.run(script, python=python)
                plain = untraced(python, trace.script)
                self.assertEqual(proc.returncode, plain.returncode, proc.stderr)
                self.assertEqual(without_addresses(proc.stdout), without_addresses(plain.stdout))
                self.assertEqual(without_addresses(proc.stderr), without_addresses(plain.stderr))
                self.assertNotIn(b"concurrency_trace", proc.stderr)

    def test_return_value_exceptions_in_the_thread_and_argument_errors_are_as_untraced(self):
        self.check_same("""
            import _thread, sys, threading, time
            done = threading.Event()
            def boom(x, y=0):
                try:
                    raise ValueError(x + y)
                finally:
                    done.set()
            ident = _thread.start_new_thread(boom, (1,), {"y": 2})
            done.wait()
            time.sleep(0.2)
            print(type(ident).__name__, ident > 0, _thread.start_new_thread.__name__)
            exits = threading.Event()
            def leave():
                exits.set()
                raise SystemExit(3)
            _thread.start_new_thread(leave, ())
            exits.wait(); time.sleep(0.2)
            for call in (lambda: _thread.start_new_thread(boom),
                         lambda: _thread.start_new_thread(boom, [1]),
                         lambda: _thread.start_new_thread(1, ()),
                         lambda: _thread.start_new_thread(function=boom, args=())):
                try:
                    call()
                except TypeError as e:
                    print("TypeError", e)
            sys.stdout.flush()
        """)

    def test_a_joinable_thread_joins_and_raises_as_untraced(self):
        self.check_same("""
            import _thread
            out = []
            h = _thread.start_joinable_thread(lambda: out.append(1))
            h.join()
            print(out, h.is_done(), type(h).__name__)
            h = _thread.start_joinable_thread(function=lambda: out.append(2), daemon=False)
            h.join()
            print(out)
            def fail():
                raise KeyError("k")
            _thread.start_joinable_thread(fail).join()
        """, at_least=(3, 13))


if __name__ == "__main__":
    unittest.main()
