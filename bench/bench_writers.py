#!/usr/bin/env python3
"""The package's own writers against the standard library's, on the same input in the same run.

    PYTHONPATH=hooks python bench/bench_writers.py [--number 2000]

Three writers spell what the standard library would, byte for byte (the tests
compare them): the Atom feed (``pages/feeds.feed_xml`` against ElementTree,
the reference kept in ``tests/test_feeds.py``), the indented JSON
(``json_text.dumps`` against ``json.dumps``) and ``jsonld.html_safe``
(``str.replace`` against the ``str.translate`` it replaced).  Each prints the
best of 5 timings of each side and the ratio.  Not a test: only the bytes are
checked, nothing about the time is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_feeds import _elementtree_feed_xml  # noqa: E402 -- the reference writer of the byte-for-byte test

from policykit import json_text  # noqa: E402
from policykit.pages import feeds, versions_api  # noqa: E402
from policykit.pages.jsonld import html_safe  # noqa: E402

_TRANSLATE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _feed() -> feeds.Feed:
    """A policy's feed of four versions, as the synthetic corpus' feeds are."""
    day = datetime(2020, 1, 1, tzinfo=timezone.utc)
    entries = [feeds.FeedEntry("policy-0001", "zh-Hant", n, f"隱私權政策：第 {n} 版", day + timedelta(days=100 * n),
                               f"https://policy.example/policy-0001/versions/{n}/", "未提供摘要", "1 處修改、0 處新增")
               for n in range(1, 5)]
    return feeds.Feed("policy-0001/feed.xml", "https://policy.example/policy-0001/feed.xml", "隱私權政策：變更",
                      "zh-Hant", "https://policy.example/policy-0001/", "1MiX 政策中心", "policy-0001", entries)


def _api_document() -> dict[str, Any]:
    """A policy's ``versions.json`` of four versions, in Chinese."""
    day = datetime(2020, 1, 1, tzinfo=timezone.utc)
    versions = tuple(versions_api.ApiVersion(
        number=n, commit=f"{n:040x}", published=day + timedelta(days=100 * n), effective=None,
        starts_at=day + timedelta(days=100 * n), ends_at=day + timedelta(days=100 * n + 100) if n < 4 else None,
        note="未提供摘要 <與> & 條款", sha256=f"{n:064x}", source_sha256=f"{n + 9:064x}") for n in range(1, 5))
    policy = versions_api.ApiPolicy(policy="policy-0001", language="zh-Hant", title="隱私權政策", base="policy-0001/",
                                    versions=versions, retired=None)
    return versions_api.versions_document(policy, versions_api.Urls("/"))


def _best(fn: Callable[[], Any], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=2000)
    a = ap.parse_args()
    feed, args = _feed(), dict(site_url="https://policy.example/", tz="Asia/Taipei", change_note_label="變更說明",
                               updated_if_empty=datetime(2020, 1, 1, tzinfo=timezone.utc))
    doc = _api_document()
    text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False)
    pairs = [
        ("feed (4 entries)", lambda: feeds.feed_xml(feed, **args), lambda: _elementtree_feed_xml(feed, **args)),
        ("versions.json text", lambda: json_text.dumps(doc),
         lambda: json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False)),
        (f"html_safe ({len(text)} chars)", lambda: html_safe(text), lambda: text.translate(_TRANSLATE)),
    ]
    for label, ours, reference in pairs:
        if ours() != reference():
            sys.exit(f"{label}: the outputs differ")
        t_ours, t_ref = _best(ours, a.number), _best(reference, a.number)
        print(f"{label:<28} ours {t_ours * 1e6:8.1f} us, standard library {t_ref * 1e6:8.1f} us, "
              f"ours / standard {t_ours / t_ref:.3f}")


if __name__ == "__main__":
    main()
