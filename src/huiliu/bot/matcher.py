"""The bot's matcher: which knowledge-base entries a customer's question means, and how sure.

Every entry is a standard question and its similar questions; all of them are indexed as
rows, and an entry scores as the mean of its two best rows, by these signals fused
(``Weights``):

- **words**: BM25-weighted word vectors (jieba for Chinese), cosine against the query (weight
  0 by default: they serve the classifier);
- **characters**: BM25-weighted character n-grams, for short, misspelt and mixed queries;
- **embedding** (optional, ``Embedder``): sentence vectors from a model shipped in a package;
- **classifier**: a linear model trained per tenant on the KB's own rows (each entry a class)
  over words, characters and embeddings, which learns what tells entries apart; used while
  it stays cheap (``MAX_CLASSIFIER_ENTRIES``, ``MAX_CLASSIFIER_WORK``).

The *confidence* of the top candidate is calibrated on the KB itself: a fifth of the similar
questions and a tenth of the entries are held out, the matcher is built on the rest, and a
logistic model learns how often its top candidate is right (the left-out entries' questions
never are) from its similarity, its margin over the second and the classifier's vote for
it (its decision value, 0 without a classifier). So a confidence of 0.8 means
"right about 80% of the time on this tenant's own questions".
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy import sparse

from huiliu.bot.text import Analyzer, Vocabulary, normalize

# The classifier is trained (twice: once for calibration) while it stays cheap; a larger KB
# relies on the other signals. Training time grows with questions × entries.
MAX_CLASSIFIER_ENTRIES = 500
MAX_CLASSIFIER_WORK = 2_500_000  # questions × entries
MAX_CLASSIFIER_WEIGHTS = 8_000_000  # entries × features kept in memory (float32: 32 MB)
# Above this many questions, a query's embedding is compared with every entry's centroid
# first, and with the questions of the best entries (by centroid or by words) only.
DENSE_EXACT_ROWS = 20_000
# In the classifier's features the embedding block counts this many times the words' and
# the characters' (each block's rows have unit length): the embedding carries meaning across
# paraphrases, the n-grams mostly tell near-neighbours apart. 2–4 did better than 1 on
# five-fold splits of the in-domain KB's own similar questions (3 with Banking77's and
# CLINC150's KB-side splits no worse).
CLASSIFIER_EMBEDDING_SCALE = 3.0
SHORTLIST = 200
K1 = 1.2
B = 0.75
Floats = npt.NDArray[np.float64]


class Embedder(Protocol):
    """Sentence vectors from a local model; rows L2-normalized."""

    name: str

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class Entry:
    entry_id: int
    questions: Sequence[str]  # the standard question first, then the similar ones
    keywords: Sequence[str] = ()


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    question: str  # the entry's row closest to the query
    score: float
    confidence: float


class Band(StrEnum):
    answer = "answer"  # confident: answer directly
    suggest = "suggest"  # offer the top candidates as "did you mean" buttons
    unknown = "unknown"  # don't know


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.6
    suggest: float = 0.25

    def band(self, confidence: float) -> Band:
        if confidence >= self.answer:
            return Band.answer
        if confidence >= self.suggest:
            return Band.suggest
        return Band.unknown


@dataclass(frozen=True)
class Weights:
    # Words feed the classifier; in the similarity they did worse than characters and the
    # embedding on every tuning set (Banking77's and CLINC150's, the in-domain KB's own
    # held-out similar questions), so by default they are left out of it.
    words: float = 0.0
    chars: float = 0.5
    embedding: float = 1.0
    classifier: float = 1.0


class _Vectorizer:
    """BM25 term weights over a fixed vocabulary, rows L2-normalized (cosine = dot)."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.index: dict[str, int] = {}
        indptr: list[int] = [0]
        indices: list[int] = []
        counts: list[int] = []
        for doc in docs:
            tf: dict[int, int] = {}
            for term in doc:
                j = self.index.setdefault(term, len(self.index))
                tf[j] = tf.get(j, 0) + 1
            indices.extend(tf)
            counts.extend(tf.values())
            indptr.append(len(indices))
        n = max(len(docs), 1)
        shape = (len(docs), max(len(self.index), 1))
        tf_m = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float64), indices, indptr), shape=shape
        )
        df = np.bincount(np.asarray(indices, dtype=np.int64), minlength=shape[1])
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.diff(tf_m.indptr).astype(np.float64)
        avg = float(lengths.mean()) if len(lengths) else 1.0
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        data = tf_m.data
        row_of = np.repeat(np.arange(shape[0]), np.diff(tf_m.indptr))
        data = data * (K1 + 1) / (data + norm[row_of]) * self.idf[tf_m.indices]
        self.matrix = _l2_rows(sparse.csr_matrix((data, tf_m.indices, tf_m.indptr), shape=shape))
        # Column access for queries: a query touches a handful of terms.
        self.columns = sparse.csc_matrix(self.matrix)

    def scores(self, query: sparse.csr_matrix) -> Floats:
        """Cosine of the query with every row."""
        out = self.columns[:, query.indices] @ query.data
        return np.asarray(out, dtype=np.float64).ravel()

    def query(self, terms: Sequence[str]) -> sparse.csr_matrix:
        cols = sorted({self.index[t] for t in terms if t in self.index})
        data = self.idf[cols] if cols else np.zeros(0)
        vec = sparse.csr_matrix((data, cols, [0, len(cols)]), shape=(1, self.matrix.shape[1]))
        return _l2_rows(vec)


