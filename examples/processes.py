"""Processes: split the work into chunks and give each chunk its own process.

Each process runs summarize() on its chunk, in its own interpreter, at the same
time as the others; the main process starts them all, then waits for each with
join(). The timeline shows one row per process, named by what it runs."""
from multiprocessing import Process


def summarize(chunk_id, numbers):
    total = sum(n * n for n in numbers)
    print(f"chunk {chunk_id}: {len(numbers)} numbers, sum of squares {total}", flush=True)


if __name__ == "__main__":
    data = list(range(400_000))
    size = len(data) // 4
    chunks = [data[i * size:(i + 1) * size] for i in range(4)]
    workers = [Process(target=summarize, args=(i, chunk)) for i, chunk in enumerate(chunks)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("all chunks done")
