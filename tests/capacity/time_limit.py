"""A per-call wall-clock limit for tests: a hang fails the test instead of stalling the run."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class CallTimedOut(AssertionError):
    """The call under test ran past its time limit."""


@contextmanager
def time_limit(seconds: float, what: str = "call") -> Iterator[None]:
    """Raise :class:`CallTimedOut` in the main thread if the block runs longer than ``seconds``.

    Uses ``SIGALRM`` (POSIX, main thread): the library's loops are Python
    loops, so the signal interrupts them between bytecodes.  Elsewhere the
    block runs without a limit.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise CallTimedOut(f"{what} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
