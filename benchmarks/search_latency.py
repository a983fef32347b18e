"""Latency of the archive's Chinese full-text search on 100,000 generated articles, against the LIKE scan.

Builds an archive of ``--articles`` articles (default 100,000) through the archive's own write path
(``Archive.add_article``, which maintains the search index in each flush's transaction), then measures:

* p50 / p95 of ``Archive.search(q, limit=20)`` — the total count, the top 20 ranked by bm25 and their snippets,
  exactly what ``gdcac search`` does — for one-, two-, four-character and multi-term queries, each query run
  ``--repeat`` times (warm page cache);
* the ``LIKE '%q%'`` scan of title and body (``Archive.like_search_ids``) for ``--like`` queries of each kind;
* how many articles each kind of query matches (smallest, median, largest), and that search and LIKE agree;
* the index's size against the text's (UTF-8 bytes of titles and bodies), the postings of the common tokens
  included, and the time ``Archive.optimize_search`` takes to make them after the build;
* the most common query of each kind again with filters (a column, a year, a source, a month): median of
  ``--repeat`` runs, and the top 20 compared with FTS5's;
* what archiving a new article costs once the archive is this large (``--write`` more articles, through the
  same write path, with the postings kept in step), and the part of it the postings take (cProfile).

The text: words from the mirror corpus's real sentences (gdcac_mirror/corpus), cut into 2–4 character
words, plus generated rare words (mostly from the corpus's characters, some from the whole CJK block), about
150,000 words in all, drawn with a Zipf–Mandelbrot frequency spread; each article also has a topic (a few
hundred words it repeats), sentences and paragraphs with Chinese punctuation, and some digits and Latin
(2023年, 第12条, APP, 5G).  Bodies are 200–8,000 characters (log-normal, median about 1,300).  It measures and
asserts nothing.

    python benchmarks/search_latency.py [--articles 100000] [--db PATH] [--repeat 5] [--like 5] [--write 2000]
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from gdcac_crawler.archive import Archive, parse_query
from gdcac_crawler.archive.ranking import rank_tokens
from gdcac_crawler.items import ArticleItem, Fetch
from gdcac_mirror.content import CORPUS_DIR

CORPUS = CORPUS_DIR
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
COLUMNS = ["政策解读", "法律法规", "规范性文件", "工作动态", "通知公告", "网信要闻"]
SOURCES = ["广东省委网信办", "国家互联网信息办公室", "南方日报", "广东省人民政府", "网信广东", "中国网信网"]
LATIN = ["APP", "5G", "ICP", "IPv6", "AI", "App", "DNS", "IDC", "CA", "PDF"]


class Vocabulary:
    """Words with Zipf–Mandelbrot weights: corpus words first (by corpus frequency), then rare words."""

    def __init__(self, rng: random.Random, size: int = 150_000) -> None:
        text = (CORPUS / "sentences.txt").read_text(encoding="utf-8") + (CORPUS / "seed_article.txt").read_text(
            encoding="utf-8"
        )
        counts: dict[str, int] = {}
        chars: dict[str, int] = {}
        for run in CJK_RUN.findall(text):
            for c in run:
                chars[c] = chars.get(c, 0) + 1
            for _ in range(3):  # three different cuttings of each run into 2-4 character words
                i = 0
                while i < len(run):
                    n = rng.choice((2, 2, 2, 3, 4))
                    word = run[i : i + n]
                    if len(word) >= 2:
                        counts[word] = counts.get(word, 0) + 1
                    i += n
        corpus_words = sorted(counts, key=lambda w: (-counts[w], w))
        char_pool = sorted(chars, key=lambda c: (-chars[c], c))
        char_weights = [chars[c] for c in char_pool]
        words = list(corpus_words)
        seen = set(words)
        while len(words) < size:
            if rng.random() < 0.85:
                word = "".join(rng.choices(char_pool, char_weights, k=rng.choice((2, 2, 3, 4))))
            else:  # rarer characters from the whole block
                word = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.choice((2, 3, 4))))
            if word not in seen:
                seen.add(word)
                words.append(word)
        # keep the most frequent corpus words on top, shuffle the long tail a little into the middle
        head, tail = words[:300], words[300:]
        rng.shuffle(tail)
        self.words = head + tail
        self.cum = list(itertools.accumulate(1.0 / (rank + 8) ** 1.05 for rank in range(len(self.words))))

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)


def make_text(rng: random.Random, vocab: Vocabulary, topic: list[str], chars: int) -> str:
    """About ``chars`` characters: 30 % of the words from the article's topic, the rest from the whole vocabulary;
    a comma every 3–8 words, a sentence of 8–30 words, a paragraph of 2–6 sentences."""
    k = chars // 2 + 4
    words = vocab.draw(rng, k)
    topical = rng.choices(topic, k=k)
    out: list[str] = []
    length = 0
    comma, stop, para = rng.randint(3, 8), rng.randint(8, 30), rng.randint(2, 6)
    for i in range(k):
        r = rng.random()
        if r < 0.3:
            word = topical[i]
        elif r < 0.306:
            word = f"{2015 + i % 11}年"
        elif r < 0.310:
            word = f"第{1 + i % 80}条"
        elif r < 0.313:
            word = LATIN[i % len(LATIN)]
        else:
            word = words[i]
        out.append(word)
        length += len(word)
        if length >= chars:
            break
        comma -= 1
        stop -= 1
        if stop == 0:
            out.append("。" if r < 0.9 else "；")
            stop, comma = rng.randint(8, 30), rng.randint(3, 8)
            para -= 1
            if para == 0:
                out.append("\n")
                para = rng.randint(2, 6)
        elif comma == 0:
            out.append("，")
            comma = rng.randint(3, 8)
    return "".join(out) + "。"


def add_articles(archive: Archive, rng: random.Random, vocab: Vocabulary, topics: list[list[str]],
                 numbers: range) -> None:  # fmt: skip
    for i in numbers:
        topic = topics[rng.randrange(len(topics))]
        body_chars = int(min(8000, max(200, rng.lognormvariate(7.17, 0.6))))
        title = make_text(rng, vocab, topic, rng.randint(8, 28)).rstrip("。").replace("\n", "")
        url = f"https://www.gdcac.gov.cn/zcfg/zcjd/content/post_{3_000_000 + i}.html"
        day = datetime(2015, 1, 1, tzinfo=timezone.utc).timestamp() + rng.randrange(11 * 365) * 86400
        published = datetime.fromtimestamp(day, timezone.utc).strftime("%Y-%m-%dT10:00:00+08:00")
        fetch = Fetch(run_id="bench", url=url, final_url=url, status=200, fetched_at="2026-01-01T00:00:00Z",
                      kind="article")  # fmt: skip
        archive.add_article(ArticleItem(
            url=url, site="gdcac", fetch=fetch, title=title, body_text=make_text(rng, vocab, topic, body_chars),
            published_at=published, source=rng.choice(SOURCES), column=rng.choice(COLUMNS),
        ))  # fmt: skip


def topics_of(rng: random.Random, vocab: Vocabulary) -> list[list[str]]:
    return [vocab.draw(rng, 300) + rng.sample(vocab.words[300:20_000], 60) for _ in range(400)]


def build(path: Path, n: int, seed: int) -> tuple[float, Vocabulary]:
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    topics = topics_of(rng, vocab)
    started = time.perf_counter()
    with Archive(path, batch_size=500) as archive:
        archive.start_run("bench", spider="gdcac", site="gdcac", mode="full", started_at="2026-01-01T00:00:00Z",
                          settings={}, crawler_version="bench")  # fmt: skip
        for start in range(0, n, 10_000):
            add_articles(archive, rng, vocab, topics, range(start, min(n, start + 10_000)))
            print(f"  {min(n, start + 10_000):,} articles, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return time.perf_counter() - started, vocab


def write_cost(path: Path, vocab: Vocabulary, count: int, seed: int) -> dict[str, float]:
    """Archive ``count`` more articles (batches of 200) into the built archive: ms per article for the first
    half, timed plainly, and for the second half under cProfile the share spent keeping the postings in step."""
    import cProfile
    import pstats

    rng = random.Random(seed + 2)
    topics = topics_of(rng, vocab)
    half = max(1, count // 2)
    profile = cProfile.Profile()
    with Archive(path, batch_size=200) as archive:
        first = archive.article_count() + 1_000_000
        started = time.perf_counter()
        add_articles(archive, rng, vocab, topics, range(first, first + half))
        archive.flush()
        plain = time.perf_counter() - started
        started = time.perf_counter()
        profile.enable()
        add_articles(archive, rng, vocab, topics, range(first + half, first + 2 * half))
        archive.flush()
        profile.disable()
        profiled = time.perf_counter() - started
    stats = pstats.Stats(profile)
    postings = sum(v[3] for k, v in stats.stats.items() if k[2] == "append_segment")  # cumulative time
    return {"per_article_ms": 1000 * plain / half, "postings_share": postings / profiled}


def pick_queries(archive: Archive, vocab: Vocabulary, rng: random.Random, per_kind: int = 20) -> dict[str, list[str]]:
    """``per_kind`` queries of each kind whose match counts spread evenly on a log scale from a handful to the
    most common (chosen from candidates: characters and words of the vocabulary and substrings of the text)."""
    sample = [r["body_text"] for r in itertools.islice(archive.export_rows(), 0, 2000)]
    runs = [r for text in sample for r in CJK_RUN.findall(text) if len(r) >= 6]
    freq: dict[str, int] = {}
    for text in sample[:300]:
        for c in set(text):
            if "\u4e00" <= c <= "\u9fff":
                freq[c] = freq.get(c, 0) + 1
    chars = sorted(freq, key=lambda c: (-freq[c], c))
    two = [w for w in vocab.words if len(w) == 2]
    four = [w for w in vocab.words if len(w) == 4]
    pools = {
        "1 char": chars[:20] + rng.sample(chars, min(150, len(chars))) + [w[0] for w in rng.sample(vocab.words, 60)],
        "2 chars": two[:60] + rng.sample(two, 60) + [r[i : i + 2] for r in rng.sample(runs, 30) for i in (1,)],
        "4 chars": four[:40] + rng.sample(four, 40) + [r[2:6] for r in rng.sample(runs, 60)],
        "multi-term": [f"{rng.choice(two[:400])} {rng.choice(vocab.words[:rng.choice((50, 2000, 40000))])}"
                       for _ in range(90)]
        + [f'"{r[1:4]}" {rng.choice(two[:200])}' for r in rng.sample(runs, 20)]
        + [f"{rng.choice(LATIN)} {rng.choice(two[:100])}" for _ in range(10)],
    }
    chosen: dict[str, list[str]] = {}
    for kind, pool in pools.items():
        counted = {}
        for q in dict.fromkeys(q for q in pool if q.strip()):
            total = archive.search(q, limit=1)["total"]
            if total:
                counted[q] = total
        top = max(counted.values())
        targets = [5 * (top / 5) ** (i / (per_kind - 1)) for i in range(per_kind)]  # 5 ... the most common
        picks: list[str] = []
        for target in targets:
            q = min((q for q in counted if q not in picks), key=lambda q: abs(math.log(counted[q] / target)))
            picks.append(q)
        chosen[kind] = picks
    return chosen


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="archive to build (or reuse, if it exists); default: a temp file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (after one warm-up)")
    parser.add_argument("--like", type=int, default=5, help="queries of each kind also timed with the LIKE scan")
    parser.add_argument("--write", type=int, default=2000, help="articles archived afterwards to time a write")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="gdcac-search-")
        args.db = Path(tmp.name) / "bench.sqlite"
    build_time = None
    if not args.db.exists():
        print(f"building {args.articles:,} articles into {args.db} ...", file=sys.stderr)
        build_time, vocab = build(args.db, args.articles, args.seed)
    else:
        vocab = Vocabulary(random.Random(args.seed))
    optimized = None
    with Archive(args.db) as archive:  # the postings of the common tokens (a crawl's end makes them too)
        if archive.db.execute("SELECT count(*) FROM search_tokens").fetchone()[0] == 0:
            optimized = archive.optimize_search()
    rng = random.Random(args.seed + 1)
    archive = Archive(args.db, readonly=True)
    n_articles = archive.article_count()
    storage = archive.search_storage()
    queries = pick_queries(archive, vocab, rng)

    rows = []
    for kind, qs in queries.items():
        times: list[float] = []  # top 20 ranked, with snippets (what the target is about)
        counted: list[float] = []  # the same and the exact number of matches (what `gdcac search` prints)
        small: list[float] = []  # top 20 of the queries with at most 10,000 matches
        matches: list[int] = []
        like_times: list[float] = []
        agree = True
        same_top = True
        promoted = archive.postings.promoted_tokens()
        from_postings = sum(all(t in promoted for t, _ in rank_tokens(parse_query(q))) for q in qs)
        for i, q in enumerate(qs):
            found = archive.search(q, limit=20)  # warm-up
            matches.append(found["total"])
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                archive.search(q, limit=20, count=False)
                times.append((time.perf_counter() - t0) * 1000)
                if found["total"] <= 10_000:
                    small.append(times[-1])
                t0 = time.perf_counter()
                archive.search(q, limit=20)
                counted.append((time.perf_counter() - t0) * 1000)
            # the top 20 from the postings (where used) against FTS5's own bm25 of the same tokens
            terms = found["terms"]
            fts5 = archive.search_index.hits(terms, {}, limit=20, use_postings=False)[0]
            best = archive.search_index.hits(terms, {}, limit=20)[0]
            same_top &= len(best) == len(fts5) and all(
                abs(a[1] - b[1]) <= 1e-9 * max(1.0, abs(b[1])) for a, b in zip(best, fts5)
            )
            if args.like and i % max(1, len(qs) // args.like) == 0:
                t0 = time.perf_counter()
                like = archive.like_search_ids(q)
                like_times.append((time.perf_counter() - t0) * 1000)
                agree &= like == set(archive.search_ids(q))
        rows.append((kind, f"{len(qs)} ({from_postings})", min(matches), int(statistics.median(matches)), max(matches), pct(times, 50),
                     pct(times, 95), max(times), pct(counted, 95), pct(small, 95) if small else float("nan"),
                     pct(like_times, 50) if like_times else float("nan"),
                     pct(like_times, 95) if like_times else float("nan"), agree, same_top))  # fmt: skip
        print(f"  {kind}: {qs}", file=sys.stderr)
        print(f"    matches {matches}", file=sys.stderr)

    text, fts, post = storage["text_bytes"], storage["index_bytes"], storage["postings_bytes"]
    print(f"\n{n_articles:,} articles; text {text / 2**20:,.0f} MiB (UTF-8 titles and bodies); "
          f"search index {(fts + post) / 2**20:,.0f} MiB ({(fts + post) / text:.2f}× the text: FTS5 "
          f"{fts / 2**20:,.0f} MiB, postings {post / 2**20:,.0f} MiB of {storage['postings_tokens']:,} tokens); "
          f"articles table {storage['articles_bytes'] / 2**20:,.0f} MiB; "
          f"file {os.path.getsize(args.db) / 2**20:,.0f} MiB")  # fmt: skip
    if optimized is not None:
        print(f"postings made after the build (Archive.optimize_search): {optimized['promoted']:,} tokens in at "
              f"least {optimized['promote_df']:,} articles, {optimized['seconds']:.0f} s")  # fmt: skip
    if build_time is not None:
        print(f"build through Archive.add_article (index maintained in each flush): {build_time:.0f} s "
              f"({args.articles / build_time:,.0f} articles/s)")  # fmt: skip
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}; {datetime.now(timezone.utc):%Y-%m-%d}")  # fmt: skip
    print("\n| query | queries (ranked from postings) | matches (min / median / max) | top 20 p50 | top 20 p95 | top 20 max "
          "| p95 with the total count | p95 of queries ≤ 10,000 matches | LIKE scan p50 | LIKE scan p95 "
          "| same set as LIKE | top 20 scores = FTS5 bm25 |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, nq, lo, med, hi, p50, p95, mx, c95, s95, l50, l95, agree, same in rows:
        print(f"| {kind} | {nq} | {lo:,} / {med:,} / {hi:,} | {p50:.1f} ms | {p95:.1f} ms | {mx:.1f} ms "
              f"| {c95:.1f} ms | {s95:.1f} ms | {l50:,.0f} ms | {l95:,.0f} ms | {'yes' if agree else 'NO'} "
              f"| {'yes' if same else 'NO'} |")  # fmt: skip
    # with filters: the most common query of each kind, filtered by column, by year, by source and by month
    filters = [{"column": COLUMNS[0]}, {"since": "2020", "until": "2020"}, {"source": "日报"},
               {"since": "2024-03", "until": "2024-03"}]  # fmt: skip
    print("\n| filter | " + " | ".join(f"{kind}: {qs[-1]}" for kind, qs in queries.items())
          + " | top 20 scores = FTS5 bm25 |")  # fmt: skip
    print("| --- |" + " --- |" * (len(queries) + 1))
    for f in filters:
        cells, same = [], True
        for qs in queries.values():
            q = qs[-1]
            runs = []
            for _ in range(args.repeat + 1):
                t0 = time.perf_counter()
                found = archive.search(q, limit=20, count=False, **f)
                runs.append((time.perf_counter() - t0) * 1000)
            fts5 = archive.search_index.hits(found["terms"], f, limit=20, use_postings=False)[0]
            same &= [round(-score, 6) for _, score in fts5] == [r["score"] for r in found["results"]]
            cells.append(f"{statistics.median(runs[1:]):.1f} ms")
        print(f"| {f} | " + " | ".join(cells) + f" | {'yes' if same else 'NO'} |")
    archive.close()
    if args.write:
        cost = write_cost(args.db, vocab, args.write, args.seed)
        print(f"archiving {args.write // 2:,} more articles (batches of 200): {cost['per_article_ms']:.2f} ms per "
              f"article; keeping the postings in step took {100 * cost['postings_share']:.0f} % of the time of "
              f"{args.write // 2:,} more under cProfile")  # fmt: skip
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
