"""Walls around the processes that evaluate users' queries: no network, bounded memory.

The query guard (`guard`) refuses `SERVICE`, but a guard can have bugs. `deny_network` installs a seccomp
filter on the whole process (all its threads, and anything it starts) under which creating any socket other than
a Unix one fails with EACCES: the engine's HTTP client cannot connect anywhere, whatever the query says, and no
DNS lookup leaves the machine. io_uring, which can create sockets without the `socket` system call, is refused
too. The filter cannot be removed once installed (the kernel keeps it until the process ends).

`limit_memory` caps the process's address space at what it holds now plus a budget, so a query that tries to
take more gets an allocation failure in that process alone.

Linux only, on x86-64 and arm64 (the filter names system calls by number).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import socket
import struct
from functools import cache

from ptce.errors import PtceError

PR_SET_NAME = 15
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
# Offsets in struct seccomp_data: nr (u32), arch (u32), instruction pointer (u64), args (6 × u64).
_NR, _ARCH, _ARG0 = 0, 4, 16

# machine: (AUDIT_ARCH, seccomp syscall, socket syscall, io_uring_setup syscall, first number of another ABI)
_SYSCALLS = {
    "x86_64": (0xC000003E, 317, 41, 425, 0x40000000),  # x32 system calls have bit 30 set
    "aarch64": (0xC00000B7, 277, 198, 425, None),
}


class SandboxUnavailable(PtceError, RuntimeError):
    """This system cannot install the sandbox (not Linux, or an unknown processor)."""


def _instruction(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _no_network_filter(machine: str) -> bytes:
    """A classic-BPF seccomp program: sockets other than AF_UNIX, and io_uring, fail with EACCES."""
    arch, _, nr_socket, nr_io_uring, other_abi = _SYSCALLS[machine]
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    program = [
        _instruction(_LD_W_ABS, _ARCH),
        _instruction(_JEQ_K, arch, 1, 0),
        _instruction(_RET_K, SECCOMP_RET_KILL_PROCESS),  # a system call of another architecture
        _instruction(_LD_W_ABS, _NR),
    ]
    if other_abi is not None:
        program += [_instruction(_JGE_K, other_abi, 0, 1), _instruction(_RET_K, SECCOMP_RET_KILL_PROCESS)]
    program += [
        _instruction(_JEQ_K, nr_io_uring, 0, 1),
        _instruction(_RET_K, deny),
        _instruction(_JEQ_K, nr_socket, 0, 3),
        _instruction(_LD_W_ABS, _ARG0),  # the address family (an int: the low half of the argument)
        _instruction(_JEQ_K, socket.AF_UNIX, 1, 0),
        _instruction(_RET_K, deny),
        _instruction(_RET_K, SECCOMP_RET_ALLOW),
    ]
    return b"".join(program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def deny_network() -> None:
    """From now on, this process and every thread and child of it cannot create network sockets."""
    machine = platform.machine()
    if platform.system() != "Linux" or machine not in _SYSCALLS:
        raise SandboxUnavailable(f"the network sandbox needs Linux on {' or '.join(_SYSCALLS)}, not {machine}")
    libc = _libc()
    program = _no_network_filter(machine)
    fprog = _SockFprog(len(program) // 8, program)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    nr_seccomp = _SYSCALLS[machine][1]
    if libc.syscall(nr_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog)) != 0:
        raise SandboxUnavailable(f"seccomp filter refused: {os.strerror(ctypes.get_errno())}")


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def name_thread(name: str) -> None:
    """Name the calling thread for the system (its `comm`: 15 bytes at most), where Linux allows it."""
    if platform.system() == "Linux":
        _libc().prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def network_denied() -> bool:
    """Whether this process can no longer create an Internet socket."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        return True
    return False


def address_space() -> int:
    """Bytes of address space this process holds now (VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise SandboxUnavailable("/proc/self/status has no VmSize")


def limit_memory(budget: int) -> int:
    """Cap this process's address space at what it holds now plus `budget` bytes; returns the cap."""
    cap = address_space() + budget
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return cap
