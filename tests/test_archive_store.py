"""Archives kept between builds (policykit.mkdocs.archive_store): a build renders only what changed, and writes
exactly what a build from an empty cache writes.

Every build here is a real ``mkdocs build`` process (keys must agree across
processes) of this project's site in a real git repository.  "Kept" is read
from the build's log ("Archive (zh-Hans): 1 of 1 policies unchanged ...");
"the same" is every file's bytes and mtime against a fresh clone of the same
commit built with no cache at all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitfixture import GitRepo, git_env
from sitebuild import edit, mkdocs_build, new_site, set_front_matter

EN = "docs/en/privacy.md"
HANS = "docs/zh-Hans/privacy.md"
KEPT = re.compile(r"Archive \(([\w-]+)\): (\d+) of (\d+) policies unchanged since the last build")
STORE = Path(".cache/policy-site/archive")
# "now" for the builds whose clock matters (test_effective_date_arriving_renders_that_archive_again)
BEFORE_2030 = str(1893456000 - 86400)  # 2029-12-31
AFTER_2030 = str(1893456000 + 86400)  # 2030-01-02


def build(repo: GitRepo, site: Path, env: dict[str, str] | None = None) -> dict[str, int]:
    """Build *repo* into *site*; the number of policies kept per language (languages with none are absent)."""
    result = mkdocs_build(repo.path, "-d", str(site), env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    return {m.group(1): int(m.group(2)) for m in KEPT.finditer(result.stdout)}


def files(site: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime (ns) of every file of *site*."""
    return {p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*")) if p.is_file()}


def fresh_build(repo: GitRepo, tmp: Path, env: dict[str, str] | None = None) -> dict[str, tuple[bytes, int]]:
    """A clone of *repo*'s HEAD with its uncommitted mkdocs.yml and overrides, built with no cache."""
    tmp.mkdir(parents=True, exist_ok=True)
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True, env=git_env())
    for name in ("mkdocs.yml", "overrides"):  # outside docs/: a site's settings need no commit
        src = repo.path / name
        if src.is_dir():
            shutil.rmtree(clone / name, ignore_errors=True)
            shutil.copytree(src, clone / name)
        elif src.exists():
            shutil.copy2(src, clone / name)
    assert not (clone / STORE).exists()
    assert build(GitRepo(clone), tmp / "fresh-site", env) == {}  # nothing to keep: every archive is rendered
    return files(tmp / "fresh-site")


def assert_same(got: dict[str, tuple[bytes, int]], want: dict[str, tuple[bytes, int]]) -> None:
    assert sorted(got) == sorted(want)
    bytes_differ = [k for k in want if got[k][0] != want[k][0]]
    assert not bytes_differ, bytes_differ[:10]
    mtimes_differ = [k for k in want if got[k][1] != want[k][1]]
    assert not mtimes_differ, mtimes_differ[:10]


def records(repo: GitRepo) -> dict[str, dict]:
    """Each kept archive's record, by the site path of its history page."""
    out = {}
    for rec in (repo.path / STORE).glob("*/*/record.json"):
        data = json.loads(rec.read_text(encoding="utf-8"))
        out[data["paths"][0]] = {"record": rec, **data}
    return out


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    repo = new_site(tmp_path)
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    repo.commit("Name the company", date="2020-01-15T09:00:00+08:00")
    return repo


