"""The instructions of a user's code object that access Python state: one
Entry per instruction (its Access from py_state_bytecode, and what the
budget keeps for it), one CodeInfo per code object, analysed on first use."""
from .py_state_bytecode import WRITE, analyse


class Entry(object):
    """Per instruction: its Access, budget and on/off state."""
    __slots__ = ("access", "post_of", "site", "part", "counts", "n", "fresh", "enabled",
                 "dead", "nondata", "code", "full", "retry", "info")

    def __init__(self, access, code, info):
        self.access = access
        self.post_of = None     # writes whose value is read here
        self.site = 0
        self.part = 0
        self.counts = {}        # (oid, part, thread ident) -> accesses recorded this epoch
        self.n = 0
        self.fresh = 0          # last time it recorded
        self.enabled = True
        self.dead = False       # never an access worth recording (a builtin, a function...)
        self.nondata = 0
        self.code = code
        self.full = set()       # threads over budget here this epoch
        self.retry = 0          # when to look again whether to switch it off
        self.info = info

    def reset(self):
        self.site = self.part = self.n = self.fresh = self.nondata = self.retry = 0
        self.counts.clear()
        self.full.clear()
        self.enabled = True


class CodeInfo(object):
    __slots__ = ("code", "entries", "module_level", "quiet_for")

    def __init__(self, code):
        self.code = code
        self.entries = {}
        self.module_level = None    # LOAD_NAME / STORE_NAME: module code (True) or a class body
        self.quiet_for = None       # while instructions are off: the threads over budget at all of them


infos = {}          # id(code) -> CodeInfo of every code object analysed (holds the code)


def code_info(code):
    """The CodeInfo of a code object, analysed on first use."""
    info = infos.get(id(code))
    if info is not None:
        return info
    info = CodeInfo(code)
    shared = {}   # EXTENDED_ARG prefixes map to their instruction's entry
    for off, access in analyse(code).items():
        e = shared.get(id(access))
        if e is None:
            e = shared[id(access)] = Entry(access, code, info)
        info.entries[off] = e
    for e in list(shared.values()):
        access = e.access
        if access.kind == WRITE and access.post >= 0:
            post = info.entries.get(access.post)
            if post is None:
                post = info.entries[access.post] = Entry(None, code, info)
            post.post_of = (post.post_of or ()) + (e,)
    infos[id(code)] = info
    return info


def reset():
    """After fork: every entry as new (the analysis is kept)."""
    for info in infos.values():
        for e in info.entries.values():
            e.reset()
        info.quiet_for = None
