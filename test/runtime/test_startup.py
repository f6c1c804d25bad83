"""Start-up (bootstrap, sitecustomize): what the tracer does before the
script runs must not change what the script finds."""
import os
import subprocess
import sys
import tempfile
import unittest

from test.runtime import tracefile

SHADOWED = """
import json, mmap
print(json.MINE, mmap.MINE)
"""
OWN_MODULES = {"json.py": "MINE = 'json'\n", "mmap.py": "MINE = 'mmap'\n"}

CHDIR_THEN_CHILD = """
import os, subprocess, sys
os.chdir("/")
subprocess.run([sys.executable, "-c", "pass"], check=True)
print("ok")
"""


def run_plain(code, files=None, **popen):
    tmp = tempfile.mkdtemp(prefix="ct-untraced-")
    for name, text in dict(files or {}, **{"script.py": code}).items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    env = dict(os.environ)
    env.pop("CONCURRENCY_TRACE_DIR", None)
    return subprocess.run([sys.executable, os.path.join(tmp, "script.py")], cwd=tmp, env=env,
                          capture_output=True, timeout=60, **popen)


class ScriptFolderModules(unittest.TestCase):
    def test_the_scripts_own_json_and_mmap_are_the_ones_it_imports(self):
        plain = run_plain(SHADOWED, OWN_MODULES)
        self.assertEqual(plain.stdout, b"json mmap\n", plain.stderr)
        proc, trace = tracefile.run(SHADOWED, files=OWN_MODULES)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertEqual(len(trace.of("PROCESS_START")), 1, "still traced")

    def test_without_modules_of_its_own_the_script_gets_the_standard_ones(self):
        proc, _ = tracefile.run("import json, mmap\nprint(json.dumps([1]), mmap.PAGESIZE > 0)\n")
        self.assertEqual(proc.stdout, b"[1] True\n", proc.stderr)


class RunFolder(unittest.TestCase):
    def test_a_relative_run_folder_is_found_by_children_started_after_chdir(self):
        proc, trace = tracefile.run(CHDIR_THEN_CHILD, env={"CONCURRENCY_TRACE_DIR": "trace"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"ok\n")
        self.assertEqual(len(trace.pids()), 2, "the child after os.chdir('/') is traced too")


if __name__ == "__main__":
    unittest.main()
