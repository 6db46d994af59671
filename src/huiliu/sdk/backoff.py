"""Jittered exponential backoff for reconnects and for resends after ``busy``."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Attempt n waits between half and all of ``min_s · 2ⁿ``, capped at ``max_s``.

    The jitter keeps a thousand clients that lost the same server from coming back at the
    same instant; :meth:`reset` starts over once a connection works again.
    """

    def __init__(
        self,
        min_s: float = 0.25,
        max_s: float = 30.0,
        *,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.min_s = max(0.0, min_s)
        self.max_s = max(self.min_s, max_s)
        self._random = random
        self._attempt = 0

    @property
    def attempts(self) -> int:
        """Delays handed out since the last reset."""
        return self._attempt

    def next(self) -> float:
        """The delay before the next attempt, in seconds; each call doubles the ceiling."""
        ceiling = min(self.max_s, self.min_s * 2 ** min(self._attempt, 30))
        self._attempt += 1
        return float(ceiling / 2 + self._random() * ceiling / 2)

    def reset(self) -> None:
        """Start again from ``min_s``."""
        self._attempt = 0
