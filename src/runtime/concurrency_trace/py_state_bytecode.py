"""Which Python-state accesses each instruction of a code object performs.

Read once per code object with `dis`, for py_state: an instruction that
loads or stores a global, a module-level name, a closure cell, an attribute
or a list / dict item becomes an Access.  The object an attribute or item
access works on sits on the value stack, which Python code cannot read, so a
symbolic stack says which expression put it there: a local (`self`, `d`), a
global, a cell, a constant, or an attribute / item path over those
(`self.accounts[i]`).  py_state evaluates that path again at the access,
reading only what the program itself reads, without running user code.

The symbolic stack is exact or unknown, never wrong: it is reset at every
jump target and exception handler, after every instruction that ends a
block, and by any instruction whose stack use is not listed here; values
an instruction computes are unknown.  An access whose object is unknown is
not recorded.

Expressions are tuples: ("L", name) local, ("G", name) global, ("N", name)
module-level name, ("D", name) cell, ("C", value) constant, ("A", expr,
name) attribute, ("I", expr, key expr) item; None is unknown.
"""
import dis
import sys

READ, WRITE = 0, 1
# Access.op
GLOBAL, NAME, DEREF, ATTR, ITEM, CONTAINS, MAKE = range(7)

_V = sys.version_info[:2]
_NULL_AFTER_GLOBAL = _V >= (3, 13)          # 3.13: [global, NULL]; 3.11/3.12: [NULL, global]
_GLOBAL_NULL_BIT = _V >= (3, 11)
_ATTR_METHOD_BIT = _V >= (3, 12)
# 3.14+: `x[k]` is BINARY_OP with the NB_SUBSCR operator (BINARY_SUBSCR is gone).
_NB_SUBSCR = next((i for i, (name, _s) in enumerate(getattr(dis, "_nb_ops", ())) if name == "NB_SUBSCR"), None)


class Access(object):
    """One instruction's access.  `post` is the offset of the instruction run
    right after a write: the written value is read there."""
    __slots__ = ("op", "kind", "name", "owner", "key", "post", "offset")

    def __init__(self, op, kind, name, owner=None, key=None, offset=0):
        self.op = op
        self.kind = kind
        self.name = name
        self.owner = owner
        self.key = key
        self.post = -1
        self.offset = offset

    def __repr__(self):
        return "Access(%s %s %r owner=%r key=%r post=%d)" % (
            ("GLOBAL", "NAME", "DEREF", "ATTR", "ITEM", "CONTAINS", "MAKE")[self.op],
            ("READ", "WRITE")[self.kind], self.name, self.owner, self.key, self.post)


