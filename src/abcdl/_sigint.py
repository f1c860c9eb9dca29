"""Ctrl-C during training (L36): the first press finishes the current batch, the second aborts.

``abcdl train`` holds a second guard around the test pass and the writing of the run
folder, so a Ctrl-C that comes just after the last epoch still lets the run be tested and
saved (``fit``'s own guard hands back to it when it returns).
"""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["SigintGuard"]


class SigintGuard:
    """First Ctrl-C: finish the current batch, then stop.  Second: raise KeyboardInterrupt now.

    Installed only in the main thread (Python delivers signals there); the previous
    handler is restored on exit.  An ignored SIGINT stays ignored.  ``message`` is what
    the first Ctrl-C prints (when ``verbose``); guards nest, the inner one handing back
    to the outer on exit.
    """

    def __init__(self, verbose: int,
                 message: str = "stopping after this batch (Ctrl-C again to abort now)") -> None:
        self.verbose = verbose
        self.message = message
        self.requested = False
        self.forced = False
        self._prev = None

    def __enter__(self) -> SigintGuard:
        if threading.current_thread() is threading.main_thread():
            prev = signal.getsignal(signal.SIGINT)
            if prev is not None and prev is not signal.SIG_IGN:   # None: set outside Python
                self._prev = prev
                signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            self.forced = True
            raise KeyboardInterrupt
        self.requested = True
        if self.verbose:
            print(f"\nInterrupted: {self.message}", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self._prev is not None:
            signal.signal(signal.SIGINT, self._prev)
            self._prev = None
