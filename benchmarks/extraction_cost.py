"""Extraction cost per article page: the profile path and the generic fallback against GNE and trafilatura,
on the same pages (every article of the offline mirror and the real drc.gd.gov.cn article), and, on the real
page, where the four agree and differ field by field.  It measures; it asserts nothing.

    pip install -e '.[bench]'          # gne, trafilatura (not needed by the crawler)
    python benchmarks/extraction_cost.py [--rounds 5]

Each extractor gets the page's raw bytes and its URL and returns title, time, source, body:

* profile   — what the spider and the clean pipeline do: decode the bytes (the encoding check included),
  parse, ``extract_article`` with the portal's profile, ``clean_article``;
* fallback  — the same with the ``generic`` profile, which has no selectors: text density and the meta tags;
* GNE       — ``GeneralNewsExtractor().extract(html)`` on the decoded text;
* trafilatura — ``trafilatura.bare_extraction(html, url=..., with_metadata=True)`` on the decoded text.

Time per page is the best of ``--rounds`` passes over all pages, divided by the number of pages.  With
``--floor``, the parts of the profile path that no Python-level change removes are timed on their own the same
way — decoding the bytes into a response and its text, parsing the text (``parse_html``), walking the body into
lines (``html_blocks``) and sanitising the body's HTML with nh3 — to show what bounds its cost.  Body
agreement is the share of the reference body's lines (the drc profile's output, checked line by line against
the page in tests/test_extract_drc.py) found in the extractor's body, and the furniture each one leaked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from _bench import machine

from gdcac_crawler.extract.article import _selectors, clean_article, extract_article
from gdcac_crawler.extract.body import _inner_html, sanitise_html
from gdcac_crawler.extract.dates import parse_date
from gdcac_crawler.extract.dom import parse_html
from gdcac_crawler.extract.encoding import choose_encoding, response_from_bytes
from gdcac_crawler.extract.paragraphs import paragraphs as html_blocks
from gdcac_crawler.extract.selector_index import indexed, select
from gdcac_crawler.profiles import resolve_profile
from gdcac_mirror import SITE_DIR, load_manifest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "fixtures" / "drc" / "article_ywtz_real"
UTF8 = {"Content-Type": "text/html; charset=utf-8"}
FURNITURE = ("您所在的位置", "当前位置", "信息来源", "字体", "相关附件", "相关导读", "分享到", "打印", "关闭窗口",
             "主办单位", "版权所有", "网站标识码")


def pages() -> tuple[list[tuple[str, bytes]], tuple[str, bytes]]:
    mirror = [(a["url"], (SITE_DIR / a["path"].lstrip("/")).read_bytes()) for a in load_manifest()["articles"]]
    meta = json.loads((REAL / "meta.json").read_text(encoding="utf-8"))
    return mirror, (meta["url"], (REAL / "page.html").read_bytes())


def ours(profile_name: str):
    def run(url: str, body: bytes) -> dict:
        response = response_from_bytes(url, body, UTF8)
        profile = resolve_profile(profile_name, url)
        item = clean_article(extract_article(response, profile), profile)
        return {"title": item["title"], "time": item["published_at"], "source": item["source"],
                "body": item["body_text"] or ""}
    return run


def gne():
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(url: str, body: bytes) -> dict:
        html = body.decode(choose_encoding(body, "utf-8").used)  # the mirror's legacy pages are GBK
        out = extractor.extract(html)
        iso, _ = parse_date(out.get("publish_time") or "")
        return {"title": out.get("title"), "time": iso, "source": out.get("author") or None,
                "body": out.get("content") or ""}
    return run


def trafilatura_():
    import trafilatura

    def run(url: str, body: bytes) -> dict:
        html = body.decode(choose_encoding(body, "utf-8").used)  # the mirror's legacy pages are GBK
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True)
        doc = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
        iso, _ = parse_date(doc.get("date") or "")
        return {"title": doc.get("title"), "time": iso, "source": doc.get("author") or doc.get("sitename"),
                "body": doc.get("text") or ""}
    return run


def best_ms_per_page(one_pass, pages: int, rounds: int) -> float:
    """ms per page of the best of ``rounds`` runs of ``one_pass()`` (one pass over ``pages`` pages)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        one_pass()
        best = min(best, time.perf_counter() - started)
    return best / pages * 1000.0


