"""asyncio hand-offs: a producer and two consumers through an asyncio.Queue,
a start Event, a Lock around a shared total, and awaits of tasks."""
import asyncio


async def produce(jobs, start):
    await start.wait()
    for n in range(6):
        await jobs.put(n)
        await asyncio.sleep(0.002)
    for _ in range(2):
        await jobs.put(None)


async def consume(jobs, lock, totals):
    while True:
        n = await jobs.get()
        if n is None:
            return
        async with lock:
            await asyncio.sleep(0.008)   # longer than the producer's pace: the other consumer waits
            totals.append(n)


async def main():
    jobs = asyncio.Queue(maxsize=2)
    lock = asyncio.Lock()
    start = asyncio.Event()
    totals = []
    producer = asyncio.create_task(produce(jobs, start), name="producer")
    consumers = [asyncio.create_task(consume(jobs, lock, totals), name="consumer-%d" % i) for i in range(2)]
    await asyncio.sleep(0.02)
    start.set()
    await producer
    await asyncio.gather(*consumers)
    print("total", sum(totals), flush=True)


asyncio.run(main())
