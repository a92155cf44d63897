"""A seccomp filter of our own for the student's process: no sockets (so no network),
no tracing, no mounts or namespaces, no SysV or POSIX IPC objects, no memfd, whatever
the machine gives us.

Without namespaces (Gradescope's Docker container refuses them) the student's process
could otherwise open sockets, ptrace its siblings, or keep memory that no rlimit
counts. A seccomp filter needs no privilege (only ``no_new_privs``, set here too) and
stacks inside Docker's own, so this holds in every mode.

The filter is a classic BPF program written by hand (no libseccomp needed): refused
calls fail with EPERM, as they would for an unprivileged user; ``clone3`` fails with
ENOSYS so that the C library falls back to ``clone``, whose flags a filter can read
(as Docker's own profile does). Known architectures: x86_64 and aarch64; elsewhere
:func:`install` installs nothing and says why.

This file is copied next to ``child.py``: standard library only.
"""

import ctypes
import errno
import platform
import struct

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
ARCH_OFFSET, NR_OFFSET, ARG0_OFFSET = 4, 0, 16  # struct seccomp_data; args[0]'s low word (little-endian)

CLONE_NEW = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080

# Syscall numbers: (x86_64, aarch64). Calls added since Linux 5.1 share one number.
SYSCALLS = {
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "unshare": (272, 97), "setns": (308, 268),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    # IPC objects outlive the processes that made them and are named machine-wide: a
    # later grading (another student's) could find them. Landlock guards none of them
    # (it refuses opening a POSIX message queue by path, not mq_open). Without an IPC
    # namespace (Gradescope's container) every call on them is refused, so that neither
    # a new object nor one some other program left can carry anything.
    "shmget": (29, 194), "shmat": (30, 196), "shmctl": (31, 195), "shmdt": (67, 197),
    "semget": (64, 190), "semop": (65, 193), "semctl": (66, 191), "semtimedop": (220, 192),
    "msgget": (68, 186), "msgsnd": (69, 189), "msgrcv": (70, 188), "msgctl": (71, 187),
    "mq_open": (240, 180), "mq_unlink": (241, 181), "mq_timedsend": (242, 182), "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184), "mq_getsetattr": (245, 185),
    "memfd_create": (319, 279), "memfd_secret": (447, 447),
    # Another process's descriptors (same user only, but nothing of the student's needs it).
    "pidfd_getfd": (438, 438), "kcmp": (312, 272),
    # Every socket of every family: the network, but also AF_UNIX sockets of the
    # machine's daemons (which Landlock does not guard), netlink and vsock.
    # socketpair (two ends of the process's own) stays, for multiprocessing's pipes.
    "socket": (41, 198),
}
CLONE, CLONE3 = (56, 220), (435, 435)
ARCHES = {"x86_64": (0, 0xC000003E), "amd64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7), "arm64": (1, 0xC00000B7)}
X32_BIT = 0x40000000  # x86_64's x32 ABI: another numbering, refused whole


def _op(code, k, jt=0, jf=0):
    return struct.pack("<HBBI", code, jt, jf, k)


def program(machine=None):
    """The filter's instructions (``struct sock_filter[]`` as bytes) for ``machine``
    (``platform.machine()`` by default); raises LookupError for an unknown one."""
    which, arch = ARCHES[(machine or platform.machine()).lower()]
    eperm = RET_ERRNO | errno.EPERM
    ops = [_op(LD_W_ABS, ARCH_OFFSET), _op(JEQ_K, arch, 1, 0), _op(RET_K, eperm), _op(LD_W_ABS, NR_OFFSET)]
    if which == 0:
        ops += [_op(JGE_K, X32_BIT, 0, 1), _op(RET_K, eperm)]
    for numbers in SYSCALLS.values():
        ops += [_op(JEQ_K, numbers[which], 0, 1), _op(RET_K, eperm)]
    ops += [_op(JEQ_K, CLONE3[which], 0, 1), _op(RET_K, RET_ERRNO | errno.ENOSYS)]
    # clone with any CLONE_NEW* flag: refused; other clones (threads, fork) allowed.
    ops += [_op(JEQ_K, CLONE[which], 0, 4), _op(LD_W_ABS, ARG0_OFFSET), _op(JSET_K, CLONE_NEW, 0, 1),
            _op(RET_K, eperm), _op(RET_K, RET_ALLOW)]
    ops += [_op(RET_K, RET_ALLOW)]
    return b"".join(ops)


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install():
    """Set ``no_new_privs`` and install the filter on this process (inherited by every
    process it starts). Returns ``{"no_new_privs": bool, "seccomp": bool, "note": str}``;
    never raises."""
    status = {"no_new_privs": False, "seccomp": False, "note": ""}
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            status["note"] = f"no_new_privs: {errno.errorcode.get(ctypes.get_errno(), '?')}"
            return status
        status["no_new_privs"] = True
        try:
            code = program()
        except KeyError:
            status["note"] = f"no seccomp filter for the {platform.machine()} architecture"
            return status
        buffer = ctypes.create_string_buffer(code, len(code))
        prog = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            status["note"] = f"seccomp: {errno.errorcode.get(ctypes.get_errno(), '?')}"
            return status
        status["seccomp"] = True
    except (OSError, AttributeError, ValueError) as err:
        status["note"] = f"{type(err).__name__}: {err}"[:200]
    return status


def set_no_new_privs():
    """``prctl(PR_SET_NO_NEW_PRIVS)`` alone (for a ``preexec_fn``); raises OSError."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs refused")