def test_a_new_commit_renders_only_its_policy_and_the_site_equals_a_fresh_build(repo: GitRepo, tmp_path: Path) -> None:
    first = tmp_path / "site-1"
    assert build(repo, first) == {}  # empty cache: everything rendered, then kept
    kept = records(repo)
    assert {"en/privacy/history/index.html", "zh-Hans/privacy/history/index.html", "privacy/history/index.html"} <= set(kept)
    first_files = files(first)

    edit(repo, EN, "1MiX.org, a company, is the publisher", "1MiX.org, a company in Taipei, is the publisher")
    repo.commit("Say where", date="2021-03-01T09:00:00+08:00")
    second = tmp_path / "site-2"
    assert build(repo, second) == {"zh-Hant": 1, "zh-Hans": 1}  # English changed: its archive is rendered again
    after = records(repo)
    for lang in ("privacy", "zh-Hans/privacy"):  # the kept ones are the very records of the first build
        rel = f"{lang}/history/index.html"
        assert after[rel]["key"] == kept[rel]["key"]
    en = "en/privacy/history/index.html"
    assert after[en]["key"] != kept[en]["key"]
    assert "en/privacy/versions/3/index.html" in after[en]["paths"]
    assert 'href="../versions/3/"' in (second / en).read_text(encoding="utf-8")

    # A restored file is the site's own copy: building the second site changed nothing of the first.
    assert files(first) == first_files
    restored = second / "zh-Hans/privacy/versions/1/index.html"
    assert restored.stat().st_nlink == 1  # a copy: the deploy step set its mtime on this site's file only
    assert (first / "zh-Hans/privacy/versions/1/index.html").stat().st_nlink == 2  # kept as a link to the first

    assert_same(files(second), fresh_build(repo, tmp_path))


def test_a_kept_file_written_in_place_is_not_used(repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site-1"
    build(repo, site)
    page = site / "zh-Hans/privacy/versions/1/index.html"
    with open(page, "r+b") as fh:  # an in-place edit of the site's file reaches the store's hard link of it
        fh.seek(0, os.SEEK_END)
        fh.write(b"<!-- tampered -->")
    again = tmp_path / "site-2"
    assert build(repo, again) == {"zh-Hant": 1, "en": 1}  # that archive is rendered again, the others kept
    assert b"tampered" not in (again / "zh-Hans/privacy/versions/1/index.html").read_bytes()
    assert_same(files(again), fresh_build(repo, tmp_path))


def test_a_damaged_or_foreign_record_is_ignored(repo: GitRepo, tmp_path: Path) -> None:
    build(repo, tmp_path / "site-1")
    kept = records(repo)
    kept["en/privacy/history/index.html"]["record"].write_text("{not json", encoding="utf-8")
    foreign = kept["zh-Hans/privacy/history/index.html"]
    data = {k: v for k, v in foreign.items() if k != "record"}
    data["paths"] = ["../../../../etc/hostname", *data["paths"][1:]]  # a path out of the site is never followed
    foreign["record"].write_text(json.dumps(data), encoding="utf-8")
    site = tmp_path / "site-2"
    assert build(repo, site) == {"zh-Hant": 1}
    assert not (site.parent / "etc").exists()
    assert_same(files(site), fresh_build(repo, tmp_path))


def test_a_template_change_renders_every_archive_again(repo: GitRepo, tmp_path: Path) -> None:
    build(repo, tmp_path / "site-1")
    partial = repo.path / "overrides" / "partials" / "policy-version-body.html"
    partial.parent.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).resolve().parents[1] / "hooks/policykit/mkdocs/theme/partials/policy-version-body.html"
    partial.write_text(source.read_text(encoding="utf-8") + "\n<!-- site override marker -->\n", encoding="utf-8")
    site = tmp_path / "site-2"
    assert build(repo, site) == {}  # the site's override is in every version page: nothing kept
    assert "site override marker" in (site / "en/privacy/versions/1/index.html").read_text(encoding="utf-8")
    assert_same(files(site), fresh_build(repo, tmp_path))


def test_a_setting_only_the_page_shell_shows_renders_every_archive_again(repo: GitRepo, tmp_path: Path) -> None:
    """The keys hold the digest of each shared shell, not each policy's copy of it: a footer change reaches them."""
    build(repo, tmp_path / "site-1")
    config = repo.path / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "copyright: Footer marker 2031\n", encoding="utf-8")
    site = tmp_path / "site-2"
    assert build(repo, site) == {}  # Material's footer is in every archive page's shell: nothing kept
    assert "Footer marker 2031" in (site / "zh-Hans/privacy/versions/1/index.html").read_text(encoding="utf-8")
    assert_same(files(site), fresh_build(repo, tmp_path))


