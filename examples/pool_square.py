"""Pool(4).map(square, range(6)): six tasks spread over four worker processes."""
from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(4) as pool:
        print(pool.map(square, range(6)))
