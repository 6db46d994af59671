"""Hot-word terms: the words and two-word phrases a customer wrote in a conversation,
stored once it closed (``report_terms``) and counted per day (``report_term_days``).
docs/analytics.md tells the rules.

- The text is the customer's own: their ``text`` messages, not menu taps (a tap's text is
  the button's label, which the shop wrote).
- It is normalized as the bot normalizes a question (``bot.text.normalize``: NFKC, lower
  case, simplified Chinese), the tenant's synonyms become their group's first word, and
  jieba segments the Chinese runs in its precise mode (the bot's search mode adds the parts
  of long words, which would count 退款 again inside 退款到账).
- Dropped: the stop words (the bot's, the tenant's from the KB vocabulary, and the words of
  every chat: greetings, thanks, question words — ``_CHAT_WORDS``), single
  characters, numbers and words with more digits than letters (order and tracking numbers:
  sf1234567), anything over 32 characters. Punctuation never forms a word.
- Phrases: two words next to each other in one run of text (no stop word, punctuation or
  other script between them) also count, joined as written (修改 + 地址 → 修改地址; order +
  status → "order status"). Customers ask in phrases — 修改地址, 发票抬头, 退款到账 — which
  say more than either word, and jieba's dictionary keeps only some of them whole.
- A conversation keeps at most ``MAX_TERMS`` terms, the most mentioned first, counted over
  the customer's first ``MAX_TEXT_CHARS`` characters.

A conversation's terms are replaced as a whole and the day counts move by the difference,
so folding a conversation again changes nothing, like ``rollup.save_facts``.
"""

from __future__ import annotations

import asyncio
import re
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.analytics.models import ConversationTerm, TermDay
from huiliu.bot.text import DEFAULT_STOP_WORDS, Vocabulary, is_cjk, normalize
from huiliu.kb import service as kb_service

terms_t = cast(Table, ConversationTerm.__table__)
term_days = cast(Table, TermDay.__table__)