def test_effective_date_arriving_renders_that_archive_again(repo: GitRepo, tmp_path: Path) -> None:
    """The clock is not part of the key; what it changes on the pages (the in-force labels) is."""
    set_front_matter(repo, HANS, "effective", "2030-01-01")
    edit(repo, HANS, "1MiX", "1MiX 公司")  # a visible change, so the commit is a new version
    repo.commit("A version in force from 2030", date="2021-05-01T09:00:00+08:00")
    build(repo, tmp_path / "site-1", {"SOURCE_DATE_EPOCH": BEFORE_2030})
    same_clock_moved = build(repo, tmp_path / "site-2", {"SOURCE_DATE_EPOCH": str(int(BEFORE_2030) - 86400 * 30)})
    assert same_clock_moved == {"zh-Hant": 1, "zh-Hans": 1, "en": 1}  # nothing arrived between: all kept
    site = tmp_path / "site-3"
    assert build(repo, site, {"SOURCE_DATE_EPOCH": AFTER_2030}) == {"zh-Hant": 1, "en": 1}  # 2030 arrived for zh-Hans
    assert_same(files(site), fresh_build(repo, tmp_path, {"SOURCE_DATE_EPOCH": AFTER_2030}))


def test_a_deleted_policy_leaves_no_kept_archive(repo: GitRepo, tmp_path: Path) -> None:
    build(repo, tmp_path / "site-1")
    assert len(records(repo)) == 3
    other = repo.path / STORE / "en" / "0123456789abcdef0123456789abcdef"
    other.mkdir()
    (other / "record.json").write_text("{}", encoding="utf-8")  # a policy that is not in this build
    build(repo, tmp_path / "site-2")
    assert not other.exists()
    assert len(records(repo)) == 3


def test_with_the_previous_manifest_kept_files_are_links_and_the_old_site_is_untouched(repo: GitRepo, tmp_path: Path) -> None:
    """``publish``: the previous release stays served while the next builds; a kept file costs no copy."""
    first = tmp_path / "site-1"
    build(repo, first)
    first_files = files(first)
    edit(repo, EN, "1MiX.org, a company, is the publisher", "1MiX.org, a company in Taipei, is the publisher")
    repo.commit("Say where", date="2021-03-01T09:00:00+08:00")
    previous = tmp_path / "previous-manifest.json"
    shutil.copy2(first / "manifest.json", previous)
    env = {"POLICY_SITE_PREVIOUS_MANIFEST": str(previous)}
    second = tmp_path / "site-2"
    assert build(repo, second, env) == {"zh-Hant": 1, "zh-Hans": 1}
    page = "zh-Hans/privacy/versions/1/index.html"
    assert os.path.samefile(second / page, first / page)  # unchanged bytes keep their mtime: no copy needed
    assert files(first) == first_files  # the first site's bytes and mtimes, as they were
    changed = "en/privacy/index.html"
    assert (second / changed).stat().st_mtime_ns > first_files[changed][1]  # a changed file moves on
    assert_same(files(second), fresh_build(repo, tmp_path, env))


