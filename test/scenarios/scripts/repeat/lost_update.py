"""Four threads add 1 to a global counter 200 times each.

racy:   `tmp = counter; counter = tmp + 1` with no lock: an update is lost
        when another thread runs between the read and the write.  With the
        default switch interval (5 ms) a thread does its 200 updates before
        the GIL passes, so runs pass; perturbed, nearly every run loses some.
locked: the same under a Lock: never loses one, perturbed or not.

Prints the switch interval (perturbation sets it from the seed) and the
total; exits 1 when updates were lost.
"""
import sys
import threading

N = 200
THREADS = 4
counter = 0
lock = threading.Lock()


def racy():
    global counter
    for _ in range(N):
        tmp = counter
        counter = tmp + 1


def locked():
    global counter
    for _ in range(N):
        with lock:
            tmp = counter
            counter = tmp + 1


if __name__ == "__main__":
    work = racy if sys.argv[1] == "racy" else locked
    print("switch interval %r" % sys.getswitchinterval())
    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter %d of %d" % (counter, N * THREADS))
    sys.exit(0 if counter == N * THREADS else 1)
