#!/usr/bin/env python3
"""Make a synthetic archive of long policy documents, like a real terms archive (issue 13, item 4).

    python bench/make_archive.py OUT_DIR [--pages 900] [--commits 40000] [--lang en]
                                 [--min-kb 20] [--max-kb 200] [--rng 13] [--seed FILE]

OUT_DIR becomes a new git repository with docs/<lang>/terms-NNNN.md: N
documents of MIN_KB to MAX_KB (uniform), built from the paragraphs of a
policy text (by default this site's docs/zh-Hant/privacy.md), each with
a small front matter (``title``).  The first commit adds every document;
each later commit touches one document, sometimes two (a real archive
records one service's terms per commit):

* most commits are small edits: a clause inserted, a sentence dropped, a
  word replaced, a paragraph added or removed;
* some are whitespace-only (a trailing space, an extra blank line): not
  versions under the project's rule;
* some revert the document's previous commit exactly (its blob comes back);
* some change only the front matter (``title``);
* some rename the document (``git mv``), a few of them with an edit in the
  same commit, and a few delete a document and add it back later.

Commit dates are spread evenly, with a seeded jitter, from 2019-06-01 to
2026-06-01 (UTC+8), in order, author and committer dates equal.  The history is
written with one ``git fast-import``, so 40,000 commits of 20-200 KB documents
take about a minute or two; the same arguments always give the same
repository, commit ids included.  Prints the counts of each kind of commit.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = os.path.join(HERE, "..", "docs", "zh-Hant", "privacy.md")  # this site's own policy
START = datetime(2019, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
SPAN = timedelta(days=7 * 365)
#: Share of each kind of commit after the first (the rest are small edits).
KINDS = (("whitespace", 0.06), ("revert", 0.04), ("front-matter", 0.03), ("rename", 0.015),
         ("rename+edit", 0.005), ("delete", 0.002), ("two-docs", 0.08))


class Doc:
    """One document: its path, title and paragraphs, and what it was before its last commit."""

    def __init__(self, path: str, title: str, paras: list[str]) -> None:
        self.path = path
        self.title = title
        self.paras = paras
        self.before: tuple[str, list[str], str] | None = None  # (title, paragraphs, tail) before the last commit
        self.tail = ""  # the invisible trailing whitespace of the file (whitespace-only commits add to it)
        self.deleted_at: int | None = None

    def text(self) -> bytes:
        return (f"---\ntitle: {self.title}\n---\n\n" + "\n\n".join(self.paras) + "\n" + self.tail).encode("utf-8")

    def remember(self) -> None:
        self.before = (self.title, list(self.paras), self.tail)


def build_doc(rng: random.Random, i: int, lang: str, paras: list[str], size: int) -> Doc:
    """A document of about *size* bytes: numbered sections made from the seed's paragraphs."""
    out = [f"# Terms of service {i} ({lang})"]
    total, section = 0, 0
    while total < size:
        section += 1
        heading = f"## {section}. Section {section} of document {i}"
        out.append(heading)
        total += len(heading.encode()) + 2
        for p in rng.sample(paras, k=min(len(paras), rng.randint(2, 6))):
            p = f"{section}.{rng.randint(1, 99)} " + p if not p.startswith(("#", "-", "1.", "|")) else p
            out.append(p)
            total += len(p.encode()) + 2
            if total >= size:
                break
    return Doc(f"docs/{lang}/terms-{i:04d}.md", f"Terms {i}", out)


def small_edit(rng: random.Random, doc: Doc, c: int) -> None:
    """One visible change to a paragraph, or a paragraph added or removed."""
    k = rng.randrange(1, len(doc.paras))
    p = doc.paras[k]
    kind = rng.random()
    cut = rng.randrange(0, max(1, len(p)))
    if kind < 0.35:
        doc.paras[k] = p[:cut] + f"（第{c}次修訂新增條款）" + p[cut:]
    elif kind < 0.6 and "。" in p[cut:]:
        end = p.index("。", cut) + 1
        doc.paras[k] = p[:cut] + p[end:] if p[:cut] + p[end:] else p + "。"
    elif kind < 0.85:
        q = p[:cut] + p[cut:].replace("我們", "本公司", 1)
        doc.paras[k] = q if q != p else p + f" (rev. {c})"
    elif kind < 0.93 or len(doc.paras) < 4:
        doc.paras.insert(k, f"New clause {c}: the provider may change these terms with notice.")
    else:
        del doc.paras[k]