def test_the_deploy_step_does_not_read_kept_files_and_still_checks_their_scripts(repo: GitRepo, tmp_path: Path) -> None:
    """The scan of the build that kept an archive stands for its files; the CSP check still sees their scripts."""
    if "custom_dir: overrides" not in repo.read("mkdocs.yml"):
        repo.write("mkdocs.yml", repo.read("mkdocs.yml").replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1))
    repo.write("overrides/main.html", '{% extends "policy-main.html" %}\n'
                                      "{% block extrahead %}\n  {{ super() }}<script>window.__stray=1</script>\n{% endblock %}\n")
    stray = re.compile(r"\.\.\. and (\d+) more inline scripts the Content-Security-Policy blocks")

    def blocked(log: str) -> int:
        more = stray.search(log)
        return len(re.findall(r"an inline script outside the page content is not one", log)) + (int(more.group(1)) if more else 0)

    first = mkdocs_build(repo.path, "-d", str(tmp_path / "site-1"))
    assert first.returncode == 0, first.stdout[-3000:]
    edit(repo, EN, "1MiX.org, a company, is the publisher", "1MiX.org, a company in Taipei, is the publisher")
    repo.commit("Say where", date="2021-03-01T09:00:00+08:00")
    out = tmp_path / "capture"
    capture = Path(__file__).with_name("finalize_capture.py")
    # With the previous manifest an unchanged file keeps its mtime, so a kept one is not even copied (without
    # it, every file gets the new build clock, and a kept file a copy of its own first: one read).
    env = {"NO_MKDOCS_2_WARNING": "1", "POLICY_SITE_PREVIOUS_MANIFEST": str(tmp_path / "site-1" / "manifest.json")}
    second = subprocess.run([sys.executable, str(capture), str(out), "-d", str(tmp_path / "site-2")], cwd=repo.path,
                            env=git_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", timeout=300)
    assert second.returncode == 0, second.stdout[-3000:]
    assert {m.group(1) for m in KEPT.finditer(second.stdout)} == {"zh-Hant", "zh-Hans"}
    reads: dict[str, int] = json.loads((out / "reads.json").read_text(encoding="utf-8"))
    kept = [p for p in files(tmp_path / "site-2") if p.startswith(("zh-Hans/privacy/versions/", "zh-Hans/privacy/history/"))]
    assert len(kept) == 3 and not [p for p in kept if p in reads]  # never opened
    assert reads.get("en/privacy/versions/3/index.html") == 1  # a new page: read once
    with_stray = [p for p, (data, _) in files(tmp_path / "site-2").items() if b"<script>window.__stray=1</script>" in data]
    assert any(p.startswith("zh-Hans/privacy/versions/") for p in with_stray)
    assert blocked(second.stdout) == len(with_stray) > 10  # every page's stray script, kept pages' too, is reported


def test_a_dirty_build_never_writes_into_a_file_another_site_holds(repo: GitRepo, tmp_path: Path) -> None:
    """``--dirty`` keeps the site folder, whose kept files are links; an archive rendered again gets new files."""
    first, second = tmp_path / "site-1", tmp_path / "site-2"
    build(repo, first)
    previous = tmp_path / "previous-manifest.json"
    shutil.copy2(first / "manifest.json", previous)
    env = {"POLICY_SITE_PREVIOUS_MANIFEST": str(previous)}
    assert build(repo, second, env) == {"zh-Hant": 1, "zh-Hans": 1, "en": 1}
    page = "en/privacy/versions/2/index.html"
    assert os.path.samefile(first / page, second / page)
    first_files = files(first)
    edit(repo, EN, "1MiX.org, a company, is the publisher", "1MiX.org, a company in Taipei, is the publisher")
    repo.commit("Say where", date="2021-03-01T09:00:00+08:00")
    result = mkdocs_build(repo.path, "--dirty", "-d", str(second), env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "a company in Taipei" in (second / "en/privacy/versions/3/index.html").read_text(encoding="utf-8")
    assert not os.path.samefile(first / page, second / page)  # version 2 links version 3 now: written anew
    assert files(first) == first_files  # and the first site's file is as it was


def test_builds_into_the_same_folder_set_kept_files_mtimes_in_place(repo: GitRepo, tmp_path: Path) -> None:
    """MkDocs empties the folder first, so a kept file is held by the store and this site only: no copy."""
    site = tmp_path / "site"
    build(repo, site)
    for n, text in enumerate(("a company in Taipei", "a company in Taipei City")):
        edit(repo, EN, repo.read(EN).split("1MiX.org, ", 1)[1].split(", is the publisher", 1)[0], text)
        repo.commit(f"Say where {n}", date=f"202{1 + n}-03-01T09:00:00+08:00")
        assert build(repo, site) == {"zh-Hant": 1, "zh-Hans": 1}  # the store's notes of the mtimes held
        page = site / "zh-Hans/privacy/versions/1/index.html"
        assert page.stat().st_nlink == 2  # this site's and the store's: its new mtime was set in place
        want = fresh_build(repo, tmp_path / f"fresh-{n}")
        assert_same(files(site), want)


STASH = ".policy-site-previous"  # archive_store.STASH


def test_a_build_into_the_same_folder_moves_kept_archives_back_whole(repo: GitRepo, tmp_path: Path) -> None:
    """The kept archives' folders are the very folders of the build before (one rename each, no file linked
    again); the archive rendered again is new; nothing of the old site is left over or listed."""
    site = tmp_path / "site"
    build(repo, site)
    folders = ("zh-Hans/privacy/versions", "zh-Hans/privacy/history", "privacy/versions", "en/privacy/versions")
    before = {f: (site / f).stat().st_ino for f in folders}
    edit(repo, EN, "1MiX.org, a company, is the publisher", "1MiX.org, a company in Taipei, is the publisher")
    repo.commit("Say where", date="2021-03-01T09:00:00+08:00")
    assert build(repo, site) == {"zh-Hant": 1, "zh-Hans": 1}
    after = {f: (site / f).stat().st_ino for f in folders}
    assert {f: before[f] == after[f] for f in folders} == {
        "zh-Hans/privacy/versions": True, "zh-Hans/privacy/history": True, "privacy/versions": True,
        "en/privacy/versions": False,  # English changed: written anew
    }
    assert not (site / STASH).exists()
    assert not [p.name for p in (repo.path / STORE).iterdir() if p.name.startswith(".trash-")]  # removed, waited for
    listed = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert not [p for p in json.dumps(listed).split('"') if p.startswith(STASH)]
    assert_same(files(site), fresh_build(repo, tmp_path))


@pytest.mark.parametrize("change", ["stray file", "file replaced by a copy", "folder replaced by a link"])
def test_an_old_folder_that_is_not_exactly_the_kept_archive_is_not_moved(repo: GitRepo, tmp_path: Path,
                                                                         change: str) -> None:
    """Whatever else is in the old site's archive folder, the new site has the kept files and nothing more."""
    site = tmp_path / "site"
    build(repo, site)
    versions = site / "zh-Hans/privacy/versions"
    if change == "stray file":
        (versions / "9").mkdir()
        (versions / "9/index.html").write_text("<p>not a version</p>", encoding="utf-8")
    elif change == "file replaced by a copy":  # the same bytes and mtime, but not the file the store keeps
        page = versions / "1/index.html"
        copy = tmp_path / "copy.html"
        shutil.copy2(page, copy)
        os.replace(copy, page)
    else:
        elsewhere = tmp_path / "elsewhere"
        shutil.copytree(versions, elsewhere, copy_function=os.link)
        shutil.rmtree(versions)
        versions.symlink_to(elsewhere, target_is_directory=True)
    before = versions.stat().st_ino
    assert build(repo, site) == {"zh-Hant": 1, "zh-Hans": 1, "en": 1}  # nothing changed: every archive kept
    assert not versions.is_symlink() and versions.stat().st_ino != before  # made again, its files linked
    assert (site / "privacy/versions").is_dir() and not (site / STASH).exists()
    assert_same(files(site), fresh_build(repo, tmp_path))


def test_a_stash_left_by_a_killed_build_is_removed_not_published(repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(repo, site)
    (site / STASH / "en/privacy").mkdir(parents=True)
    (site / STASH / "en/privacy/index.html").write_text("<p>left by a killed build</p>", encoding="utf-8")
    trash = repo.path / STORE / ".trash-1"  # the same, once moved out of the site, before rm removed it
    (trash / "en").mkdir(parents=True)
    (trash / "en/index.html").write_text("<p>left by a killed build</p>", encoding="utf-8")
    assert build(repo, site) == {"zh-Hant": 1, "zh-Hans": 1, "en": 1}
    assert not (site / STASH).exists()
    assert not [p.name for p in (repo.path / STORE).iterdir() if p.name.startswith(".trash-")]
    assert_same(files(site), fresh_build(repo, tmp_path))


def test_a_record_digest_is_64_lowercase_hex_digits_or_the_record_is_not_used() -> None:
    from policykit.mkdocs.archive_store import _sha

    assert _sha("0123456789abcdef" * 4) == "0123456789abcdef" * 4
    for bad in ("0" * 63, "0" * 65, "A" * 64, "0" * 64 + "\n", "٠" * 64, "g" * 64, 64, None):
        with pytest.raises(ValueError):
            _sha(bad)
