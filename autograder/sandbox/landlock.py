"""A Landlock ruleset for the student's process: the file system it may touch, where
no private view of it can be built (Gradescope's container refuses namespaces).

Landlock (Linux 5.13 and later) needs no privilege, only ``no_new_privs``, and stacks
like seccomp. The student's process may then read and execute under the system
folders, its interpreter's prefixes, the child's own files and the copy of the
submission, read ``/proc``, ``/sys`` and ``/dev``, write ``/dev``'s files (``/dev/null``)
and do anything in its scratch folder; every other path (other checkouts, home
folders, ``/tmp``, the grader's run folders) is refused with EACCES. From ABI 4
(Linux 6.7) TCP bind and connect are refused too (behind the seccomp filter, which
refuses every socket), and where the kernel has scopes (ABI 6, Linux 6.12), signals to
any process outside the student's own (the grader's other processes of the same user,
say) are refused with EPERM. Where the kernel
or a seccomp profile refuses Landlock, :func:`restrict` restricts nothing and says why.

This file is copied next to ``child.py``: standard library only.
"""

import ctypes
import errno
import os
import struct

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
ALL_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
# ABI 4: TCP bind and connect (handled with no rule: refused); ABI 6: scopes, where
# the process may not reach outside its own Landlock domain: abstract UNIX sockets,
# and signals (kill, a pidfd's signal) to processes outside it (even of the same user).
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a rule on a file may allow

READ = EXECUTE | READ_FILE | READ_DIR
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt/conda")
READ_ONLY_EXTRA = ("/proc", "/sys")
DEVICES = "/dev"


def _syscall():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi():
    """The kernel's Landlock ABI version (0: none)."""
    libc = _syscall()
    version = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def restrict(read_only, writable):
    """Restrict this process (and what it starts) to reading ``read_only`` and the
    system folders, and to anything under ``writable``; from ABI 4, no TCP bind or
    connect; from ABI 6, no signal or abstract UNIX socket beyond this process and what
    it starts. Needs ``no_new_privs`` already set. Returns ``{"landlock": bool,
    "landlock_signals": bool, "landlock_note": str}``; never raises."""
    status = {"landlock": False, "landlock_signals": False, "landlock_note": ""}
    try:
        version = abi()
        if version <= 0:
            status["landlock_note"] = f"no Landlock here ({errno.errorcode.get(ctypes.get_errno(), '?')})"
            return status
        handled = ALL_BY_ABI.get(version, ALL_BY_ABI[5])
        net = NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0
        scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0
        libc = _syscall()
        # struct landlock_ruleset_attr grew a field at ABI 4 and 6: pass what this kernel knows.
        attr = struct.pack("<QQQ", handled, net, scoped)[:8 if version < 4 else 16 if version < 6 else 24]
        ruleset = libc.syscall(CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
        if ruleset < 0:
            status["landlock_note"] = f"landlock_create_ruleset: {errno.errorcode.get(ctypes.get_errno(), '?')}"
            return status
        try:
            rules = [(p, READ) for p in (*SYSTEM, *read_only, *READ_ONLY_EXTRA)]
            rules += [(DEVICES, READ | WRITE_FILE | (IOCTL_DEV if version >= 5 else 0))]
            rules += [(p, handled) for p in writable]
            for path, access in rules:
                _add(libc, ruleset, path, access & handled)
            if libc.syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
                status["landlock_note"] = f"landlock_restrict_self: {errno.errorcode.get(ctypes.get_errno(), '?')}"
                return status
        finally:
            os.close(ruleset)
        status["landlock"] = True
        status["landlock_signals"] = bool(scoped)
    except (OSError, AttributeError, ValueError) as err:
        status["landlock_note"] = f"{type(err).__name__}: {err}"[:200]
    return status


def _add(libc, ruleset, path, access):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder this machine does not have
    try:
        if not os.path.isdir(path):
            access &= FILE_ONLY
        rule = struct.pack("<Qi", access, fd)  # struct landlock_path_beneath_attr is packed: 12 bytes
        if libc.syscall(ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), rule,
                        ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    finally:
        os.close(fd)
