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


# Which lazy areas are installed (and which of their modules imported), and the order of the hooks on
# multiprocessing.managers (qualified names; a stand-in of a deferred area as
# "deferred:<area>"), after the script's imports.
AREAS_STATE = """
import sys
{imports}
from concurrency_trace import import_hooks, patches
def name(cb):
    if isinstance(cb, import_hooks._Deferred):
        return "deferred:" + cb.load.__defaults__[0] + (":done" if cb.done else "")
    return getattr(cb, "__module__", "?").rsplit(".", 1)[-1] + "." + getattr(cb, "__qualname__", "?")
print(sorted(n for n in (m.__name__.rsplit(".", 1)[-1] for m in patches.installed) if n in patches.LAZY))
print([name(cb) for cb in import_hooks._watch.get("multiprocessing.managers", [])])
print(sorted(m for m in ("pools", "futures", "asyncio_tasks", "lib_joblib", "proxy_calls", "shared_proxies")
             if "concurrency_trace." + m in sys.modules))
"""

WATCHED = """
import sys
sys.path.insert(0, sys.argv[1])
from concurrency_trace import import_hooks, patches
import importlib
for area, names in sorted(patches.LAZY.items()):
    before = {k: len(v) for k, v in import_hooks._watch.items()}
    importlib.import_module("concurrency_trace." + area).install()
    grew = sorted(k for k, v in import_hooks._watch.items() if len(v) > before.get(k, 0))
    print(area, grew == sorted(names), grew)
"""


class LazyAreas(unittest.TestCase):
    def test_each_lazy_area_watches_exactly_the_modules_patches_lists_for_it(self):
        runtime = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "src", "runtime")
        env = dict(os.environ)
        env.pop("CONCURRENCY_TRACE_DIR", None)
        out = subprocess.run([sys.executable, "-S", "-c", WATCHED, runtime], env=env, capture_output=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.decode().splitlines()
        self.assertEqual(len(lines), 8, out.stdout)
        for line in lines:
            self.assertIn(" True ", line)

    def test_a_program_that_imports_none_of_their_modules_does_not_import_the_lazy_areas(self):
        proc, trace = tracefile.run(AREAS_STATE.format(imports="import threading, queue"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed, _, imported = proc.stdout.decode().splitlines()
        self.assertEqual(installed, "[]")
        self.assertEqual(imported, "[]")
        self.assertEqual(len(trace.of("PROCESS_START")), 1)

    def test_an_area_installed_late_keeps_its_hooks_in_the_order_of_the_areas(self):
        # sharedctypes first: shared is installed, its managers hook takes its
        # stand-in's place, before proxy_calls' (as when every area was installed at start-up).
        proc, _ = tracefile.run(AREAS_STATE.format(imports="import multiprocessing.sharedctypes"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed, hooks, _ = proc.stdout.decode().splitlines()
        self.assertEqual(installed, "['shared']")
        self.assertLess(hooks.index("shared_proxies.patch"), hooks.index("deferred:proxy_calls"), hooks)
        self.assertLess(hooks.index("manager_locks.patch_managers"), hooks.index("shared_proxies.patch"), hooks)
        proc, _ = tracefile.run(AREAS_STATE.format(imports="import multiprocessing.managers"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed, hooks, _ = proc.stdout.decode().splitlines()
        self.assertEqual(installed, "['pools', 'proxy_calls', 'shared']", "managers imports multiprocessing.pool")
