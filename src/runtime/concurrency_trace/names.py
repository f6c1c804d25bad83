"""The name the program gives an object: where the result of the call that
created it is stored, read from the calling frame's bytecode.

`a = Lock(); b = Lock()` on one line gives "a" and "b" (the frame's last
instruction is the CALL that is running, and what follows it says where the
result goes), `a, b = Lock(), Lock()` likewise, `self.lock = Lock()` gives
"self.lock", `accounts[3] = Lock()` "accounts[3]", `accounts[i] = Lock()` and
`locks = [Lock() for _ in range(5)]` "accounts[…]" / "locks[…]" (the index
is not knowable without evaluating the program's expressions, which is never
done), `self.locks.append(Lock())` "self.locks[…]", `c = Condition(Lock())`
"c" (an argument is named after the call's result).  The instructions after
the call are followed on a symbolic stack (names and constants only) until
the result is stored or used otherwise ("" then: an argument, a return
value).  Nothing of the program runs; dis is imported the first time an
object is named.  Cached per (code, instruction).
"""
import sys
from _weakref import ref as _ref

from .safety import failed

_cache = {}         # (id(code), lasti) -> (weakref to code, name)
_instructions = {}  # id(code) -> (weakref to code, [Instruction], {offset: index})
_COMPREHENSIONS = frozenset(("<listcomp>", "<setcomp>", "<dictcomp>"))
_PY = sys.version_info[:2]


class _Mark(object):
    """The created object on the symbolic stack."""
    __slots__ = ()


MARK = _Mark()
_NULL = object()
_APPENDERS = frozenset(("append", "appendleft", "add", "put", "put_nowait"))
ELLIPSIS = "\u2026"


