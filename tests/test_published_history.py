"""Published history cannot be rewritten silently, and published version numbers never change (real git, real builds)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from policykit.history.chain import Chain
from policykit.history.versions import FileHistory, Version
from policykit.history.numbering import keep_published_numbers
from sitebuild import edit, html_of, mkdocs_build, new_site

EN = "docs/en/privacy.md"
ANCHOR = "1MiX.org is the publisher"
V2 = "We keep server logs for 30 days. "
V3 = "We never sell personal data. "
MANIFEST_ENV = "POLICY_SITE_PREVIOUS_MANIFEST"


def _add(repo, text: str) -> None:
    edit(repo, EN, ANCHOR, text + ANCHOR)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    """Three English versions published; their manifest kept as the previous deploy's."""
    base = tmp_path_factory.mktemp("ledger")
    repo = new_site(base)
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    c1 = repo.head()
    _add(repo, V2)
    repo.commit("Say how long logs are kept", date="2019-07-01T10:00:00+08:00")
    _add(repo, V3)
    repo.commit("Promise not to sell data", date="2019-08-01T10:00:00+08:00")
    tip = repo.head()
    done = mkdocs_build(repo.path)
    assert done.returncode == 0, done.stdout[-3000:]
    previous = base / "previous-manifest.json"
    shutil.copy(repo.path / "site" / "manifest.json", previous)
    return repo, c1, tip, previous


def _reset(repo, commit: str) -> None:
    repo.run("reset", "-q", "--hard", commit)
    (repo.path / "policy-corrections.yml").unlink(missing_ok=True)


def _en_versions(site: Path) -> list[dict]:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))["policies"]["versions"]["privacy"]["en"]


def test_manifest_records_every_published_version(published) -> None:
    repo, c1, tip, previous = published
    data = json.loads(previous.read_text(encoding="utf-8"))["policies"]
    assert set(data["versions"]["privacy"]) == {"zh-Hant", "zh-Hans", "en"}
    en = data["versions"]["privacy"]["en"]
    assert [v["number"] for v in en] == [1, 2, 3]
    assert en[0]["commit"] == c1 and en[2]["commit"] == tip
    assert en[1]["published"] == "2019-07-01T02:00:00Z"
    assert all(re.fullmatch(r"[0-9a-f]{64}", v["sha256"]) and re.fullmatch(r"[0-9a-f]{40}", v["blob"]) for v in en)
    assert len({v["sha256"] for v in en}) == 3


def _rewrite_v2(repo, c1: str, v2_text: str, message: str = "Say how long logs are kept") -> None:
    """A force-push: history from C1 again, v2 with *v2_text*, v3 the same text as published."""
    _reset(repo, c1)
    _add(repo, v2_text)
    repo.commit(message, date="2019-07-01T10:00:00+08:00")
    text = repo.read(EN).replace(v2_text, V2)  # v3's published text, exactly
    repo.write(EN, text.replace(ANCHOR, V3 + ANCHOR, 1))
    repo.commit("Promise not to sell data", date="2019-08-01T10:00:00+08:00")


def test_changed_published_text_fails_naming_it(published) -> None:
    repo, c1, tip, previous = published
    old_v2 = json.loads(previous.read_text())["policies"]["versions"]["privacy"]["en"][1]["sha256"]
    _rewrite_v2(repo, c1, V2.replace("30 days", "7 days"))
    try:
        done = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        assert done.returncode != 0
        out = done.stdout
        assert "privacy (en) version 2: the published text changed" in out and old_v2 in out
        new_v2 = re.search(r"sha256 [0-9a-f]{64} published, ([0-9a-f]{64}) now", out).group(1)
        assert new_v2 != old_v2
        assert "version 3: the published text changed" not in out  # v3's text is the published one
        assert "Traceback" not in out
    finally:
        _reset(repo, tip)


def test_squash_removing_a_version_fails(published) -> None:
    repo, c1, tip, previous = published
    final = repo.read(EN)
    _reset(repo, c1)
    repo.write(EN, final)
    repo.commit("Logs and data (squashed)", date="2019-08-01T10:00:00+08:00")
    try:
        done = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        assert done.returncode != 0
        assert "privacy (en) version 3 disappeared from history" in done.stdout
        assert "privacy (en) version 2: the published text changed" in done.stdout
    finally:
        _reset(repo, tip)


