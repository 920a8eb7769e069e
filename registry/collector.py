"""Python's cyclic garbage collector paused around work that builds millions of objects which all live until
the work is done (a PDF's layout, an import file's rows): the collector would walk them over and over, and
reference counting frees them anyway once they are dropped.

gc.disable() is process-wide: with two such pieces of work in two threads, the first to finish must not switch
the collector back on under the second. A count of the pauses in progress decides who restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


def pause() -> None:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1


def resume() -> None:
    global _pauses
    with _lock:
        _pauses -= 1
        if _pauses == 0 and _was_enabled:
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    pause()
    try:
        yield
    finally:
        resume()
