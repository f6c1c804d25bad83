"""CPU-bound Pool workload for the traced/untraced ratio."""
from multiprocessing import Pool


def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


if __name__ == "__main__":
    with Pool(2) as pool:
        print(sum(pool.map(work, [300_000] * 40)))
