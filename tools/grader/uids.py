"""Sandbox uids of their own for each grader process, as root.

RLIMIT_NPROC counts processes per uid, and a clean-up by uid kills every process of it: two graders
on one machine must never hand out the same uid. Each grader claims a block of uids by binding an
abstract Unix socket named after it (the kernel frees the name when the process ends, and leaves
no file behind); blocks are tried from a random start, so graders in other network namespaces,
which see other socket names, still almost never meet.
"""

from __future__ import annotations

import random
import socket
import threading

FIRST = 2_000_000          # no account has a uid this high
BLOCK = 4096               # uids per grader process; reused in turn when a grader runs more runs
BLOCKS = 500_000           # FIRST + BLOCK * BLOCKS stays below 2**31

_lock = threading.Lock()
_claim = {}


def _claim_block():
    start = random.SystemRandom().randrange(BLOCKS)
    for offset in range(BLOCKS):
        block = (start + offset) % BLOCKS
        holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            holder.bind(f"\0course-grading-uids-{block}")
        except OSError:
            holder.close()
            continue
        return block, holder
    raise RuntimeError("no free block of sandbox uids")


def next_uid():
    """The next uid of this grader's block."""
    with _lock:
        if not _claim:
            block, holder = _claim_block()
            _claim.update(block=block, holder=holder, next=0)
        uid = FIRST + _claim["block"] * BLOCK + _claim["next"] % BLOCK
        _claim["next"] += 1
        return uid
