"""dask.array and dask.dataframe graphs computed with the threaded
scheduler (2 workers): the sum of a 4-chunk array and a groupby over a
2-partition dataframe."""
import dask
import dask.array as da
import dask.dataframe as dd
import pandas as pd

if __name__ == "__main__":
    x = da.arange(8, chunks=2)
    frame = dd.from_pandas(pd.DataFrame({"k": [0, 1, 0, 1], "v": [1, 2, 3, 4]}), npartitions=2)
    total, grouped = dask.compute(x.sum(), frame.groupby("k").v.sum(), scheduler="threads", num_workers=2)
    print(int(total), grouped.to_dict())
