"""Turning a customer's words into what the matcher compares: normalized text, words and
character n-grams, Chinese first and English too.

- Normalization: NFKC (full-width letters and digits become ASCII), lower case, traditional
  Chinese to simplified (OpenCC's tables), white space folded.
- Words: jieba for Chinese runs (search mode, so 退款到账 also yields 退款 and 到账), plain
  words for Latin runs with a light English stemmer; a tenant's stop words dropped and its
  synonyms mapped to one canonical word.
- Character n-grams: Chinese unigrams and bigrams, Latin trigrams inside each word; they
  carry short and misspelt queries that words miss (推款 still shares 款 with 退款). Chinese
  runs also give their sound: toneless syllable pairs and their initials, so a homophone
  typed by pinyin input (发漂 for 发票) or an abbreviation (fp) still meets its word.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['’][a-z]+)?")
_SPACE = re.compile(r"\s+")

# Words that carry no meaning in a customer's question, in both languages. A tenant adds its
# own; these are the ones every shop shares.
_STOP_WORDS_TEXT = """
的 了 吗 呢 吧 啊 呀 哦 嘛 么 啦 哈 噢 喔 哟 嗯 额 呃 哇 诶 欸 是 在 我 你 您 他 她 它 我们
你们 这 那 这个 那个 就 都 也 还 又 和 与 及 或 请问 请 问 一下 下 想 要 能 能不能 可以 可不可以
会 吗吗 么么 个 有 有没有 没有 没 怎么 怎么样 怎样 如何 什么 为什么 哪 哪里 哪儿 多少 几
a an the is are was were be been
am i me my you your we our it its to of in on at for with and or do does did can could
would should will please how what why when where which who whom this that these those
there here have has had get got any some just so
"""
DEFAULT_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
# Question words stay out of the stop list above on purpose for English "how long" and
# Chinese 多久: they separate 退款多久到账 from 退款失败怎么办. The list drops only the ones
# that appear in nearly every question.
_KEEP = frozenset({"多久", "什么时候", "几天", "long", "when", "where", "why", "how", "怎么办"})
STOP_WORDS = DEFAULT_STOP_WORDS - _KEEP

_jieba_lock = threading.Lock()
_jieba: Any = None


def _load_jieba() -> Any:
    """jieba, imported and its dictionary loaded once (about a second, so never per call)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    # jieba reaches for pkg_resources, which newer setuptools deprecates.
                    warnings.simplefilter("ignore")
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    jieba.initialize()
                _jieba = jieba
    return _jieba


def preload() -> None:
    """Load jieba's dictionary now. Its cache loads in one call that holds the interpreter
    lock (about 0.3 s, longer on a busy machine), which would stall every request the server
    is answering if it came with the first build; the server does it before it answers."""
    _load_jieba()


@lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    """Each Chinese character's first reading, toneless (票 → piao), from pypinyin's table."""
    from pypinyin.pinyin_dict import pinyin_dict

    out: dict[int, str] = {}
    for code, readings in pinyin_dict.items():
        first = unicodedata.normalize("NFD", readings.split(",")[0])
        out[code] = "".join(c for c in first if not unicodedata.combining(c)).replace("ü", "v")
    return out


def sound_grams(run: str) -> list[str]:
    """What a run of Chinese characters sounds like, for the homophones customers type by
    pinyin input (发漂 for 发票, 包油 for 包邮): syllable pairs (``~fa.piao``), and for each
    pair its initials as a Latin word (``<fp>``), the abbreviations customers type (fp, yfx)."""
    readings = _readings()
    syllables = [readings.get(ord(c), c) for c in run]
    out: list[str] = []
    for a, b in itertools.pairwise(syllables):
        out.append(f"~{a}.{b}")
        out.append(f"<{a[0]}{b[0]}>")
    return out


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC, lower case, simplified Chinese, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    if _CJK.search(text):
        text = _t2s().convert(text)
    return _SPACE.sub(" ", text).strip()


def _stem(word: str) -> str:
    """A light English stemmer: enough that 'refunds', 'refunded' and 'refunding' meet."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "xes", "sses")):
                return word[:-1]
            return word[: -len(suffix)] + keep
    return word


@dataclass(frozen=True)
class Vocabulary:
    """A tenant's synonyms and stop words. ``synonyms`` maps a word to its canonical form
    (each group of synonyms maps to its first word)."""

    synonyms: Mapping[str, str] = field(default_factory=dict)
    stop_words: frozenset[str] = STOP_WORDS

    @classmethod
    def build(
        cls, synonym_groups: Iterable[Iterable[str]] = (), extra_stop_words: Iterable[str] = ()
    ) -> Vocabulary:
        synonyms: dict[str, str] = {}
        for group in synonym_groups:
            words = [normalize(w) for w in group if w and w.strip()]
            for word in words[1:]:
                synonyms[word] = words[0]
        stop = STOP_WORDS | {normalize(w) for w in extra_stop_words if w.strip()}
        return cls(synonyms=synonyms, stop_words=frozenset(stop))


class Analyzer:
    """Words and n-grams of a text under one tenant's vocabulary."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or Vocabulary()
        self._phrases = sorted(
            (w for w in self.vocabulary.synonyms if len(w) > 1), key=len, reverse=True
        )
        by_length = sorted(self.vocabulary.synonyms, key=len, reverse=True)
        self._synonym_pattern = (
            re.compile(
                "|".join(
                    re.escape(w) if _CJK.search(w) else rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"
                    for w in by_length
                )
            )
            if by_length
            else None
        )
        jieba = _load_jieba()
        # Multi-character synonyms must survive segmentation whole.
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.FREQ, self._tokenizer.total = jieba.dt.FREQ, jieba.dt.total
        self._tokenizer.initialized = True
        if self._phrases:
            self._tokenizer.FREQ = dict(jieba.dt.FREQ)
            for phrase in self._phrases:
                if _CJK.fullmatch(phrase):
                    self._tokenizer.add_word(phrase, freq=100_000)

    def words(self, normalized: str) -> list[str]:
        vocabulary = self.vocabulary
        out: list[str] = []
        for run in _RUN.findall(normalized):
            if _CJK.match(run):
                tokens = self._tokenizer.lcut_for_search(run, HMM=True)
            else:
                tokens = [_stem(run)]
            for token in tokens:
                token = vocabulary.synonyms.get(token, token)
                if token not in vocabulary.stop_words:
                    out.append(token)
        return out

    def canonical(self, normalized: str) -> str:
        """The text with every synonym replaced by its group's first word (a Latin synonym
        only as a whole word): 能开fp吗 → 能开发票吗."""
        if self._synonym_pattern is None:
            return normalized
        synonyms = self.vocabulary.synonyms
        return self._synonym_pattern.sub(lambda m: synonyms[m.group(0)], normalized)

    def char_grams(self, normalized: str) -> list[str]:
        out: list[str] = []
        for run in _RUN.findall(self.canonical(normalized)):
            if _CJK.match(run):
                out.extend(run)
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
                out.extend(sound_grams(run))
            else:
                word = f"<{run}>"
                if len(word) <= 5:
                    out.append(word)
                out.extend(word[i : i + 3] for i in range(len(word) - 2))
        return out


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