def _l2_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


@dataclass
class _Classifier:
    """A linear model's weights split by feature block, so a query's decision values are
    a few dot products over the columns it uses (no sparse stacking per query)."""

    classes: npt.NDArray[np.int64]  # row of the weights → entry position
    words: npt.NDArray[np.float32]
    chars: npt.NDArray[np.float32]
    embedding: npt.NDArray[np.float32] | None
    intercept: npt.NDArray[np.float32]

    def decision(
        self,
        qw: sparse.csr_matrix,
        qc: sparse.csr_matrix,
        qe: npt.NDArray[np.float32] | None,
    ) -> npt.NDArray[np.float32]:
        out = self.intercept.copy()
        if qw.nnz:
            out += self.words[:, qw.indices] @ qw.data.astype(np.float32)
        if qc.nnz:
            out += self.chars[:, qc.indices] @ qc.data.astype(np.float32)
        if qe is not None and self.embedding is not None:
            out += self.embedding @ qe
        return out


@dataclass
class _Fitted:
    words: _Vectorizer
    chars: _Vectorizer
    embeddings: npt.NDArray[np.float32] | None
    classifier: _Classifier | None = None


@dataclass
class Matcher:
    """An immutable index over one tenant's entries. Build with ``Matcher.build``."""

    entries: list[Entry]
    analyzer: Analyzer
    embedder: Embedder | None
    weights: Weights
    _row_entry: npt.NDArray[np.int64]  # row → entry position
    _row_text: list[str]
    _starts: npt.NDArray[np.int64]  # first row of each entry (rows sorted by entry)
    _keywords: list[tuple[int, str]]
    _fitted: _Fitted
    _centroids: npt.NDArray[np.float32] | None = None
    _calibration: tuple[float, float, float, float] = (10.0, 4.0, 0.0, -5.5)
    build_seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    # -- building ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Sequence[Entry],
        *,
        vocabulary: Vocabulary | None = None,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        classifier: bool = True,
        calibrate: bool = True,
        seed: int = 7,
    ) -> Matcher:
        started = time.perf_counter()
        analyzer = Analyzer(vocabulary)
        entries = [e for e in entries if any(q.strip() for q in e.questions)]
        weights = weights or Weights()
        rows: list[tuple[int, str]] = []
        for position, entry in enumerate(entries):
            rows.extend(
                (position, q) for q in dict.fromkeys(q for q in entry.questions if q.strip())
            )
        norm_rows = [normalize(text) for _, text in rows]
        word_docs = [analyzer.words(t) for t in norm_rows]
        char_docs = [analyzer.char_grams(t) for t in norm_rows]
        embeddings = (
            np.asarray(embedder.embed([t for _, t in rows]), dtype=np.float32)
            if embedder is not None and rows
            else None
        )
        use_classifier = classifier and 2 <= len(entries) <= MAX_CLASSIFIER_ENTRIES
        matcher = cls._assemble(
            entries,
            analyzer,
            embedder,
            weights,
            rows,
            word_docs,
            char_docs,
            embeddings,
            use_classifier,
        )
        if calibrate and len(entries) >= 2:
            matcher._calibration = cls._calibrate(
                entries,
                analyzer,
                embedder,
                weights,
                rows,
                word_docs,
                char_docs,
                embeddings,
                use_classifier,
                seed,
            )
        matcher.build_seconds = time.perf_counter() - started
        return matcher

    @classmethod
    def _assemble(
        cls,
        entries: Sequence[Entry],
        analyzer: Analyzer,
        embedder: Embedder | None,
        weights: Weights,
        rows: Sequence[tuple[int, str]],
        word_docs: Sequence[Sequence[str]],
        char_docs: Sequence[Sequence[str]],
        embeddings: npt.NDArray[np.float32] | None,
        use_classifier: bool,
    ) -> Matcher:
        row_entry = np.asarray([p for p, _ in rows], dtype=np.int64)
        words = _Vectorizer(word_docs)
        chars = _Vectorizer(char_docs)
        fitted = _Fitted(words, chars, embeddings)
        n_classes = len(set(row_entry.tolist()))
        n_features = (
            words.matrix.shape[1]
            + chars.matrix.shape[1]
            + (embeddings.shape[1] if embeddings is not None else 0)
        )
        if (
            use_classifier
            and 2 <= n_classes <= MAX_CLASSIFIER_ENTRIES
            and n_classes * len(rows) <= MAX_CLASSIFIER_WORK
            and n_classes * n_features <= MAX_CLASSIFIER_WEIGHTS
        ):
            fitted.classifier = _train(fitted, row_entry)
        starts = np.searchsorted(row_entry, np.arange(len(entries)))
        keywords = [
            (position, normalize(k))
            for position, entry in enumerate(entries)
            for k in entry.keywords
            if k.strip()
        ]
        centroids = None
        if embeddings is not None and len(rows) > DENSE_EXACT_ROWS:
            sums = np.add.reduceat(embeddings, starts, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            centroids = (sums / norms).astype(np.float32)
        return cls(
            entries=list(entries),
            analyzer=analyzer,
            embedder=embedder,
            weights=weights,
            _row_entry=row_entry,
            _row_text=[t for _, t in rows],
            _starts=starts.astype(np.int64),
            _keywords=keywords,
            _fitted=fitted,
            _centroids=centroids,
        )

    @classmethod
    def _calibrate(
        cls,
        entries: Sequence[Entry],
        analyzer: Analyzer,
        embedder: Embedder | None,
        weights: Weights,
        rows: Sequence[tuple[int, str]],
        word_docs: Sequence[Sequence[str]],
        char_docs: Sequence[Sequence[str]],
        embeddings: npt.NDArray[np.float32] | None,
        use_classifier: bool,
        seed: int,
    ) -> tuple[float, float, float, float]:
        """Learn P(the top candidate is the right answer | similarity, margin, the
        classifier's vote for it) from the KB itself: build on part of it and ask it the rest.

        - a fifth of each entry's similar questions are held out: asked, they should find
          their entry (right or wrong);
        - a tenth of the entries are left out whole: their questions are out of scope for
          the part built, so whatever it finds is wrong — the negatives a bot needs to learn
          to say "don't know".
        """
        rng = random.Random(seed)  # noqa: S311 (sampling, not secrets)
        by_entry: dict[int, list[int]] = {}
        for i, (position, _) in enumerate(rows):
            by_entry.setdefault(position, []).append(i)
        positions = sorted(by_entry)
        absent = set(rng.sample(positions, len(positions) // 10)) if len(positions) >= 10 else set()
        held: set[int] = set()
        for position, members in by_entry.items():
            if position in absent:
                continue
            similar = members[1:]
            rng.shuffle(similar)
            held.update(
                similar[: len(similar) // 5 if len(similar) >= 5 else min(1, len(similar) - 1)]
            )
        outside = [i for p in absent for i in by_entry[p][:3]]
        if len(held) < 20:
            return cls._calibration_default()
        # The part: the entries not left out, renumbered, without their held-out rows.
        renumber = {p: n for n, p in enumerate(p for p in positions if p not in absent)}
        keep = [i for i in range(len(rows)) if i not in held and rows[i][0] in renumber]
        part = cls._assemble(
            [entries[p] for p in renumber],
            analyzer,
            embedder,
            weights,
            [(renumber[rows[i][0]], rows[i][1]) for i in keep],
            [word_docs[i] for i in keep],
            [char_docs[i] for i in keep],
            embeddings[keep] if embeddings is not None else None,
            use_classifier,
        )
        asked = sorted(held)
        if len(asked) > 1500:
            asked = rng.sample(asked, 1500)
        xs: list[tuple[float, float, float]] = []
        ys: list[int] = []
        for i in [*asked, *outside]:
            scored = part._score(
                rows[i][1], k=2, qe=embeddings[i] if embeddings is not None else None
            )
            if not scored:
                continue
            second = scored[1][1] if len(scored) > 1 else 0.0
            xs.append((scored[0][3], scored[0][1] - second, scored[0][4]))
            right = rows[i][0] in renumber and renumber[rows[i][0]] == scored[0][0]
            ys.append(int(right))
        if len(set(ys)) < 2:
            return cls._calibration_default()
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=10.0)
        model.fit(np.asarray(xs), np.asarray(ys))
        a, b, d = (float(v) for v in model.coef_[0])
        return a, b, d, float(model.intercept_[0])

    @staticmethod
    def _calibration_default() -> tuple[float, float, float, float]:
        # Too few similar questions to learn from: a fixed curve (0.5 at a similarity of
        # 0.55 with no margin).
        return 10.0, 4.0, 0.0, -5.5

    # -- matching ------------------------------------------------------------------------

    def _score(
        self, query: str, *, k: int, qe: npt.NDArray[np.float32] | None = None
    ) -> list[tuple[int, float, int, float, float]]:
        """Top ``k`` (entry position, fused score, best row, similarity, vote) for
        ``query``: the fused score ranks; the similarity (words, characters, embedding,
        without the classifier), the fused margin and the vote (the classifier's decision
        value for the entry: below 0, it does not take the query for this entry's; 0 without
        a classifier) are what the confidence is calibrated on."""
        if not self.entries:
            return []
        text = normalize(query)
        f = self._fitted
        w = self.weights
        qw = f.words.query(self.analyzer.words(text))
        qc = f.chars.query(self.analyzer.char_grams(text))
        row_scores = np.zeros(len(self._row_text))
        total = 0.0
        if qw.nnz and w.words:
            row_scores += w.words * f.words.scores(qw)
            total += w.words
        if qc.nnz:
            row_scores += w.chars * f.chars.scores(qc)
            total += w.chars
        if f.embeddings is not None and self.embedder is not None:
            if qe is None:
                qe = np.asarray(self.embedder.embed([query]), dtype=np.float32)[0]
            row_scores += w.embedding * self._dense(qe, row_scores)
            total += w.embedding
        if total:
            row_scores /= total
        entry_scores = self._entry_scores(row_scores)
        similarity = entry_scores.copy()
        votes = np.zeros(len(self.entries))
        if f.classifier is not None and (qw.nnz or qc.nnz or qe is not None):
            boost = np.zeros(len(self.entries))
            boost[f.classifier.classes] = f.classifier.decision(qw, qc, qe)
            votes = boost
            entry_scores = (entry_scores + w.classifier * np.clip(boost + 1.0, 0.0, 2.0) / 2) / (
                1 + w.classifier
            )
        for position, keyword in self._keywords:
            if keyword and keyword in text:
                entry_scores[position] += 0.05
        k = min(k, len(entry_scores))
        top = np.argpartition(-entry_scores, k - 1)[:k]
        top = top[np.argsort(-entry_scores[top])]
        out = []
        for position in top.tolist():
            start = int(self._starts[position])
            end = (
                int(self._starts[position + 1])
                if position + 1 < len(self._starts)
                else len(self._row_text)
            )
            best = start + int(np.argmax(row_scores[start:end]))
            out.append(
                (
                    position,
                    float(entry_scores[position]),
                    best,
                    float(similarity[position]),
                    float(votes[position]),
                )
            )
        return out

    def _entry_scores(self, row_scores: Floats) -> Floats:
        """Each entry's score: the mean of its two best rows (its one row if it has one).
        One row alone that happens to share words with the query counts for less than two
        that agree, so a near-neighbour entry wins less often by a single lucky row."""
        best = np.maximum.reduceat(row_scores, self._starts)
        # The first row of each entry reaching its best, masked to find the second best.
        reaching = np.flatnonzero(row_scores >= best[self._row_entry])
        owners = self._row_entry[reaching]  # sorted: rows are sorted by entry
        masked = row_scores.copy()
        masked[reaching[np.flatnonzero(np.diff(owners, prepend=-1))]] = -np.inf
        second = np.maximum.reduceat(masked, self._starts)
        return np.asarray((best + np.where(np.isfinite(second), second, best)) / 2)

    def _dense(self, qe: npt.NDArray[np.float32], lexical: Floats) -> Floats:
        """The query embedding's cosine with every question (0 for those left out)."""
        embeddings = self._fitted.embeddings
        assert embeddings is not None
        if self._centroids is None:
            return np.asarray(embeddings @ qe, dtype=np.float64)
        n = len(self.entries)
        k = min(SHORTLIST, n)
        by_centroid = np.argpartition(-(self._centroids @ qe), k - 1)[:k]
        by_words = np.argpartition(-np.maximum.reduceat(lexical, self._starts), k // 2 - 1)[
            : k // 2
        ]
        chosen = np.unique(np.concatenate([by_centroid, by_words]))
        ends = np.append(self._starts[1:], len(self._row_text))
        rows = np.concatenate([np.arange(self._starts[e], ends[e]) for e in chosen])
        out = np.zeros(len(self._row_text))
        out[rows] = embeddings[rows] @ qe
        return out

    def vectors(self) -> dict[str, npt.NDArray[np.float32]]:
        """Each indexed question's embedding (empty without an embedder)."""
        if self._fitted.embeddings is None:
            return {}
        return dict(zip(self._row_text, self._fitted.embeddings, strict=True))

    def confidence(self, similarity: float, margin: float, vote: float = 0.0) -> float:
        a, b, d, c = self._calibration
        z = a * similarity + b * margin + d * vote + c
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def match(self, query: str, *, k: int = 3) -> list[Candidate]:
        """The ``k`` best entries, best first; the first carries the calibrated confidence,
        the others theirs relative to the one after them."""
        scored = self._score(query, k=k + 1)
        out = []
        for i, (position, score, row, similarity, vote) in enumerate(scored[:k]):
            nxt = scored[i + 1][1] if i + 1 < len(scored) else 0.0
            out.append(
                Candidate(
                    entry_id=self.entries[position].entry_id,
                    question=self._row_text[row],
                    score=round(score, 4),
                    confidence=round(self.confidence(similarity, score - nxt, vote), 4),
                )
            )
        return out


def _train(fitted: _Fitted, row_entry: npt.NDArray[np.int64]) -> _Classifier:
    """A linear SVM (one against the rest) over [words | characters | embedding]."""
    from sklearn.svm import LinearSVC

    parts = [fitted.words.matrix, fitted.chars.matrix]
    if fitted.embeddings is not None:
        parts.append(
            sparse.csr_matrix(fitted.embeddings.astype(np.float64) * CLASSIFIER_EMBEDDING_SCALE)
        )
    model = LinearSVC(C=0.5, max_iter=2000)
    model.fit(sparse.hstack(parts, format="csr"), row_entry)
    coef = np.asarray(model.coef_, dtype=np.float32)
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # two classes: one decision, for the second
        coef = np.vstack([-coef, coef])
        intercept = np.concatenate([-intercept, intercept])
    nw, nc = fitted.words.matrix.shape[1], fitted.chars.matrix.shape[1]
    return _Classifier(
        classes=np.asarray(model.classes_, dtype=np.int64),
        words=np.ascontiguousarray(coef[:, :nw]),
        chars=np.ascontiguousarray(coef[:, nw : nw + nc]),
        # Scaled back in, so a query's own (unscaled) embedding is what it multiplies.
        embedding=np.ascontiguousarray(coef[:, nw + nc :] * CLASSIFIER_EMBEDDING_SCALE)
        if fitted.embeddings is not None
        else None,
        intercept=intercept,
    )
