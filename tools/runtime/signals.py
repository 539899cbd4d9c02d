"""Starting a child and knowing it, as one step a signal cannot split.

The tools turn SIGTERM, SIGHUP and Ctrl-C into an exception that unwinds through every
`finally` (`tools.cli.entry`), which stops the children the run started. Raised while
`subprocess.Popen` still waits for a child it has already started, that exception would
leave the child known to no clean-up, running on (an `op` holding a secret, a CDK CLI
mid-deploy). Inside `deferred()` such a signal is noted instead and acted on as the block
ends, once the child is known. Only the main thread defers: signal handlers run there, and
a block on another thread must not hold back (or act on) a signal meant for it. A stop that
Python dropped (raised inside a finaliser) is kept too, and acted on where the run next
starts a step or a child.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator


class _Deferral:
    """The main thread's deferred blocks: how deep, the signals held back, what acts on them."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: list[int] = []
        self.act: Callable[[int], None] | None = None  # the entry point's orderly stop
        self.dropped: list[int] = []  # stops raised where Python drops exceptions (finalisers)


_STATE = _Deferral()


def install(act: Callable[[int], None]) -> None:
    """Set what a deferred signal does when its block ends (it raises the orderly stop)."""
    _STATE.act = act


def defer(signum: int) -> bool:
    """True when `signum` arrived inside a deferred block: it is noted, to be acted on at the
    block's end; False when it is to be acted on now."""
    if _STATE.depth == 0:
        return False
    _STATE.pending.append(signum)
    return True


def dropped(signum: int) -> None:
    """`signum`'s stop was raised where Python drops exceptions (a finaliser): it is kept, and
    the run stops before its next step or child, or when its work returns (`stop_if_dropped`)."""
    _STATE.dropped.append(signum)


def stop_if_dropped() -> None:
    """The orderly stop of a signal that was dropped, if one was: called where the run starts
    a step or a child, and when its work returns (main thread only: the stop unwinds it)."""
    if _STATE.dropped and _STATE.act is not None and threading.current_thread() is threading.main_thread():
        held, _STATE.dropped = _STATE.dropped, []
        _STATE.act(held[0])


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A block no signal interrupts; the first signal that arrived is acted on at its end
    (its stop then replaces any exception the block raised: the run is ending anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        if _STATE.depth == 0 and _STATE.pending:
            held, _STATE.pending = _STATE.pending, []  # taken at once: none left for a later block
            if _STATE.act is not None:
                _STATE.act(held[0])