def test_rebase_keeping_the_texts_passes_with_a_notice(published) -> None:
    repo, c1, tip, previous = published
    _rewrite_v2(repo, c1, V2, message="Retention period of server logs (reworded)")
    try:
        assert repo.head() != tip
        done = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        assert done.returncode == 0, done.stdout[-3000:]
        assert "privacy (en) version 2: history was rewritten but the text is the same" in done.stdout
        assert [v["commit"] for v in _en_versions(repo.path / "site")][1] != json.loads(
            previous.read_text())["policies"]["versions"]["privacy"]["en"][1]["commit"]
    finally:
        _reset(repo, tip)


def test_declared_correction_passes_is_recorded_and_shown(published) -> None:
    repo, c1, tip, previous = published
    _rewrite_v2(repo, c1, V2.replace("30 days", "7 days"))
    try:
        failed = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        new_v2 = re.search(r"sha256 [0-9a-f]{64} published, ([0-9a-f]{64}) now", failed.stdout).group(1)
        repo.write("policy-corrections.yml", (
            "- policy: privacy\n  language: en\n  version: 2\n"
            f"  sha256: {new_v2}\n  date: 2026-12-01\n"
            "  reason: The adopted text says 7 days; version 2 was published with a typo.\n"))
        done = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        assert done.returncode == 0, done.stdout[-3000:]
        assert "privacy (en) version 2: legal correction published" in done.stdout
        v2 = _en_versions(repo.path / "site")[1]
        assert v2["sha256"] == new_v2
        assert v2["corrections"][0]["sha256"] == new_v2 and v2["corrections"][0]["date"] == "2026-12-01"
        assert v2["corrections"][0]["previous_sha256"] != new_v2
        page = html_of(repo.path / "site", "en/privacy/versions/2/index.html")
        notice = re.search(r'<div class="policy-notice policy-notice--correction".*?</div>', page, re.DOTALL).group(0)
        assert "December 1, 2026" in notice and "published with a typo" in notice
        assert "policy-notice--correction" not in html_of(repo.path / "site", "en/privacy/versions/3/index.html")
        # the next deploy (this manifest as the previous one) keeps showing it, without the file entry too
        again_prev = repo.path.parent / "corrected-manifest.json"
        shutil.copy(repo.path / "site" / "manifest.json", again_prev)
        (repo.path / "policy-corrections.yml").unlink()
        again = mkdocs_build(repo.path, env={MANIFEST_ENV: str(again_prev)})
        assert again.returncode == 0, again.stdout[-3000:]
        assert "policy-notice--correction" in html_of(repo.path / "site", "en/privacy/versions/2/index.html")
    finally:
        _reset(repo, tip)


def test_correction_with_the_wrong_hash_fails(published) -> None:
    repo, c1, tip, previous = published
    _rewrite_v2(repo, c1, V2.replace("30 days", "7 days"))
    try:
        repo.write("policy-corrections.yml", "- policy: privacy\n  language: en\n  version: 2\n"
                   f"  sha256: {'0' * 64}\n  date: 2026-12-01\n  reason: Typo.\n")
        done = mkdocs_build(repo.path, env={MANIFEST_ENV: str(previous)})
        assert done.returncode != 0
        assert "policy-corrections.yml:1: the correction of privacy (en) version 2 declares sha256 000" in done.stdout
    finally:
        _reset(repo, tip)


# ------------------------------------------------------------------ published numbers never change


def test_numbering_recorded_by_an_older_rule_wins(published) -> None:
    """An older build published a trailing-space commit as a version; the current rules would merge it."""
    repo, c1, tip, previous = published
    text = repo.read(EN)
    assert "\n\n" in text
    repo.write(EN, text.replace("\n\n", "\n\n\n", 1))  # a run of blank lines: not a version under any rule
    ws = repo.commit("Whitespace only", date="2019-09-01T10:00:00+08:00")
    _add(repo, "Contact us by mail. ")
    repo.commit("Contact", date="2019-10-01T10:00:00+08:00")
    try:
        done = mkdocs_build(repo.path)
        assert done.returncode == 0, done.stdout[-3000:]
        now = _en_versions(repo.path / "site")
        assert [v["number"] for v in now] == [1, 2, 3, 4] and ws not in [v["commit"] for v in now]
        # the older build's manifest: version 4 is the whitespace commit, version 5 the contact line
        blob = repo.run("rev-parse", f"{ws}:{EN}")
        older = json.loads((repo.path / "site" / "manifest.json").read_text())
        recs = older["policies"]["versions"]["privacy"]["en"]
        ws_rec = dict(recs[2], number=4, commit=ws, blob=blob, sha256="f" * 64, published="2019-09-01T02:00:00Z")
        older["policies"]["versions"]["privacy"]["en"] = recs[:3] + [ws_rec, dict(recs[3], number=5)]
        older["policies"]["text_rules"] = "an-older-normaliser"
        prev = repo.path.parent / "older-rules-manifest.json"
        prev.write_text(json.dumps(older), encoding="utf-8")
        kept = mkdocs_build(repo.path, env={MANIFEST_ENV: str(prev)})
        assert kept.returncode == 0, kept.stdout[-3000:]
        assert f"version 4 (commit {ws[:12]}) kept apart as published" in kept.stdout
        site = repo.path / "site"
        after = _en_versions(site)
        assert [(v["number"], v["commit"]) for v in after] == [(r["number"], r["commit"]) for r in older["policies"]["versions"]["privacy"]["en"]]
        assert (site / "en/privacy/versions/5/index.html").is_file()
        assert "Contact us by mail." in html_of(site, "en/privacy/versions/5/index.html")
        assert "published text changed" not in kept.stdout and "disappeared" not in kept.stdout
    finally:
        _reset(repo, tip)