class _Const(object):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Part(object):
    """Element k of the created object, unpacked (`r, w = Pipe()`)."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


class _Method(object):
    """A bound-method lookup: obj.name about to be called."""
    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.obj = obj
        self.name = name


def assigned_name(frame, depth=0):
    """Where the result of the call that `frame` is executing goes, as
    text ("" if it is not stored under a name)."""
    if frame is None:
        return ""
    code = frame.f_code
    lasti = frame.f_lasti
    key = (id(code), lasti)
    hit = _cache.get(key)
    if hit is not None and hit[0]() is code:
        return hit[1]
    try:
        name = _follow(code, lasti, frame, depth)
    except Exception:
        failed()
        name = ""
    if len(_cache) > 20000:
        _cache.clear()
    try:
        _cache[key] = (_ref(code), name)
    except TypeError:
        pass
    return name


def _code_instructions(code):
    hit = _instructions.get(id(code))
    if hit is not None and hit[0]() is code:
        return hit[1], hit[2]
    import dis
    ins = list(dis.get_instructions(code))
    index = {i.offset: n for n, i in enumerate(ins)}
    if len(_instructions) > 2000:
        _instructions.clear()
    _instructions[id(code)] = (_ref(code), ins, index)
    return ins, index


def _follow(code, lasti, frame, depth):
    ins, index = _code_instructions(code)
    start = index.get(lasti)
    if start is None:
        # 3.11 during a Python-to-Python call: a cache entry of the CALL
        start = max((n for n, i in enumerate(ins) if i.offset < lasti), default=None)
        if start is None:
            return ""
    return _run(ins, index, start + 1, _stack_at(ins, index, start), frame, depth, "")


def _stack_at(ins, index, call):
    """The symbolic stack just after the call at `call` returns: the
    instructions of its line before it run symbolically (so a method
    receiving the result is known), the call's result is MARK.  Without a
    known line start or with a jump on the way: [MARK] alone."""
    start = call
    while start > 0 and not ins[start].starts_line:
        start -= 1
    stack = []
    for k in range(start, call):
        i = ins[k]
        if "JUMP" in i.opname or i.opname in ("FOR_ITER", "SEND", "SETUP_FINALLY", "SETUP_WITH"):
            return [MARK]
        if _run([i], None, 0, stack, None, 0, "", simulate_only=True) is not None:
            return [MARK]
    npop = _call_pops(ins[call].opname, ins[call].arg)
    if npop is None:
        return [MARK]
    _pad(stack, npop)
    del stack[len(stack) - npop:]
    stack.append(MARK)
    return stack


def _sym(v):
    """Text of a symbolic stack value used in a name, or None."""
    if type(v) is str:
        return v
    if type(v) is _Const:
        c = v.value
        if type(c) is int or type(c) is str:
            return repr(c)
    return None


def _index_text(v):
    if type(v) is _Const and (type(v.value) is int or type(v.value) is str):
        return repr(v.value)
    return ELLIPSIS


def _run(ins, index, pos, stack, frame, depth, suffix, simulate_only=False):
    """Follow the instructions from pos until MARK is stored (its name) or
    used otherwise ("").  simulate_only: run ins (one instruction) on stack;
    None if it was understood."""
    steps = 0
    n = len(ins)
    parts = None       # names of the unpacked elements, once MARK is unpacked
    wrapped = 0        # calls that took MARK as an argument

    def stored(value, name):
        """MARK stored under name: the result; an unpacked part: noted."""
        if value is MARK:
            return name + suffix
        if type(value) is _Part and parts is not None:
            parts[value.k] = name
            if all(parts):
                return ", ".join(parts)
        return None

    while pos < n and steps < 200:
        if simulate_only and steps:
            return None
        steps += 1
        i = ins[pos]
        op = i.opname
        arg = i.arg
        pos += 1
        if op in ("NOP", "EXTENDED_ARG", "CACHE", "PRECALL", "KW_NAMES", "NOT_TAKEN", "RESUME"):
            continue
        if op in ("STORE_NAME", "STORE_FAST", "STORE_GLOBAL", "STORE_DEREF"):
            done = stored(stack.pop(), i.argval)
            if done is not None:
                return done
            continue
        if op in ("STORE_FAST_STORE_FAST", "STORE_FAST_LOAD_FAST"):
            first, second = i.argval
            done = stored(stack.pop(), first)
            if done is not None:
                return done
            if op == "STORE_FAST_LOAD_FAST":
                stack.append(second)
                continue
            done = stored(stack.pop(), second)
            if done is not None:
                return done
            continue
        if op == "STORE_ATTR":
            obj = stack.pop()
            value = stack.pop()
            if value is MARK or type(value) is _Part:
                base = _sym(obj)
                if not base:
                    return ""
                done = stored(value, base + "." + i.argval)
                if done is not None:
                    return done
                continue
            if obj is MARK:
                return ""
            continue
        if op == "STORE_SUBSCR":
            key = stack.pop()
            container = stack.pop()
            value = stack.pop()
            if value is MARK or type(value) is _Part:
                base = _sym(container)
                if not base:
                    return ""
                done = stored(value, base + "[" + _index_text(key) + "]")
                if done is not None:
                    return done
                continue
            if MARK is key or MARK is container:
                return ""
            continue
        if op in ("LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK",
                  "LOAD_FAST_BORROW", "LOAD_FAST_AND_CLEAR", "LOAD_CLASSDEREF",
                  "LOAD_FROM_DICT_OR_DEREF", "LOAD_FROM_DICT_OR_GLOBALS"):
            stack.append(i.argval)
            continue
        if op == "LOAD_GLOBAL":
            if _PY >= (3, 11) and arg & 1:
                stack.append(_NULL)
            stack.append(i.argval)
            continue
        if op in ("LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"):
            stack.extend(i.argval)
            continue
        if op in ("LOAD_CONST", "LOAD_SMALL_INT"):
            stack.append(_Const(i.argval))
            continue
        if op == "PUSH_NULL":
            stack.append(_NULL)
            continue
        if op in ("LOAD_ATTR", "LOAD_METHOD"):
            obj = stack.pop() if stack else None
            if obj is MARK:
                return ""
            base = _sym(obj)
            method = op == "LOAD_METHOD" or (op == "LOAD_ATTR" and _PY >= (3, 12) and arg & 1)
            if method:
                if _PY >= (3, 11):
                    stack.append(_NULL)
                    stack.append(_Method(base, i.argval))
                else:
                    stack.append(_Method(base, i.argval))
                    stack.append(None)
            else:
                stack.append(base + "." + i.argval if base else None)
            continue
        if op == "BINARY_SUBSCR" or (op == "BINARY_OP" and i.argrepr == "[]"):
            key = stack.pop() if stack else None
            container = stack.pop() if stack else None
            if MARK is key or MARK is container:
                return ""
            base = _sym(container)
            stack.append(base + "[" + _index_text(key) + "]" if base else None)
            continue
        if op == "POP_TOP":
            if stack.pop() is MARK:
                return ""
            continue
        if op == "ROT_TWO":
            _rot(stack, 2)
            continue
        if op == "ROT_THREE":
            _rot(stack, 3)
            continue
        if op == "ROT_FOUR":
            _rot(stack, 4)
            continue
        if op == "SWAP":
            _pad(stack, arg)
            stack[-1], stack[-arg] = stack[-arg], stack[-1]
            continue
        if op == "COPY":
            _pad(stack, arg)
            stack.append(stack[-arg])
            continue
        if op == "DUP_TOP":
            _pad(stack, 1)
            stack.append(stack[-1])
            continue
        if op == "DUP_TOP_TWO":
            _pad(stack, 2)
            stack.extend(stack[-2:])
            continue
        if op in ("BUILD_TUPLE", "BUILD_LIST"):
            _pad(stack, arg)
            items = stack[len(stack) - arg:] if arg else []
            del stack[len(stack) - arg:]
            stack.append(items)
            continue
        if op == "UNPACK_SEQUENCE":
            seq = stack.pop() if stack else None
            if type(seq) is list and len(seq) == arg:
                stack.extend(reversed(seq))
            elif seq is MARK:
                parts = [""] * arg
                stack.extend(_Part(k) for k in reversed(range(arg)))
            else:
                stack.extend([None] * arg)
            continue
        if op in ("LIST_APPEND", "SET_ADD", "MAP_ADD"):
            popped = [stack.pop() if stack else None for _ in range(2 if op == "MAP_ADD" else 1)]
            if MARK in popped and not simulate_only:
                return _comprehension_target(ins, index, pos - 1, frame, depth, suffix)
            continue
        npop = _call_pops(op, arg)
        if npop is not None:
            _pad(stack, npop)
            args = stack[len(stack) - npop:]
            del stack[len(stack) - npop:]
            if MARK in args:
                callee = next((a for a in args if type(a) is _Method), None)
                if (callee is not None and callee.name in _APPENDERS and callee.obj
                        and args[-1] is MARK and args.count(MARK) == 1):
                    return callee.obj + "[" + ELLIPSIS + "]" + suffix
                # An argument of another call (`c = Condition(Lock())`): named
                # after where that call's result goes.
                wrapped += 1
                if wrapped > 2:
                    return ""
                stack.append(MARK)
                continue
            stack.append(None)
            continue
        return ""       # anything else: the result is not simply stored
    return None if simulate_only else ""


def _pad(stack, n):
    while len(stack) < n:
        stack.insert(0, None)


def _rot(stack, n):
    _pad(stack, n)
    top = stack.pop()
    stack.insert(len(stack) - (n - 1), top)


def _call_pops(op, arg):
    """How many stack items a call instruction consumes (None: not a call)."""
    if op == "CALL_FUNCTION":
        return arg + 1
    if op in ("CALL_METHOD", "CALL_FUNCTION_KW"):
        return arg + 2
    if op == "CALL":
        return arg + 2
    if op == "CALL_KW":
        return arg + 3
    if op == "CALL_FUNCTION_EX":
        if _PY >= (3, 11):
            return 3 + (arg & 1) if _PY < (3, 14) else 4
        return 2 + (arg & 1)
    return None


def _comprehension_target(ins, index, pos, frame, depth, suffix):
    """The object went into a comprehension's list / set / dict: name it
    after where that goes, "[…]" appended."""
    suffix = "[" + ELLIPSIS + "]" + suffix
    code = frame.f_code if frame is not None else None
    if code is not None and code.co_name in _COMPREHENSIONS:
        # A comprehension of its own (up to 3.11): its caller stores the result.
        if depth >= 3:
            return ""
        parent = frame.f_back
        name = assigned_name(parent, depth + 1) if parent is not None else ""
        return name + suffix if name else ""
    # Inlined (3.12+): from the comprehension's first loop to where it ends.
    start = pos
    while start > 0 and not (ins[start].opname in ("BUILD_LIST", "BUILD_SET", "BUILD_MAP")
                             and ins[start].arg == 0):
        start -= 1
    loop = next((k for k in range(start, pos) if ins[k].opname == "FOR_ITER"), None)
    if loop is None:
        return ""
    after = index.get(ins[loop].argval)
    if after is None:
        return ""
    n = len(ins)
    while after < n and ins[after].opname in ("END_FOR", "POP_TOP", "POP_ITER", "NOT_TAKEN"):
        after += 1
    # The comprehension's own variables are put back: SWAP 2; STORE_FAST v.
    while (after + 1 < n and ins[after].opname == "SWAP" and ins[after].arg == 2
           and ins[after + 1].opname == "STORE_FAST"):
        after += 2
    return _run(ins, index, after, [MARK], None, depth, suffix)
