"""asyncio tasks: gather, create_task, TaskGroup (3.11+)."""
import asyncio
import sys


async def fetch(n):
    await asyncio.sleep(0.01 * n)
    return n


async def main():
    print("gather", await asyncio.gather(fetch(1), fetch(2)), flush=True)
    t = asyncio.create_task(fetch(3), name="explicit")
    print("task", await t, flush=True)
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(fetch(1), name="tg-a")
            b = tg.create_task(fetch(2), name="tg-b")
        print("taskgroup", a.result() + b.result(), flush=True)


asyncio.run(main())