def _v(n: int, commit: str, blob: str) -> Version:
    from datetime import datetime, timezone
    return Version(n, commit, datetime(2020, 1, n, tzinfo=timezone.utc), "A", "a@x", f"s{n}", blob, "p.md", "p.md")


def test_numbering_keeps_a_split_inside_the_published_range_merged() -> None:
    """The current rules make commit b a version; the previous build did not: b stays part of version 1."""
    chain = Chain.of([("a", 1), ("b", 2), ("c", 3), ("d", 4)])
    fh = FileHistory("p.md", (_v(1, "a", "A"), _v(2, "b", "B"), _v(3, "c", "C"), _v(4, "d", "D")))
    recorded = [{"number": 1, "commit": "a", "blob": "A"}, {"number": 2, "commit": "c", "blob": "C"}]
    out, notes = keep_published_numbers(fh, recorded, chain, lambda c, b: None)
    assert [(v.number, v.commit) for v in out.versions] == [(1, "a"), (2, "c"), (3, "d")]
    assert notes == ["commit b stays part of version 1 as published; the current rules would make it a version of its own"]
    # a rewrite (a recorded commit gone): today's numbering stands, the ledger judges the texts
    assert keep_published_numbers(fh, [{"number": 1, "commit": "zz", "blob": "A"}], chain, lambda c, b: None) == (fh, [])


def test_text_hash_cache_is_verified(tmp_path: Path) -> None:
    """The blob -> text hash cache speeds builds up and never changes an answer: a damaged file is ignored."""
    from policykit.history import ledger
    fh = FileHistory("en/p.md", (_v(1, "a", "b" * 40),))
    reads: list[list[str]] = []

    def read(oids):
        reads.append(oids)
        return iter([(o, b"# Text\n") for o in oids])

    first = ledger.current_records([("p", "en", fh)], read, str(tmp_path))
    again = ledger.current_records([("p", "en", fh)], read, str(tmp_path))
    assert first == again and reads == [["b" * 40], []]
    cache = next(tmp_path.glob("text-sha256-*.json"))
    cache.write_text(cache.read_text().replace(first[("p", "en")].versions[0].sha256[:8], "00000000"))
    damaged = ledger.current_records([("p", "en", fh)], read, str(tmp_path))
    assert damaged == first and reads[-1] == ["b" * 40]
    assert first[("p", "en")].versions[0].sha256 == ledger.text_sha256(b"# Text\n")


def test_check_rules_without_git() -> None:
    """The comparison itself: same blob under other rules passes; a vanished policy names every hash."""
    from policykit.history import ledger
    cur = {("p", "en"): ledger.PolicyVersions("p", "en", "en/p.md", (
        ledger.VersionRecord(1, "c1", "b1", "1" * 64, "2020-01-01T00:00:00Z"),))}
    same_blob = ({("p", "en"): [{"number": 1, "commit": "old", "blob": "b1", "sha256": "9" * 64,
                                 "published": "2020-01-01T00:00:00Z"}]}, "older-rules")
    ok = ledger.check_history(same_blob, cur)
    assert ok.errors == [] and ok.notices == ["p (en) version 1: history was rewritten but the text is the same (commit old -> c1)."]
    other = ({("p", "en"): [{"number": 1, "commit": "old", "blob": "bX", "sha256": "9" * 64}]}, "older-rules")
    assert "the published text changed" in ledger.check_history(other, cur).errors[0]  # rules differ, blob gone: refuse
    gone = ({("q", "en"): [{"number": 1, "commit": "c", "blob": "b", "sha256": "7" * 64}]}, ledger.TEXT_RULES)
    err = ledger.check_history(gone, cur).errors
    assert len(err) == 1 and "q (en): all 1 published version(s) disappeared" in err[0] and "7" * 64 in err[0]
