"""Helpers for the py_state tests: the interpreters to run on, and the
SHARED_* records of a trace in readable form."""
import os
import sys
import textwrap

from test.runtime import tracefile

_CANDIDATES = [
    "/root/.pyenv/versions/3.8.18/bin/python3.8",
    "/root/.pyenv/versions/3.12.1/bin/python3.12",
    "/root/.pyenv/versions/3.13.0/bin/python3.13",
    "/root/.cache/ct-pythons/bin/python3.14",
    "/root/.cache/ct-pythons/bin/python3.15",
]


def _version(python):
    import subprocess
    try:
        out = subprocess.run([python, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, timeout=30).stdout.decode().strip()
        return tuple(int(x) for x in out.split("."))
    except Exception:
        return None


def pythons():
    """(version, path) of python3 and of the other interpreters here: the
    mechanism differs by version (settrace up to 3.11, sys.monitoring from
    3.12)."""
    seen = {}
    for p in [sys.executable] + _CANDIDATES:
        if p == sys.executable or os.path.exists(p):
            v = _version(p)
            if v is not None and v not in seen and v < (3, 15):
                seen[v] = p
    return sorted(seen.items())


PYTHONS = pythons()

# The tutorial race: two threads, `counter += 1` on a module global.
COUNTER = """
import threading
counter = 0
def work(n):
    global counter
    for _ in range(n):
        counter += 1
ts = [threading.Thread(target=work, args=(50,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(counter)
"""


def run(code, python, env=None, check=True):
    proc, trace = tracefile.run(textwrap.dedent(code), python=python,
                                env=dict({"CONCURRENCY_TRACE_DEBUG": "1"}, **(env or {})))
    if check and proc.returncode != 0:
        raise AssertionError("script failed (%d) on %s:\n%s\n%s" % (
            proc.returncode, python, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")))
    return proc, trace


def value(trace, rec):
    """The value of a SHARED_* record as text: ints inline, else the blob."""
    if rec.a < 0:
        return -rec.a - 2 ** 51
    if rec.a == 0:
        return None
    return trace.blob(rec)


def part(trace, rec):
    """The variable of a SHARED_* record: an int index / key, else the name."""
    if rec.b & 1:
        return (rec.b - 1) // 2
    if rec.b == 0:
        return None
    return trace.blobs.get((rec.pid, rec.b // 2))


def objects(trace, type_name=None):
    """{obj id: (type, label, line)} of the OBJECT records of Python state."""
    out = {}
    for r in trace.of("OBJECT"):
        t = trace.blob(r)
        if t and t.startswith("Python.") and (type_name is None or t == type_name):
            out[r.obj] = (t, trace.blob(r, "b"), trace.site(r)[1] if trace.site(r) else None)
    return out


def thread_of(trace, rec):
    """The thread that wrote a record: (pid, ident, start time); idents of
    threads that have ended are reused."""
    best = None
    for t in trace.of("THREAD_START"):
        if t.pid == rec.pid and t.ident == rec.ident and t.ts <= rec.ts and (best is None or t.ts > best.ts):
            best = t
    return (rec.pid, rec.ident, best.ts if best is not None else 0)


def accesses(trace, obj=None, name=None):
    """SHARED_* records of Python state (of one object / variable), in time
    order, as (kind, variable, value, line, thread, record); thread is
    thread_of()."""
    py = objects(trace)
    out = []
    for r in trace.of("SHARED_READ", "SHARED_WRITE"):
        if r.obj not in py or (obj is not None and r.obj != obj):
            continue
        p = part(trace, r)
        if name is not None and p != name:
            continue
        out.append((r.name[7:], p, value(trace, r), trace.site(r)[1], thread_of(trace, r), r))
    return out


def line_of(script, needle):
    for i, line in enumerate(textwrap.dedent(script).splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)