def whitespace_edit(rng: random.Random, doc: Doc) -> None:
    """A change readers cannot see: a trailing space on a paragraph, or an extra blank line at the end."""
    if rng.random() < 0.5:
        k = rng.randrange(1, len(doc.paras))
        if not doc.paras[k].endswith(" "):
            doc.paras[k] += " "  # one space: not a hard break
            return
    doc.tail += "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, default=900)
    ap.add_argument("--commits", type=int, default=40000)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--min-kb", type=int, default=20)
    ap.add_argument("--max-kb", type=int, default=200)
    ap.add_argument("--rng", type=int, default=13, help="random seed: the same seed gives the same repository")
    ap.add_argument("--seed", default=DEFAULT_SEED, help="the policy text whose paragraphs make the documents")
    a = ap.parse_args()
    rng = random.Random(a.rng)
    text = open(a.seed, encoding="utf-8").read()
    if text.startswith("---"):
        text = text.split("\n---", 1)[1].partition("\n")[2]  # its front matter is not a paragraph
    seed_paras = [p.strip("\n") for p in text.split("\n\n") if p.strip() and not p.startswith("# ")]
    docs = [build_doc(rng, i, a.lang, seed_paras, rng.randint(a.min_kb * 1024, a.max_kb * 1024)) for i in range(a.pages)]

    if os.path.exists(os.path.join(a.out, ".git")):
        sys.exit(f"{a.out} already holds a repository")
    os.makedirs(a.out, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", a.out], check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet", "--depth=50"], cwd=a.out, stdin=subprocess.PIPE)
    assert fi.stdin is not None
    w = fi.stdin
    step = SPAN / (a.commits + 1)
    counts = {name: 0 for name, _ in KINDS}
    counts["edit"] = 0

    def commit(n: int, when: datetime, message: str, ops: list[bytes]) -> None:
        stamp = f"{int(when.timestamp())} +0800"
        msg = message.encode()
        head = (f"commit refs/heads/main\nmark :{n + 1}\nauthor Legal Editor <legal@example.org> {stamp}\n"
                f"committer Legal Editor <legal@example.org> {stamp}\ndata {len(msg)}\n").encode()
        w.write(head + msg + b"\n" + (f"from :{n}\n".encode() if n else b""))
        for op in ops:
            w.write(op)

    def put(doc: Doc) -> bytes:
        data = doc.text()
        return f"M 100644 inline {doc.path}\ndata {len(data)}\n".encode() + data + b"\n"

    commit(0, START, "Publish documents", [put(d) for d in docs])
    deleted: list[Doc] = []
    for c in range(1, a.commits + 1):
        when = START + step * c + step * rng.random() * 0.5
        r = rng.random()
        kind = "edit"
        for name, share in KINDS:
            if r < share:
                kind = name
                break
            r -= share
        live = [d for d in docs if d.deleted_at is None]
        doc = rng.choice(live)
        ops: list[bytes] = []
        if deleted and rng.random() < 0.002 * len(deleted) and kind == "edit":
            doc, kind = deleted.pop(0), "re-add"  # a document deleted earlier comes back at its path
            doc.deleted_at = None
            small_edit(rng, doc, c)
            ops.append(put(doc))
        elif kind == "whitespace":
            doc.remember()
            whitespace_edit(rng, doc)
            ops.append(put(doc))
        elif kind == "revert" and doc.before is not None:
            doc.title, doc.paras, doc.tail = doc.before[0], list(doc.before[1]), doc.before[2]
            doc.before = None
            ops.append(put(doc))
        elif kind == "front-matter":
            doc.remember()
            doc.title = f"Terms {docs.index(doc)} (rev. {c})"
            ops.append(put(doc))
        elif kind in ("rename", "rename+edit"):
            old = doc.path
            doc.path = f"docs/{a.lang}/renamed/terms-{docs.index(doc):04d}-{c}.md"
            ops.append(f'D {old}\n'.encode())
            if kind == "rename+edit":
                doc.remember()
                small_edit(rng, doc, c)
            ops.append(put(doc))
        elif kind == "delete" and len(live) > a.pages // 2:
            doc.deleted_at = c
            deleted.append(doc)
            ops.append(f"D {doc.path}\n".encode())
        else:
            kind = "two-docs" if kind == "two-docs" else "edit"
            targets = [doc] + ([rng.choice(live)] if kind == "two-docs" else [])
            for d in dict.fromkeys(targets):
                d.remember()
                small_edit(rng, d, c)
                ops.append(put(d))
        counts[kind] = counts.get(kind, 0) + 1
        commit(c, when, f"Record changes {c} ({kind})", ops)
    w.close()
    if fi.wait():
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", a.out, "checkout", "-q", "-f", "main"], check=True)
    sizes = sorted(len(d.text()) for d in docs)
    print(f"{a.out}: {a.pages} documents ({a.lang}), {a.commits + 1} commits; sizes at HEAD "
          f"{sizes[0] // 1024}-{sizes[-1] // 1024} KB, median {sizes[len(sizes) // 2] // 1024} KB")
    print("commits by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
