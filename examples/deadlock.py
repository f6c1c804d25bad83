"""Two threads each take one lock, then wait for the other's lock: a deadlock.
Neither can go on. Here each gives up after 5 seconds (acquire with a
timeout), so the program ends by itself; with a plain `with lock_b:` it would
hang forever. The fix: take the two locks in the same order in every thread."""
import threading

lock_a = threading.Lock()
lock_b = threading.Lock()
both_hold_one = threading.Barrier(2)  # makes the unlucky timing happen every time


def transfer_a_to_b():
    with lock_a:
        both_hold_one.wait()
        if lock_b.acquire(timeout=5):
            lock_b.release()
        else:
            print("transfer_a_to_b gave up waiting for lock_b")


def transfer_b_to_a():
    with lock_b:
        both_hold_one.wait()
        if lock_a.acquire(timeout=5):
            lock_a.release()
        else:
            print("transfer_b_to_a gave up waiting for lock_a")


if __name__ == "__main__":
    one = threading.Thread(target=transfer_a_to_b, name="transfer_a_to_b")
    two = threading.Thread(target=transfer_b_to_a, name="transfer_b_to_a")
    one.start()
    two.start()
    one.join()
    two.join()
    print("done")
