"""A Pipe: two processes talk over one connection, both ways.

The parent sends numbers down the pipe; the child receives each one, squares
it and sends the answer back; None says "no more". Each send and its recv
in the other process are joined by an arrow on the timeline."""
from multiprocessing import Pipe, Process


def squarer(conn):
    while True:
        n = conn.recv()
        if n is None:
            break
        conn.send(n * n)
    conn.close()


if __name__ == "__main__":
    parent_end, child_end = Pipe()
    child = Process(target=squarer, args=(child_end,))
    child.start()
    for n in range(5):
        parent_end.send(n)
        print(f"{n} squared is {parent_end.recv()}")
    parent_end.send(None)
    child.join()
