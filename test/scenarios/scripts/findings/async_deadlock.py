"""asyncio tasks that wait for each other.

locks-cycle:    task a takes lock_a then (after a sleep) lock_b, task b takes lock_b then lock_a:
                a cycle that lasts until the program gives up on them and exits
locks-ordered:  both take lock_a then lock_b: no cycle
locks-timeout:  the opposite order, each second acquire inside asyncio.wait_for(…, 1.0):
                the cycle dissolves when the timeouts fire (3.12+: wait_for awaits in the task itself;
                before, in a task of its own that the standard library makes, which is not recorded)
locks-timeout-scope: the same with `async with asyncio.timeout(1.0):` (3.11+)
locks-inverted: the opposite orders, but task b starts taking them only after task a is done
                with both (no hang this time; another timing would hang)
tasks-cycle:    task a awaits task b, which awaits task a: never resumed until the program exits
tasks-chain:    a awaits b, b awaits c, c sleeps and returns: no cycle
sleeping-holder: task a holds lock_a while it sleeps; task b awaits lock_a meanwhile: no deadlock
"""
import asyncio
import os
import sys

mode = sys.argv[1]


async def take(first, second, timeout=None):
    async with first:
        await asyncio.sleep(0.1)
        if timeout is None:
            async with second:
                return 'both'
        try:
            if mode == 'locks-timeout-scope':
                async with asyncio.timeout(timeout):
                    await second.acquire()
            else:
                await asyncio.wait_for(second.acquire(), timeout)
        except asyncio.TimeoutError:
            return 'gave up'
        second.release()
        return 'both'


async def take_later(first, second):
    await asyncio.sleep(0.2)
    async with first:
        async with second:
            return 'both'


async def awaits(tasks, other):
    await asyncio.sleep(0.05)
    return await tasks[other]


async def leaf():
    await asyncio.sleep(0.2)
    return 'leaf'


async def hold_and_sleep(lock):
    async with lock:
        await asyncio.sleep(0.5)


async def wait_for_lock(lock):
    await asyncio.sleep(0.05)
    async with lock:
        return 'got it'


async def main():
    lock_a = asyncio.Lock()
    lock_b = asyncio.Lock()
    tasks = {}
    if mode == 'locks-inverted':
        tasks['a'] = asyncio.create_task(take_later(lock_a, lock_b), name='worker-a')
        tasks['b'] = asyncio.create_task(take(lock_b, lock_a), name='worker-b')
    elif mode.startswith('locks'):
        second_a, second_b = (lock_b, lock_a) if mode != 'locks-ordered' else (lock_b, lock_b)
        first_b = lock_b if mode != 'locks-ordered' else lock_a
        timeout = 1.0 if mode.startswith('locks-timeout') else None
        tasks['a'] = asyncio.create_task(take(lock_a, second_a, timeout), name='worker-a')
        tasks['b'] = asyncio.create_task(take(first_b, second_b, timeout), name='worker-b')
    elif mode == 'tasks-cycle':
        tasks['a'] = asyncio.create_task(awaits(tasks, 'b'), name='task-a')
        tasks['b'] = asyncio.create_task(awaits(tasks, 'a'), name='task-b')
    elif mode == 'tasks-chain':
        tasks['c'] = asyncio.create_task(leaf(), name='task-c')
        tasks['b'] = asyncio.create_task(awaits(tasks, 'c'), name='task-b')
        tasks['a'] = asyncio.create_task(awaits(tasks, 'b'), name='task-a')
    else:
        tasks['a'] = asyncio.create_task(hold_and_sleep(lock_a), name='holder')
        tasks['b'] = asyncio.create_task(wait_for_lock(lock_a), name='waiter')
    done, pending = await asyncio.wait(list(tasks.values()), timeout=3.0)
    print('done', sorted(t.get_name() + ' ' + str(t.result()) for t in done), 'pending', len(pending), flush=True)
    if pending:
        os._exit(0)  # the stuck tasks would hang asyncio.run's shutdown: leave as a program that gives up would


asyncio.run(main())
