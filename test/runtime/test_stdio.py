import os
import pty
import re
import subprocess
import sys
import tempfile
import unittest

from test.runtime import tracefile

OUTPUT = r"""
import io, os, sys, threading
print("plain", 1, 2.5, sep="|")
print("no newline", end="")
print(" then flush", flush=True)
print("unicode: åäö ✓ 𝄞 \u00e9")
sys.stdout.write("write\n")
sys.stdout.buffer.write(b"\xff\xfe binary \x00 bytes\n")
sys.stdout.buffer.flush()
print("to stderr", file=sys.stderr)
sys.stderr.write("err write\n")
sys.stdout.writelines(["a\n", "b\n"])
os.write(1, b"os.write\n")
print("x" * 10000)
t = threading.Thread(target=lambda: print("from thread"))
t.start(); t.join()
saved = sys.stdout
sys.stdout = io.StringIO()
print("captured, not written")
captured = sys.stdout.getvalue()
sys.stdout = saved
print(repr(captured))
print(repr(sys.stdout), repr(sys.stderr), repr(sys.stdout.buffer))
print(sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__,
      isinstance(sys.stdout, io.TextIOWrapper), type(sys.stdout).__name__,
      sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.isatty(),
      sys.stdout.encoding, sys.stdout.errors, sys.stderr.errors,
      sys.stdout.line_buffering, sys.stderr.line_buffering,
      sys.stdout.write_through, sys.stderr.write_through,
      sys.stdout.name, sys.stdout.mode, vars(sys.stdout), sys.stdout.newlines,
      sys.stdout.buffer.__sizeof__(), sys.stderr.buffer.__sizeof__(), sys.stdout._CHUNK_SIZE)
sys.stdout.reconfigure(line_buffering=True)
print("after reconfigure")
print("exit message", file=sys.stderr, end="")
"""

ENCODED = r"""
import sys
print(sys.stdout.encoding, sys.stdout.errors)
print("latin: é, not latin: ✓")
sys.stderr.write("err ✓\n")
"""


def same_paths(stderr):
    return re.sub(rb'File "[^"]*script\.py"', b'File "script.py"', stderr)


def run_untraced(code, env=None):
    tmp = tempfile.mkdtemp(prefix="ct-untraced-")
    script = os.path.join(tmp, "script.py")
    with open(script, "w") as f:
        f.write(code)
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.pop("CONCURRENCY_TRACE_DIR", None)
    return subprocess.run([sys.executable, script], cwd=tmp, env=full_env,
                          capture_output=True, timeout=60)


