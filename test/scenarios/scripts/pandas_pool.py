"""A realistic script: pandas frames summarised in a Pool, results gathered in the parent."""
import multiprocessing as mp
import sys

import pandas as pd


def summarise(chunk):
    frame = pd.DataFrame({"x": chunk, "y": [v * 2 for v in chunk]})
    return float(frame["y"].sum() - frame["x"].mean())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        mp.set_start_method(sys.argv[1], force=True)
    chunks = [list(range(i, i + 100)) for i in range(0, 400, 100)]
    with mp.Pool(2) as pool:
        results = pool.map(summarise, chunks)
    print(pd.Series(results).round(1).tolist())
