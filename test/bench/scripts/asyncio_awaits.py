"""100 000 awaits of three kinds, each loop timed on its own (CPU ns of the process, so that other load on the machine does not count; one line
each): a future completed by a callback (a suspension: a step and a wait),
a bare yield (sleep(0): a step, no wait), and a Queue hand-off between two
tasks (a put, a get and a wait per item).  Run untraced and traced by
test/bench/asyncio_cost.py."""
import asyncio
import time

N = 100_000


async def futures():
    loop = asyncio.get_running_loop()
    t0 = time.process_time_ns()
    for _ in range(N):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, None)
        await fut
    return time.process_time_ns() - t0


async def yields():
    t0 = time.process_time_ns()
    for _ in range(N):
        await asyncio.sleep(0)
    return time.process_time_ns() - t0


async def queue():
    q = asyncio.Queue(maxsize=1)

    async def producer():
        for i in range(N):
            await q.put(i)

    async def consumer():
        for _ in range(N):
            await q.get()
    t0 = time.process_time_ns()
    await asyncio.gather(producer(), consumer())
    return time.process_time_ns() - t0


async def main():
    for run in (futures, yields, queue):
        print(run.__name__, await run())


asyncio.run(main())
