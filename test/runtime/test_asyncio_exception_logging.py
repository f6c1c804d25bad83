"""asyncio's "exception was never retrieved" logs, traced as untraced.

A future's exception is logged when the future is collected unless someone
retrieved it (result(), exception(), a task awaiting it); done() and
cancelled() do not count.  The tracer reads tasks' fields only (never
exception(), never keeps a future alive), so each program below prints the
same stderr, in the same order, traced and untraced: the tornado
with_timeout pattern distributed's BatchedSend uses (a new future failed by
a timer, awaited by the waiter; the inner future's late failure read by a
done-callback), futures looked at or not, wait_for on futures and on a task
holding a Lock, a failed task nobody holds, and the loop stopping in the
iteration whose timer fails the future a task waits on (the task never
wakes: logged untraced too; this is what distributed's Client.close does
now and then under load).
"""
import unittest

from test.runtime import pythons, tracefile

PROGRAM = '''\
import asyncio
import gc
import sys


def say(*args):
    print(*args, file=sys.stderr, flush=True)


class Timeout(Exception):
    pass


def with_timeout(loop, delay, inner):
    """tornado.gen.with_timeout: a new future, failed with Timeout after delay
    unless inner finishes first; inner's later failure is read by a callback."""
    result = loop.create_future()

    def copy(f):
        if result.done():
            return
        if f.cancelled():
            result.cancel()
        elif f.exception() is not None:
            result.set_exception(f.exception())
        else:
            result.set_result(f.result())

    def error_callback(f):
        try:
            f.result()
        except asyncio.CancelledError:
            pass
        except Exception as e:
            say("failed after timeout:", repr(e))

    def timeout_callback():
        if not result.done():
            result.set_exception(Timeout("Timeout"))
        inner.add_done_callback(error_callback)

    handle = loop.call_later(delay, timeout_callback)
    inner.add_done_callback(copy)
    inner.add_done_callback(lambda f: handle.cancel())
    return result


async def tornado_like_waits():
    loop = asyncio.get_running_loop()
    inner = loop.create_future()
    for i in range(3):
        try:
            await with_timeout(loop, 0.001, inner)
        except Timeout:
            say("timed out", i)
    inner.set_exception(ValueError("late"))
    await asyncio.sleep(0.01)
    say("tornado-like done")


async def who_looks():
    loop = asyncio.get_running_loop()
    a = loop.create_future()
    a.set_exception(KeyError("a: done() and cancelled() do not retrieve"))
    a.done(), a.cancelled()
    del a
    gc.collect()
    say("a dropped")
    b = loop.create_future()
    b.set_exception(KeyError("b"))
    b.exception()
    del b
    gc.collect()
    say("b dropped")
    c = loop.create_future()
    c.add_done_callback(lambda f: f.exception())
    c.set_exception(KeyError("c"))
    await asyncio.sleep(0)
    del c
    gc.collect()
    say("c dropped")
    d = loop.create_future()
    loop.call_later(0.001, d.set_exception, KeyError("d"))
    try:
        await asyncio.wait_for(d, 5)
    except KeyError:
        say("d raised")
    lock, event = asyncio.Lock(), asyncio.Event()

    async def holder():
        async with lock:
            await event.wait()
            raise KeyError("e")
    task = asyncio.ensure_future(holder())
    await asyncio.sleep(0)
    event.set()
    try:
        await asyncio.wait_for(task, 5)
    except KeyError:
        say("e raised")
    lost = asyncio.ensure_future(holder())
    await asyncio.sleep(0.01)
    del lost
    gc.collect()
    say("f dropped")


def stop_in_the_iteration_of_the_timeout():
    """The loop stops in the iteration whose timer fails the future a task
    waits on: the task never wakes to retrieve it (distributed's BatchedSend
    at Client.close)."""
    loop = asyncio.new_event_loop()
    result = loop.create_future()

    async def waiter():
        try:
            await result
        except Timeout:
            say("not reached")
    task = loop.create_task(waiter())
    loop.run_until_complete(asyncio.sleep(0))
    loop.call_soon(result.set_exception, Timeout("Timeout"))
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    say("closed")
    del task, result
    gc.collect()
    say("collected")


asyncio.run(tornado_like_waits())
asyncio.run(who_looks())
stop_in_the_iteration_of_the_timeout()
say("end")
'''

# What the untraced program logs, in this order: if the program stopped
# showing them the comparison below would prove nothing.
EXPECTED_ORDER = [
    b"timed out 2",
    b"failed after timeout: ValueError('late')",
    b"Future exception was never retrieved",
    b"a dropped",
    b"b dropped",
    b"c dropped",
    b"d raised",
    b"e raised",
    b"Task exception was never retrieved",
    b"f dropped",
    b"closed",
    b"collected",
    b"end",
]
# Logged between "closed" and "collected", in the order the collector
# finalizes the pair (3.14 the other way round).
STRANDED = [
    b"Task was destroyed but it is pending!",
    b"Future exception was never retrieved\nfuture: <Future finished exception=Timeout('Timeout')>",
]


def in_order(text, parts):
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return part
        at += len(part)
    return None


class NeverRetrievedLogs(unittest.TestCase):
    maxDiff = None

    def test_unretrieved_exception_logs_are_the_untraced_bytes_in_the_untraced_order(self):
        for version, python in pythons.traced_pythons():
            with self.subTest(python=version):
                proc, trace = tracefile.run(PROGRAM, python=python, timeout=300)
                plain = pythons.run_untraced(trace.script, python, timeout=300)
                self.assertEqual(plain.returncode, 0, plain.stderr.decode(errors="replace"))
                self.assertIsNone(in_order(plain.stderr, EXPECTED_ORDER), plain.stderr.decode())
                self.assertEqual(plain.stderr.count(b"was never retrieved"), 3, plain.stderr.decode())
                closing = plain.stderr[plain.stderr.index(b"closed\n"):plain.stderr.index(b"collected\n")]
                for message in STRANDED:
                    self.assertIn(message, closing)
                self.assertEqual(proc.returncode, plain.returncode)
                self.assertEqual(proc.stdout, plain.stdout)
                self.assertEqual(proc.stderr.decode(errors="replace"), plain.stderr.decode(errors="replace"))
                # The tasks were traced (the comparison is of a traced run):
                # the failed holders ended raising, the stranded waiter never ended.
                ends = [r.a for r in trace.of("ASYNC_END")]
                self.assertEqual(ends.count(0), 2, ends)
                self.assertTrue(trace.of("ASYNC_WAIT"))


if __name__ == "__main__":
    unittest.main()
