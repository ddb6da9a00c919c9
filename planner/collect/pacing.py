"""How fast the Graph client may ask, shared by every worker of a fetch.

Graph throttles call-record requests at 1,500 per 20 seconds per app and tenant, and answers
``429 Too Many Requests`` with ``Retry-After`` past it. A :class:`Pacer` keeps a fetch inside
that by design and honours Graph's answer across the whole pool:

- **rate**: at most :data:`RATE_LIMIT` requests start in any :data:`RATE_WINDOW_S` seconds
  (10% under the documented limit, for clocks that disagree);
- **shared back-off**: a 429 or 503 seen by one worker pauses every worker until its
  ``Retry-After`` has passed (or the worker's own back-off, 1, 2, 4 ... s, without one);
- **a total wait**: back-off pauses add up to at most ``max_wait`` seconds for the whole
  fetch; a pause that would pass it ends the fetch with one line instead of waiting.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

from planner.collect.http import GraphError
from planner.text import number

#: Graph's documented limit on call records is 1,500 requests per 20 s per app and tenant
GRAPH_LIMIT = 1_500
RATE_WINDOW_S = 20.0
RATE_LIMIT = 1_350
#: the default total of back-off pauses a fetch accepts (``--max-wait``)
MAX_WAIT_S = 900.0


class Pacer:
    """The shared rate limit and back-off of one fetch (thread-safe).

    Parameters
    ----------
    max_wait : float
        Seconds of back-off the whole fetch may spend waiting.
    sleep : callable
        Waits; a sleep that does not really wait (tests) advances the pacer's clock by what
        it was asked to wait, so waits are computed as if it had.
    """

    def __init__(
        self,
        max_wait: float = MAX_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
        limit: int = RATE_LIMIT,
        window_s: float = RATE_WINDOW_S,
    ):
        self.max_wait = max_wait
        self.limit = limit
        self.window_s = window_s
        self.waited = 0.0  # back-off pauses granted so far (seconds)
        self._sleep = sleep
        self._skipped = 0.0
        self._real = sleep is time.sleep
        self._lock = threading.Lock()
        #: set when the fetch stops (a worker failed): waits end, no request starts
        self.stopped = threading.Event()
        self._resume_at = 0.0
        self._sent: collections.deque[float] = collections.deque()

    def clock(self) -> float:
        return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        seconds = math.ceil(max(0.0, seconds) * 1000) / 1000  # whole ms, never short
        if seconds <= 0:
            return
        if self._real:
            self.stopped.wait(seconds)
            return
        self._sleep(seconds)
        if not self._real:
            with self._lock:
                self._skipped += seconds

    def before_request(self) -> None:
        """Wait until the shared back-off has passed and the rate allows one more request."""
        while True:
            if self.stopped.is_set():
                raise GraphError("stopped: another window of the fetch failed")
            with self._lock:
                now = self.clock()
                wait = self._resume_at - now
                if wait <= 0:
                    while self._sent and self._sent[0] <= now - self.window_s:
                        self._sent.popleft()
                    if len(self._sent) < self.limit:
                        self._sent.append(now)
                        return
                    wait = self._sent[0] + self.window_s - now
            self.sleep(max(wait, 0.001))

    def back_off(self, seconds: float, what: str) -> None:
        """Pause every worker ``seconds`` from now (what Graph asked, or a worker's back-off).

        Raises
        ------
        GraphError
            When the pauses of the fetch would add up to more than ``max_wait``.
        """
        with self._lock:
            now = self.clock()
            resume = max(self._resume_at, now + seconds)
            extra = resume - max(self._resume_at, now)
            if self.waited + extra > self.max_wait:
                raise GraphError(
                    "Graph answered {what} and asks to wait {seconds} s; with the "
                    "{waited} s already waited that passes --max-wait {max_wait} "
                    "s: stopped, try again later",
                    what=what,
                    seconds=number(seconds),
                    waited=number(self.waited),
                    max_wait=number(self.max_wait),
                )
            self.waited += extra
            self._resume_at = resume
