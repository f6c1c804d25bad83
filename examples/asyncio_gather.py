"""asyncio: three coroutines take turns on one thread.

asyncio.gather() runs fetch() three times as tasks. Each task runs until it
awaits (here asyncio.sleep, standing in for network I/O), and the event loop
runs another task meanwhile: the waits overlap, the work does not. The timeline
shows a lane per task under the loop's thread, with each step it ran."""
import asyncio


async def fetch(name, delay):
    for part in range(3):
        await asyncio.sleep(delay)
        checksum = sum(i * i for i in range(20_000))  # a little work between waits
        print(f"{name}: part {part} ({checksum % 97})")
    return name


async def main():
    results = await asyncio.gather(fetch("alpha", 0.05), fetch("beta", 0.08), fetch("gamma", 0.03))
    print("done:", ", ".join(results))


if __name__ == "__main__":
    asyncio.run(main())