def timed(run, corpus: list[tuple[str, bytes]], rounds: int) -> float:
    def one_pass() -> None:
        for url, body in corpus:
            run(url, body)

    return best_ms_per_page(one_pass, len(corpus), rounds)


def floor(corpus: list[tuple[str, bytes]], rounds: int) -> dict[str, float]:
    """ms per page of the parts of the profile path that bound its cost, each timed alone like the whole."""
    texts, bodies = [], []
    for url, body in corpus:
        text = response_from_bytes(url, body, UTF8).text
        root = parse_html(text)
        profile = resolve_profile("auto", url)
        with indexed(root, _selectors(profile)):
            found = next((select(root, css) for css in profile.body_css if select(root, css)), None)
        texts.append(text)
        bodies.append(found[0])
    htmls = [_inner_html(b) for b in bodies]
    parts = {
        "decode": lambda i: response_from_bytes(corpus[i][0], corpus[i][1], UTF8).text,
        "parse": lambda i: parse_html(texts[i]),
        "body_walk": lambda i: html_blocks(bodies[i]),
        "serialise_and_sanitise": lambda i: sanitise_html(_inner_html(bodies[i])),
        "sanitise": lambda i: sanitise_html(htmls[i]),
    }
    out = {}
    for name, part in parts.items():
        def one_pass(part=part) -> None:
            for i in range(len(corpus)):
                part(i)

        out[name] = best_ms_per_page(one_pass, len(corpus), rounds)
    return out


def _lines(text: str) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in text.split("\n") if line.strip()]


def agreement(reference: dict, got: dict) -> dict:
    ref_lines = _lines(reference["body"])
    body = re.sub(r"\s+", "", got["body"])
    found = sum(1 for line in ref_lines if line in body)
    return {
        "title": got["title"] == reference["title"],
        "time": (got["time"] or "")[:16] == (reference["time"] or "")[:16],
        "time_day": (got["time"] or "")[:10] == (reference["time"] or "")[:10],
        "source": got["source"] == reference["source"],
        "body_lines": f"{found}/{len(ref_lines)}",
        "leaked": [w for w in FURNITURE if w in got["body"]],
        "values": {"title": got["title"], "time": got["time"], "source": got["source"],
                   "body_first": _lines(got["body"])[:1], "body_last": _lines(got["body"])[-1:]},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--floor", action="store_true", help="also time the parts that bound the profile path")
    args = parser.parse_args(argv)
    mirror, real = pages()
    extractors = {"profile": ours("auto"), "fallback": ours("generic")}
    for name, factory in (("GNE", gne), ("trafilatura", trafilatura_)):
        try:
            extractors[name] = factory()
        except ImportError:
            print(f"{name} is not installed: pip install -e '.[bench]'", file=sys.stderr)
    for run in extractors.values():  # warm caches (compiled selectors, imports)
        run(*real)
        run(*mirror[0])
    corpora = {"mirror": mirror, "real": [real]}
    times = {name: {c: timed(run, corpus, args.rounds if c == "mirror" else args.rounds * 10)
                    for c, corpus in corpora.items()} for name, run in extractors.items()}
    reference = extractors["profile"](*real)
    agree = {name: agreement(reference, run(*real)) for name, run in extractors.items()}
    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "pages": {"mirror": len(mirror), "real": 1},
        "ms_per_page": times,
        "agreement_on_real_page": agree,
    }
    if "GNE" in times:
        gne_ms = times["GNE"]
        result["ratios_to_GNE"] = {name: {c: round(t[c] / gne_ms[c], 3) for c in t} for name, t in times.items()}
    if args.floor:
        parts = {c: floor(corpus, args.rounds if c == "mirror" else args.rounds * 10) for c, corpus in corpora.items()}
        result["profile_path_parts_ms_per_page"] = parts
        if "GNE" in times:
            result["profile_path_parts_ratios_to_GNE"] = {
                c: {name: round(ms / times["GNE"][c], 3) for name, ms in p.items()} for c, p in parts.items()}
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