class OutputIsUnchanged(unittest.TestCase):
    def compare(self, code, env):
        plain = run_untraced(code, env)
        proc, trace = tracefile.run(code, env=env)
        self.assertEqual(proc.returncode, plain.returncode, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertEqual(proc.stderr, plain.stderr)
        return proc, trace

    def test_bytes_identical_to_untraced_when_buffered(self):
        proc, _ = self.compare(OUTPUT, {"PYTHONUNBUFFERED": ""})
        self.assertIn(b"\xff\xfe binary", proc.stdout)

    def test_bytes_identical_to_untraced_when_unbuffered(self):
        self.compare(OUTPUT, {"PYTHONUNBUFFERED": "1"})

    def test_bytes_identical_with_another_encoding_and_errors(self):
        proc, _ = self.compare(ENCODED, {"PYTHONIOENCODING": "latin-1:replace", "PYTHONUNBUFFERED": ""})
        self.assertIn(b"8859-1 replace\n", proc.stdout)
        self.assertIn(b"not latin: ?", proc.stdout)

    def test_a_failing_write_raises_the_same_error_and_traceback(self):
        code = "print('ascii first')\nprint('caf\\u00e9')\n"
        env = {"PYTHONIOENCODING": "ascii:strict"}
        plain = run_untraced(code, env)
        proc, _ = tracefile.run(code, env=env)
        self.assertEqual(proc.returncode, plain.returncode)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertIn(b"UnicodeEncodeError", proc.stderr)
        if sys.version_info >= (3, 11):
            self.assertEqual(same_paths(proc.stderr), same_paths(plain.stderr))
        else:   # 3.8-3.10 re-raise keeps the wrapper's own frame
            self.assertEqual(proc.stderr.count(b'File "'), plain.stderr.count(b'File "') + 1)

    def test_terminal_output_identical_and_still_a_tty(self):
        code = ("import sys\n"
                "print(sys.stdout.isatty(), sys.stdout.line_buffering, sys.stderr.line_buffering)\n"
                "print('partial', end='')\n"
                "sys.stdout.flush()\n"
                "print(' rest')\n")

        def run_on_pty(traced):
            env = dict(os.environ, PYTHONUNBUFFERED="")
            tmp = tempfile.mkdtemp(prefix="ct-pty-")
            script = os.path.join(tmp, "s.py")
            with open(script, "w") as f:
                f.write(code)
            if traced:
                os.mkdir(os.path.join(tmp, "trace"))
                env.update(PYTHONPATH=tracefile.RUNTIME, CONCURRENCY_TRACE_DIR=os.path.join(tmp, "trace"),
                           CONCURRENCY_TRACE_TOKEN="t")
            master, slave = pty.openpty()
            p = subprocess.Popen([sys.executable, script], stdout=slave, stderr=slave, env=env)
            os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            p.wait(timeout=60)
            os.close(master)
            return out, tmp

        plain, _ = run_on_pty(False)
        traced, tmp = run_on_pty(True)
        self.assertEqual(traced, plain)
        self.assertTrue(plain.startswith(b"True True"), plain)
        trace = tracefile.Trace(os.path.join(tmp, "trace"))
        self.assertIn("partial", [trace.blob(r) for r in trace.of("IO_WRITE")])


class WritesAreRecorded(unittest.TestCase):
    def test_text_stream_thread_and_site_of_each_write(self):
        proc, trace = tracefile.run(OUTPUT, env={"PYTHONUNBUFFERED": ""})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        writes = trace.of("IO_WRITE")
        texts = [(trace.blob(r), r.b) for r in writes]
        self.assertEqual(texts[:6], [("plain", 1), ("|", 1), ("1", 1), ("|", 1), ("2.5", 1), ("\n", 1)])
        self.assertIn(("unicode: åäö ✓ 𝄞 é", 1), texts)
        self.assertIn(("to stderr", 2), texts)
        self.assertIn(("err write\n", 2), texts)
        self.assertIn(("a\n", 1), texts)
        self.assertIn(("exit message", 2), texts)
        # The binary write: once, flagged, decoded with replacement.
        binary = [(t, b) for t, b in texts if b & 256]
        self.assertEqual(binary, [("\ufffd\ufffd binary \x00 bytes\n", 1 | 256)])
        # Each text write once (the text layer's own pushes into .buffer are not recorded again).
        self.assertEqual(sum(1 for t, _ in texts if t == "write\n"), 1)
        # Not ours: the user's StringIO and os.write.
        self.assertFalse(any("captured" in t and "not written" in t and not t.startswith("'") for t, _ in texts))
        self.assertFalse(any("os.write" in t for t, _ in texts))
        # Long writes are cut at 4096 characters and flagged.
        long = [r for r in writes if r.b & 512]
        self.assertEqual(len(long), 1)
        self.assertEqual(trace.blob(long[0]), "x" * 4096)
        # Thread and site.
        thread_write = [r for r in writes if trace.blob(r) == "from thread"][0]
        main_ident = trace.of("PROCESS_START")[0].ident
        self.assertNotEqual(thread_write.ident, main_ident)
        self.assertEqual(trace.site(thread_write)[1], OUTPUT.splitlines().index(
            't = threading.Thread(target=lambda: print("from thread"))') + 1)
        first = writes[0]
        self.assertEqual(first.ident, main_ident)
        self.assertEqual(trace.site(first)[1], 3)

    def check_each_process_records_its_own_output(self, method):
        code = ("import multiprocessing as mp, sys\n"
                "def child():\n"
                "    print('child says')\n"
                "if __name__ == '__main__':\n"
                "    mp.set_start_method(sys.argv[1])\n"
                "    print('parent says', flush=True)\n"
                "    p = mp.Process(target=child); p.start(); p.join()\n")
        proc, trace = tracefile.run(code, method)
        self.assertEqual(proc.stdout, b"parent says\nchild says\n", proc.stderr)
        by_text = {}
        for r in trace.of("IO_WRITE"):
            by_text.setdefault(trace.blob(r), set()).add(r.pid)
        self.assertEqual(len(by_text["parent says"]), 1)
        self.assertEqual(len(by_text["child says"]), 1)
        self.assertNotEqual(by_text["parent says"], by_text["child says"])

    def test_a_fork_child_records_its_own_output(self):
        self.check_each_process_records_its_own_output("fork")

    def test_a_spawn_child_records_its_own_output(self):
        self.check_each_process_records_its_own_output("spawn")


if __name__ == "__main__":
    unittest.main()
