"""sitecustomize: which processes are traced, and the note a process leaves
in the run directory when it is not (the CLI and the extension report it)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from test.runtime import pythons, tracefile

PY37 = "/root/.pyenv/versions/3.7.16/bin/python3.7"


def run_in_dir(argv, preexec_fn=None):
    """Runs argv with the runtime on PYTHONPATH and a run directory; returns
    (CompletedProcess, {note file name: text}, number of event files)."""
    trace_dir = tempfile.mkdtemp(prefix="ct-site-")
    env = dict(os.environ, CONCURRENCY_TRACE_DIR=trace_dir, CONCURRENCY_TRACE_TOKEN="sitetest",
               PYTHONPATH=tracefile.RUNTIME)
    env.pop("CONCURRENCY_TRACE_DEBUG", None)
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=60, preexec_fn=preexec_fn)
        notes = {}
        for path in glob.glob(os.path.join(trace_dir, "untraced-*.txt")):
            with open(path) as f:
                notes[os.path.basename(path)] = f.read()
            mode = os.stat(path).st_mode & 0o777
            assert mode == 0o600, oct(mode)
        return proc, notes, len(glob.glob(os.path.join(trace_dir, "*.ctev")))
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)


def small_files():
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


class UntracedNotes(unittest.TestCase):
    def test_a_traced_process_leaves_no_note(self):
        proc, notes, events = run_in_dir([sys.executable, "-c", "print('hi')"])
        self.assertEqual(proc.stdout, b"hi\n")
        self.assertEqual(notes, {})
        self.assertEqual(events, 1)

    def test_a_tracer_that_cannot_create_its_files_leaves_a_note_and_the_program_runs(self):
        proc, notes, _ = run_in_dir([sys.executable, "-c", "print('hi')"], preexec_fn=small_files)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, b"hi\n", b""))
        self.assertEqual(len(notes), 1, notes)
        name, text = notes.popitem()
        self.assertRegex(name, r"^untraced-\d+-[0-9a-f]{8}\.txt$")
        self.assertRegex(text, r"^the tracer could not start \(OSError: .*File too large\)$")

    @unittest.skipUnless(os.path.exists(PY37), PY37 + " is not installed")
    def test_python_3_7_is_not_traced_and_says_why(self):
        proc, notes, events = run_in_dir([PY37, "-c", "print('hi')"])
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, b"hi\n", b""))
        self.assertEqual(list(notes.values()), ["Python 3.7 is older than 3.8"])
        self.assertEqual(events, 0)


SUBINTERPRETERS = r"""
import os, sys, threading, _testcapi
lock = threading.Lock()
with lock:
    pass
r, w = os.pipe()
code = ("import os, sys, threading\nl = threading.Lock()\nwith l: pass\n"
        "os.write(%d, b'traced ' if 'concurrency_trace' in sys.modules else b'untraced ')\n" % w)
# Two in a row: CPython 3.12's test_threading (SubinterpThreadingTests) died of SIGSEGV in the
# second one, configuring the C accelerator again from it.
codes = [_testcapi.run_in_subinterp(code) for _ in range(2)]
print(codes, os.read(r, 100).decode().split())
with lock:
    pass
"""


class Subinterpreters(unittest.TestCase):
    def test_subinterpreters_run_untraced_as_they_would_and_the_main_interpreter_stays_traced(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(SUBINTERPRETERS, python=python, timeout=60)
                self.assertEqual((proc.returncode, proc.stderr), (0, b""))
                self.assertEqual(proc.stdout, b"[0, 0] ['untraced', 'untraced']\n")
                self.assertEqual(len(trace.pids()), 1)
                self.assertGreaterEqual(len(trace.of("LOCK_HOLD")), 2)   # the main interpreter's two


class ProcessMetadata(unittest.TestCase):
    def test_gil_field_says_default_build_or_free_threaded_state(self):
        proc, trace = tracefile.run("print('x')\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [start] = trace.of("PROCESS_START")
        meta = json.loads(trace.blob(start, "b"))
        if "t" in getattr(sys, "abiflags", ""):
            self.assertEqual(meta["gil"], "enabled")   # only an enabled GIL is traced
        else:
            self.assertEqual(meta["gil"], "default")
        self.assertEqual(meta["python"], "%d.%d.%d" % sys.version_info[:3])


if __name__ == "__main__":
    unittest.main()
