"""The CPython interpreters these tests run on: the one running them, pyenv's
3.8-3.13 and 3.14 / 3.15 (~/.cache/ct-pythons), those that exist and that the
tracer traces.  CT_TEST_PYTHONS=current limits a run to the current one;
CT_TEST_PYTHONS=3.8,3.12 to those versions (of the ones found)."""
import functools
import glob
import os
import subprocess
import sys

from test.runtime import tracefile


def _candidates():
    yield sys.executable
    for path in sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3.*")):
        base = os.path.basename(path)
        if base.count(".") == 1 and not base.endswith("-config"):
            yield path
    home = os.path.expanduser("~")
    for v in ("3.14", "3.15"):
        yield os.path.join(home, ".cache", "ct-pythons", "bin", "python" + v)


@functools.lru_cache(maxsize=None)
def traced_pythons():
    """(version, path) of each interpreter the tracer runs in, one per version."""
    only = os.environ.get("CT_TEST_PYTHONS", "").strip()
    if only == "current":
        return (("%d.%d" % sys.version_info[:2], sys.executable),)
    wanted = set(v.strip() for v in only.split(",") if v.strip())
    found = {}
    for path in _candidates():
        if not os.access(path, os.X_OK):
            continue
        try:
            out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, timeout=30).stdout.decode().strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if not out or out in found or tuple(map(int, out.split("."))) < (3, 8):
            continue
        if wanted and out not in wanted:
            continue
        proc, trace = tracefile.run("print(1)\n", python=path, timeout=60)
        if proc.returncode == 0 and trace.of("PROCESS_START"):
            found[out] = path
    return tuple(sorted(found.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))))


def run_untraced(code_path, python, *args, timeout=120, env=None):
    """Run a script written by a tracefile.run() untraced (same file)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.pop("CONCURRENCY_TRACE_DIR", None)
    return subprocess.run([python, code_path] + list(args), capture_output=True, timeout=timeout,
                          env=full_env, cwd=os.path.dirname(code_path))
