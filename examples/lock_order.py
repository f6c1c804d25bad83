"""Two threads take the same two locks in opposite orders: a lock-order
inversion. Here they take turns, so it never hangs, but it could."""
import threading
import time

accounts_lock = threading.Lock()
audit_lock = threading.Lock()


def transfer():
    with accounts_lock:
        with audit_lock:
            time.sleep(0.01)


def audit():
    time.sleep(0.05)
    with audit_lock:
        with accounts_lock:
            time.sleep(0.01)


a = threading.Thread(target=transfer, name="transfer")
b = threading.Thread(target=audit, name="audit")
a.start(); b.start()
a.join(); b.join()
print("done")