MAX_TERMS = 50  # per conversation
# The customer's words counted per conversation: its first this many characters (about 30 ms
# of jieba here; a usual conversation's customer writes a few hundred).
MAX_TEXT_CHARS = 4_000
MAX_LENGTH = 32  # the term column's width
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['’][a-z]+)?")
_DIGIT = re.compile(r"\d")
# Words in nearly every chat, which the bot keeps (its question words tell questions apart)
# but which would top every hot-word list: greetings, thanks, fillers, question words.
_CHAT_WORDS_TEXT = """
    你好 您好 在吗 在不在 谢谢 谢谢您 感谢 好的 好吧 可以 行 知道 明白 麻烦 不好意思 客服 人工
    我要 我想 想要 需要 一直 已经 现在 还是 就是 然后 因为 所以 但是 而且 如果 这样 那样 一个
    一些 不是 不会 不能 时候 什么时候 多久 几天 怎么办 怎么弄 怎么回事 为什么 一下子 东西
    hello hi hey thanks thank ok okay yes no not long when where why how want need
"""
_CHAT_WORDS = frozenset(_CHAT_WORDS_TEXT.split())

_jieba_lock = threading.Lock()
_jieba: Any = None


def _load_jieba() -> Any:
    """jieba with its dictionary loaded (once per process; about a second)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # jieba reaches for pkg_resources
                    import jieba

                    jieba.setLogLevel(40)
                    jieba.initialize()
                _jieba = jieba
    return _jieba


def _keep(word: str, stop_words: frozenset[str]) -> bool:
    if len(word) < 2 or len(word) > MAX_LENGTH or word in stop_words:
        return False
    digits = len(_DIGIT.findall(word))
    return digits * 2 <= len(word)  # no numbers, no order numbers


class TermAnalyzer:
    """Terms of a tenant's customers' texts under its vocabulary."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or Vocabulary()
        self.stop_words = self.vocabulary.stop_words | DEFAULT_STOP_WORDS | _CHAT_WORDS
        jieba = _load_jieba()
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.FREQ, self._tokenizer.total = jieba.dt.FREQ, jieba.dt.total
        self._tokenizer.initialized = True
        phrases = [w for w in self.vocabulary.synonyms.values() if len(w) > 1 and is_cjk(w)]
        if phrases:
            # The synonyms' canonical words must survive segmentation whole.
            self._tokenizer.FREQ = dict(jieba.dt.FREQ)
            for phrase in set(phrases):
                self._tokenizer.add_word(phrase, freq=100_000)
        synonyms = self.vocabulary.synonyms
        by_length = sorted(synonyms, key=len, reverse=True)
        self._synonyms = (
            re.compile(
                "|".join(
                    re.escape(w) if is_cjk(w) else rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"
                    for w in by_length
                )
            )
            if by_length
            else None
        )

    def _canonical(self, text: str) -> str:
        if self._synonyms is None:
            return text
        synonyms = self.vocabulary.synonyms
        return self._synonyms.sub(lambda m: synonyms[m.group(0)], text)

    def words_and_phrases(self, text: str) -> list[str]:
        """Every term of one message, in order, each as often as it occurs."""
        stop = self.stop_words
        normalized = self._canonical(normalize(text))
        out: list[str] = []
        previous: str | None = None  # the last kept word, while a phrase may still follow
        last_end: int | None = None
        for match in _RUN.finditer(normalized):
            run = match.group(0)
            cjk = is_cjk(run)
            # A phrase stays inside one run of Chinese, or joins two Latin words that have
            # one space between them.
            if cjk or last_end is None or normalized[last_end : match.start()] != " ":
                previous = None
            for token in self._tokenizer.lcut(run, HMM=True) if cjk else [run]:
                if not _keep(token, stop):
                    previous = None
                    continue
                out.append(token)
                if previous is not None:
                    phrase = previous + ("" if cjk else " ") + token
                    if len(phrase) <= MAX_LENGTH:
                        out.append(phrase)
                previous = token
            if cjk:
                previous = None
            last_end = match.end()
        return out

    def terms(self, texts: Iterable[str]) -> dict[str, int]:
        """term → mentions over a conversation's customer texts, at most ``MAX_TERMS``."""
        return count(self.words_and_phrases(text) for text in texts)


def count(word_lists: Iterable[Iterable[str]]) -> dict[str, int]:
    """term → mentions over the messages' terms, at most ``MAX_TERMS``, the most mentioned
    first (among equal counts, the first seen: the result is stable)."""
    counts: Counter[str] = Counter()
    for words in word_lists:
        counts.update(words)
    return dict(counts.most_common(MAX_TERMS))


_cache: OrderedDict[tuple[int, int], TermAnalyzer] = OrderedDict()
_CACHE_SIZE = 64


async def analyzer_for(conn: AsyncConnection, tenant_id: int) -> TermAnalyzer:
    """The tenant's analyzer for its current KB vocabulary (kept per revision)."""
    session = AsyncSession(bind=conn)
    try:
        revision, synonyms, stop_words = await kb_service.read_vocabulary(
            session, tenant_id=tenant_id
        )
    finally:
        await session.close()
    key = (tenant_id, revision)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    vocabulary = Vocabulary.build(synonyms, stop_words)
    # Loading jieba's dictionary takes a second: never on the event loop.
    analyzer = await asyncio.to_thread(TermAnalyzer, vocabulary)
    _cache[key] = analyzer
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return analyzer


DayTerms = tuple[date, Mapping[str, int]]


async def save_terms(
    conn: AsyncConnection, *, tenant_id: int, new: Mapping[int, DayTerms]
) -> list[int]:
    """Replace each conversation's terms (conversation id → (its day, term → mentions)) and
    move the day counts by the difference, in the caller's transaction; the ids of the
    conversations whose terms changed."""
    if not new:
        return []
    ids = sorted(new)
    old: dict[int, dict[str, tuple[date, int]]] = {cid: {} for cid in ids}
    for row in await conn.execute(
        select(terms_t.c.conversation_id, terms_t.c.term, terms_t.c.day, terms_t.c.mentions)
        .where(terms_t.c.conversation_id.in_(ids))
        .order_by(terms_t.c.conversation_id, terms_t.c.term)
        .with_for_update()
    ):
        old[int(row.conversation_id)][row.term] = (row.day, int(row.mentions))
    deltas: dict[tuple[date, str], list[int]] = {}

    def move(day: date, term: str, mentions: int, sign: int) -> None:
        delta = deltas.setdefault((day, term), [0, 0])
        delta[0] += sign
        delta[1] += sign * mentions

    changed: list[int] = []
    rows: list[dict[str, Any]] = []
    for cid in ids:
        day, counts = new[cid]
        wanted = {term: (day, mentions) for term, mentions in counts.items()}
        if wanted == old[cid]:
            continue
        changed.append(cid)
        for term, (old_day, mentions) in old[cid].items():
            move(old_day, term, mentions, -1)
        for term, mentions in counts.items():
            move(day, term, mentions, 1)
            rows.append(
                {
                    "conversation_id": cid,
                    "term": term,
                    "tenant_id": tenant_id,
                    "day": day,
                    "mentions": mentions,
                }
            )
    if not changed:
        return []
    await conn.execute(delete(terms_t).where(terms_t.c.conversation_id.in_(changed)))
    if rows:
        await conn.execute(terms_t.insert(), rows)
    await add_to_term_days(conn, tenant_id=tenant_id, deltas=deltas)
    return changed


async def add_to_term_days(
    conn: AsyncConnection, *, tenant_id: int, deltas: Mapping[tuple[date, str], list[int]]
) -> None:
    """Add (conversations, mentions) per (day, term) to ``report_term_days``; rows that
    reach no conversation go."""
    keys = sorted(key for key, (c, m) in deltas.items() if c or m)
    if not keys:
        return
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(term_days)
    stmt = stmt.on_conflict_do_update(
        index_elements=[term_days.c.tenant_id, term_days.c.day, term_days.c.term],
        set_={
            "conversations": term_days.c.conversations + stmt.excluded.conversations,
            "mentions": term_days.c.mentions + stmt.excluded.mentions,
        },
    )
    # In key order, so two folds touching the same days never wait on each other in a cycle.
    await conn.execute(
        stmt,
        [
            {
                "tenant_id": tenant_id,
                "day": day,
                "term": term,
                "conversations": deltas[(day, term)][0],
                "mentions": deltas[(day, term)][1],
            }
            for day, term in keys
        ],
    )
    shrunk = [key for key in keys if deltas[key][0] < 0]
    if shrunk:
        await conn.execute(
            delete(term_days).where(
                term_days.c.tenant_id == tenant_id,
                term_days.c.conversations <= 0,
                tuple_(term_days.c.day, term_days.c.term).in_(shrunk),
            )
        )
