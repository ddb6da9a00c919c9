"""Run an iterator on a background thread, a bounded number of items ahead of its consumer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

PREFETCH_DEPTH = 16  # blocks parsed ahead of the consumer (about 32 MB of text)


def prefetch(items: Iterator[Any], depth: int = PREFETCH_DEPTH) -> Iterator[Any]:
    """Run ``items`` on a background thread, at most ``depth`` items ahead of the consumer.

    ``depth=0`` puts no bound (for a consumer that keeps every item anyway).

    Its exceptions are raised in the consumer, in order. Closing the returned generator
    stops the thread at its next item.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((done, exc))

    thread = threading.Thread(target=work, name="csv-parse", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
            del item
    finally:
        stop.set()
        thread.join()
