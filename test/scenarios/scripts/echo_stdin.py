import sys
data = sys.stdin.read()
print("read %d chars: %s" % (len(data), data.strip().upper()))
sys.exit(3)
