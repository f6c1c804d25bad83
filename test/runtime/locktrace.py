"""Helpers shared by the lock tests (test_locks, test_sync_primitives,
test_mp_locks, test_manager_locks)."""
import textwrap

from test.runtime import tracefile

LOCK_KINDS = ("LOCK_WAIT", "LOCK_HOLD", "LOCK_TRY_FAIL", "LOCK_RELEASE")


def run(code, *args, **kw):
    proc, trace = tracefile.run(textwrap.dedent(code), *args, **kw)
    if proc.returncode != 0:
        raise AssertionError("script failed (%d):\n%s\n%s" % (
            proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")))
    return proc, trace


def objects(trace, type_name=None):
    """{label: OBJECT record} of the objects of type_name."""
    out = {}
    for rec in trace.of("OBJECT"):
        if type_name is None or trace.blob(rec) == type_name:
            out[trace.blob(rec, "b")] = rec
    return out


def of(trace, obj, *kinds):
    return [r for r in trace.of(*kinds) if r.obj == obj]


def line(trace, rec):
    return trace.site(rec)[1]
