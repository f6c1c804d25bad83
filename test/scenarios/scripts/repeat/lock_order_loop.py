"""Two threads take two locks in opposite orders, 20 times each, with
nothing between the acquires: they deadlock only when the GIL passes from
one to the other between its two acquires.  Unperturbed (5 ms switch
interval) that does not happen in practice; perturbed (a pause before each
acquire), most runs hang."""
import threading

a = threading.Lock()
b = threading.Lock()


def one():
    for _ in range(20):
        with a:
            with b:
                pass


def two():
    for _ in range(20):
        with b:
            with a:
                pass


threads = [threading.Thread(target=one), threading.Thread(target=two)]
for t in threads:
    t.start()
for t in threads:
    t.join()