# Instructions that push `q` fresh (unknown) values after consuming the top
# stack_effect-derived number of items.  Anything not listed resets the stack.
_PUSH1 = {
    "UNARY_POSITIVE", "UNARY_NEGATIVE", "UNARY_NOT", "UNARY_INVERT", "TO_BOOL",
    "BINARY_OP", "COMPARE_OP", "IS_OP", "FORMAT_VALUE", "FORMAT_SIMPLE", "FORMAT_WITH_SPEC",
    "CONVERT_VALUE", "BUILD_TUPLE", "BUILD_LIST", "BUILD_SET", "BUILD_MAP", "BUILD_STRING",
    "BUILD_CONST_KEY_MAP", "BUILD_SLICE", "LIST_TO_TUPLE", "BINARY_SLICE",
    "CALL", "CALL_FUNCTION", "CALL_METHOD", "CALL_FUNCTION_KW", "CALL_FUNCTION_EX", "CALL_KW",
    "CALL_INTRINSIC_1", "CALL_INTRINSIC_2", "GET_ITER", "GET_LEN", "FOR_ITER",
    "LOAD_ASSERTION_ERROR", "LOAD_BUILD_CLASS", "IMPORT_NAME", "IMPORT_FROM",
    "SET_FUNCTION_ATTRIBUTE", "LOAD_CLOSURE", "LOAD_CLASSDEREF",
    "LOAD_FROM_DICT_OR_DEREF", "LOAD_FROM_DICT_OR_GLOBALS", "LOAD_COMMON_CONSTANT",
    "LOAD_LOCALS", "PUSH_NULL", "GET_AWAITABLE", "YIELD_VALUE",
}
_PUSH0 = {
    "NOP", "RESUME", "EXTENDED_ARG", "CACHE", "NOT_TAKEN", "COPY_FREE_VARS", "MAKE_CELL",
    "POP_TOP", "LIST_APPEND", "SET_ADD", "MAP_ADD", "LIST_EXTEND", "SET_UPDATE",
    "DICT_UPDATE", "DICT_MERGE", "PRECALL", "KW_NAMES", "POP_BLOCK", "SETUP_FINALLY",
    "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE",
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_FORWARD_IF_NONE",
    "POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE", "PRINT_EXPR",
}
_ENDS_BLOCK = {
    "RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD",
    "JUMP_BACKWARD", "JUMP_ABSOLUTE", "JUMP", "JUMP_NO_INTERRUPT",
    "JUMP_BACKWARD_NO_INTERRUPT", "RETURN_GENERATOR",
}
_LOAD_LOCAL = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW"}
_LOAD_TWO_LOCALS = {"LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}
_LOAD_CONST = {"LOAD_CONST", "LOAD_SMALL_INT", "LOAD_CONST_IMMORTAL", "LOAD_CONST_MORTAL"}


def _effect(ins):
    try:
        arg = ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None
        return dis.stack_effect(ins.opcode, arg, jump=False)
    except (ValueError, TypeError):
        return None


def _labels(code, instructions):
    """Offsets where control can arrive other than from the instruction
    before: jump targets and exception handlers."""
    targets = set()
    for ins in instructions:
        if ins.is_jump_target:
            targets.add(ins.offset)
        if ins.opcode in dis.hasjrel or ins.opcode in dis.hasjabs:
            if isinstance(ins.argval, int):
                targets.add(ins.argval)
    parse = getattr(dis, "_parse_exception_table", None)
    if parse is not None:
        try:
            for entry in parse(code):
                targets.add(entry.target)
        except Exception:
            pass
    return targets


def _root(expr):
    while expr is not None and expr[0] in ("A", "I"):
        expr = expr[1]
    return expr


class _Stack(object):
    """The symbolic value stack: items above an unknown bottom."""
    __slots__ = ("items",)

    def __init__(self):
        self.items = []

    def push(self, expr):
        self.items.append(expr)

    def pop(self):
        return self.items.pop() if self.items else None

    def peek(self, n):
        return self.items[-n] if 0 < n <= len(self.items) else None

    def drop(self, n):
        for _ in range(n):
            self.pop()

    def reset(self):
        self.items = []

    def invalidate(self, kind, name):
        """A store to a name: expressions rooted there no longer say what
        the stack holds."""
        items = self.items
        for i, expr in enumerate(items):
            root = _root(expr)
            if root is not None and root[0] == kind and root[1] == name:
                items[i] = None
            elif expr is not None and expr[0] == "I":
                key = _root(expr[2])
                if key is not None and key[0] == kind and key[1] == name:
                    items[i] = None

    def swap(self, n):
        items = self.items
        if n <= len(items):
            items[-1], items[-n] = items[-n], items[-1]
        else:
            # The other item is below what we know: both become unknown.
            if items:
                items[-1] = None
            self.items = [None] * (n - len(items)) + items


def analyse(code):
    """{offset: Access} for the instructions of `code` (its own, not nested
    code objects)."""
    instructions = list(dis.get_instructions(code))
    labels = _labels(code, instructions)
    accesses = {}
    stack = _Stack()
    after_end = False
    prefix = []    # offsets of EXTENDED_ARG prefixes of the next instruction
    last_write = None
    for ins in instructions:
        op = ins.opname
        if last_write is not None:
            last_write.post = prefix[0] if prefix else ins.offset
            if op != "EXTENDED_ARG":
                last_write = None
        if op == "EXTENDED_ARG":
            prefix.append(ins.offset)
            continue
        if ins.offset in labels or after_end or (prefix and prefix[0] in labels):
            stack.reset()
        after_end = False
        access = _step(ins, op, stack)
        if access is not None:
            access.offset = ins.offset
            accesses[ins.offset] = access
            for p in prefix:
                accesses[p] = access
            if access.kind == WRITE:
                last_write = access
        prefix = []
        if op in _ENDS_BLOCK:
            after_end = True
    return accesses


def _step(ins, op, stack):
    """Apply one instruction to the symbolic stack; returns its Access."""
    name = ins.argval
    if op in _LOAD_LOCAL:
        stack.push(("L", name))
    elif op in _LOAD_TWO_LOCALS:
        stack.push(("L", name[0]))
        stack.push(("L", name[1]))
    elif op == "STORE_FAST_LOAD_FAST":
        stack.pop()
        stack.invalidate("L", name[0])
        stack.push(("L", name[1]))
    elif op in ("STORE_FAST", "DELETE_FAST"):
        if op == "STORE_FAST":
            stack.pop()
        stack.invalidate("L", name)
    elif op == "STORE_FAST_STORE_FAST":
        stack.drop(2)
        stack.invalidate("L", name[0])
        stack.invalidate("L", name[1])
    elif op == "LOAD_FAST_AND_CLEAR":
        stack.push(None)
        stack.invalidate("L", name)
    elif op in _LOAD_CONST:
        stack.push(("C", name))
    elif op == "LOAD_GLOBAL":
        null = _GLOBAL_NULL_BIT and (ins.arg & 1)
        if null and not _NULL_AFTER_GLOBAL:
            stack.push(None)
        stack.push(("G", name))
        if null and _NULL_AFTER_GLOBAL:
            stack.push(None)
        return Access(GLOBAL, READ, name)
    elif op == "LOAD_NAME":
        stack.push(("N", name))
        return Access(NAME, READ, name)
    elif op == "LOAD_DEREF":
        stack.push(("D", name))
        return Access(DEREF, READ, name)
    elif op in ("STORE_GLOBAL", "STORE_NAME", "STORE_DEREF", "DELETE_GLOBAL", "DELETE_NAME", "DELETE_DEREF"):
        if op.startswith("STORE"):
            stack.pop()
        kind = {"GLOBAL": "G", "NAME": "N", "DEREF": "D"}[op.split("_", 1)[1]]
        stack.invalidate(kind, name)
        if kind == "N":
            # A module-level store also rebinds the global of that name.
            stack.invalidate("G", name)
        elif kind == "G":
            stack.invalidate("N", name)
        return Access({"G": GLOBAL, "N": NAME, "D": DEREF}[kind], WRITE, name)
    elif op == "LOAD_ATTR":
        owner = stack.pop()
        if _ATTR_METHOD_BIT and (ins.arg & 1):
            stack.push(None)
            stack.push(None)
            return None
        stack.push(("A", owner, name) if owner is not None else None)
        return Access(ATTR, READ, name, owner) if owner is not None else None
    elif op == "LOAD_METHOD":
        stack.pop()
        stack.push(None)
        stack.push(None)
    elif op in ("STORE_ATTR", "DELETE_ATTR"):
        owner = stack.pop()
        if op == "STORE_ATTR":
            stack.pop()
        return Access(ATTR, WRITE, name, owner) if owner is not None else None
    elif op == "BINARY_SUBSCR" or (op == "BINARY_OP" and _NB_SUBSCR is not None and ins.arg == _NB_SUBSCR):
        key = stack.pop()
        container = stack.pop()
        known = container is not None and key is not None
        stack.push(("I", container, key) if known else None)
        return Access(ITEM, READ, None, container, key) if known else None
    elif op in ("STORE_SUBSCR", "DELETE_SUBSCR"):
        key = stack.pop()
        container = stack.pop()
        if op == "STORE_SUBSCR":
            stack.pop()
        known = container is not None and key is not None
        # name "del": a deletion (of a list item it shifts the items after it).
        return Access(ITEM, WRITE, "del" if op == "DELETE_SUBSCR" else None, container, key) if known else None
    elif op == "CONTAINS_OP" or (op == "COMPARE_OP" and name in ("in", "not in")):
        container = stack.pop()
        key = stack.pop()
        stack.push(None)
        known = container is not None and key is not None
        return Access(CONTAINS, READ, None, container, key) if known else None
    elif op == "MAKE_FUNCTION":
        # A closure being made: which code it runs (a constant on the stack).
        expr = stack.peek(1 if _V >= (3, 11) else 2)
        made = expr[1] if expr is not None and expr[0] == "C" else None
        effect = _effect(ins)
        if effect is None or 1 - effect < 0:
            stack.reset()
        else:
            stack.drop(1 - effect)
            stack.push(None)
        if made is None or getattr(made, "co_freevars", None):
            return Access(MAKE, READ, made)
    elif op == "COPY":
        stack.push(stack.peek(ins.arg))
    elif op == "DUP_TOP":
        stack.push(stack.peek(1))
    elif op == "DUP_TOP_TWO":
        a, b = stack.peek(2), stack.peek(1)
        stack.push(a)
        stack.push(b)
    elif op == "SWAP":
        stack.swap(ins.arg)
    elif op == "ROT_TWO":
        stack.swap(2)
    elif op in ("ROT_THREE", "ROT_FOUR", "ROT_N"):
        n = {"ROT_THREE": 3, "ROT_FOUR": 4}.get(op, ins.arg)
        items = [stack.pop() for _ in range(n)]   # top first
        # TOS moves down to position n: [.., x_n .. x_2, x_1] -> [.., x_1, x_n .. x_2]
        stack.push(items[0])
        for expr in reversed(items[1:]):
            stack.push(expr)
    elif op in _PUSH1 or op in _PUSH0 or op.startswith(("BINARY_", "INPLACE_")):
        effect = _effect(ins)
        pushes = 0 if op in _PUSH0 else 1
        if effect is None or pushes - effect < 0:
            stack.reset()
        else:
            stack.drop(pushes - effect)
            for _ in range(pushes):
                stack.push(None)
    else:
        stack.reset()
    return None
