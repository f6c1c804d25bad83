import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from test.runtime import tracefile

MANY_EVENTS = """
import threading
lock = threading.Lock()
for i in range(200000):
    with lock:
        pass
print("done", i)
"""


class DiskFull(unittest.TestCase):
    def test_a_full_disk_leaves_the_program_untraced_not_crashed(self):
        if os.geteuid() != 0 or not sys.platform.startswith("linux"):
            self.skipTest("needs root to mount a small tmpfs")
        mount = tempfile.mkdtemp(prefix="ct-full-")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).returncode != 0:
            os.rmdir(mount)
            self.skipTest("cannot mount tmpfs here")
        try:
            script = os.path.join(tempfile.mkdtemp(), "many.py")
            with open(script, "w") as f:
                f.write(MANY_EVENTS)
            env = dict(os.environ, PYTHONPATH=tracefile.RUNTIME, CONCURRENCY_TRACE_DIR=mount,
                       CONCURRENCY_TRACE_TOKEN="t")
            proc = subprocess.run([sys.executable, script], env=env, capture_output=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, b"done 199999\n")
            self.assertEqual(proc.stderr, b"")
            trace = tracefile.Trace(mount)
            holds = trace.of("LOCK_HOLD")
            self.assertGreater(len(holds), 1000, "traced until the disk was full")
            self.assertLess(len(holds), 200000)
        finally:
            subprocess.run(["umount", mount])
            shutil.rmtree(mount, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
