"""Dates as people write them (policykit.writtendate), self-stated dates, foreign keys and policy_exclude."""

from __future__ import annotations

from datetime import date

import pytest
from policykit.pages import archive
from policykit.source import schema as schema
from policykit.pages.catalog import policy_ref
from policykit.pages.effective import EffectiveDateError, effective_of_source, parse_effective
from policykit.source.foreign_front_matter import KeyUse, report
from policykit.settings import SettingsError, parse_settings
from policykit.source.stated_dates import EFFECTIVE, MODIFIED, disagreements, stated_dates
from policykit.source.writtendate import WrittenDateError, parse_written_date

OCT29 = date(2025, 10, 29)


@pytest.mark.parametrize("text", [
    "2025-10-29", "29 October 2025", "October 29, 2025", "2025年10月29日", "2025 年 10 月 29 日",
    "Oct 29, 2025", "29 Oct 2025", "2025/10/29", "2025.10.29", "Oct. 29 2025", "29th October 2025",
    "October 29th, 2025", "２０２５年１０月２９日", "2025년 10월 29일", "  29  October  2025 ",
])
def test_dates_as_people_write_them(text: str) -> None:
    assert parse_written_date(text) == OCT29
    assert parse_effective(text) == OCT29
    assert effective_of_source(f"---\neffective: {text}\n---\n# x\n".encode()) == OCT29


@pytest.mark.parametrize("text, why", [
    ("10/11/2025", "ambiguous"), ("29/10/2025", "ambiguous"), ("10-11-2025", "ambiguous"), ("29.10.25", "ambiguous"),
    ("30 February 2025", "not a real date"), ("2025-02-30", "not a real date"), ("2025年2月30日", "not a real date"),
    ("Octember 29, 2025", "not a date this tool reads"), ("29 October 25", "not a date this tool reads"),
    ("next Tuesday", "not a date this tool reads"), ("2025-10-29T10:00", "not a date this tool reads"),
])
def test_ambiguous_or_impossible_dates_are_refused_not_guessed(text: str, why: str) -> None:
    with pytest.raises(WrittenDateError, match=why):
        parse_written_date(text)
    with pytest.raises(EffectiveDateError, match="effective"):
        parse_effective(text)


def test_an_unreadable_effective_date_names_file_line_and_value() -> None:
    raw = b"---\ntitle: Terms\neffective: 10/11/2025\n---\n# Terms\n"
    with pytest.raises(schema.FrontMatterSchemaError) as err:
        schema.check_source(raw, "docs/Acme Cloud/Terms.md")
    msg = str(err.value)
    assert msg.startswith("docs/Acme Cloud/Terms.md: line 3: front matter key 'effective': expected a date: '10/11/2025' is ambiguous")
    assert "write the year first or the month in words" in msg
    schema.check_source(b"---\neffective: 29 October 2025\n---\n# T\n", "x.md")  # accepted


def test_past_versions_read_effective_with_the_same_parser() -> None:
    assert archive._as_date("29 October 2025") == OCT29
    assert archive._as_date("2025年10月29日") == OCT29
    assert archive._as_date("10/11/2025") is None  # a past version's unreadable date: starts at publication


@pytest.mark.parametrize("text, kind, day, line", [
    ("Effective: 29 October 2025\n\n# Terms\n", EFFECTIVE, OCT29, 1),
    ("Published: **30 July 2025**\n", MODIFIED, date(2025, 7, 30), 1),
    ("# Privacy\n\n*Last updated: 27 June 2023*\n", MODIFIED, date(2023, 6, 27), 3),
    ("# 隱私權政策\n\n最後更新：2023年6月27日\n", MODIFIED, date(2023, 6, 27), 3),
    ("Last updated: June 27, 2023\n", MODIFIED, date(2023, 6, 27), 1),
    ("> Effective as of October 29, 2025.\n", EFFECTIVE, OCT29, 1),
])
def test_stated_dates_are_found_in_the_first_lines(text: str, kind: str, day: date, line: int) -> None:
    [found] = stated_dates(text)
    assert (found.kind, found.date, found.line) == (kind, day, line)


def test_policy_text_that_only_looks_like_a_date_line_is_left_alone() -> None:
    assert stated_dates("IMPORTANT: If you reside in India, read this.\n") == []
    assert stated_dates("Updated: 10/11/2025\n") == []  # ambiguous in the text: not input, not guessed
    assert stated_dates("# T\n" + "text\n" * 20 + "Last updated: June 27, 2023\n") == []  # not in the first lines
    [s] = stated_dates("Last updated: June 27, 2023\n", first_line=5)
    assert s.line == 5 and s.written == "Last updated: June 27, 2023"
    assert disagreements([s], modified=date(2023, 6, 27), in_force_from=date(2023, 6, 27)) == []
    [d] = disagreements([s], modified=date(2024, 1, 15), in_force_from=date(2024, 1, 15))
    assert d.recorded == date(2024, 1, 15)


def test_unknown_keys_pass_in_info_mode_but_build_keys_never() -> None:
    raw = b"---\ntitle: T\nversions:\n  fpt: '*'\npermalink: /t/\n---\n# T\n"
    with pytest.raises(schema.FrontMatterSchemaError, match="unknown front matter key 'versions'"):
        schema.check_source(raw, "t.md")
    fm = schema.check_source(raw, "t.md", unknown="info")
    assert schema.unknown_keys(fm) == ["versions", "permalink"]
    with pytest.raises(schema.FrontMatterSchemaError, match="set by the build"):
        schema.check_source(b"---\npolicy_stamp: x\n---\n# T\n", "t.md", unknown="info")
    with pytest.raises(schema.FrontMatterSchemaError, match="expected a list"):  # known keys keep their checks
        schema.check_source(b"---\nhide: toc\nlayout: x\n---\n# T\n", "t.md", unknown="info")


def test_report_lists_each_key_once_with_its_files_and_differing_urls() -> None:
    lines = report({
        "topics": [KeyUse("b.md", ["x"], "/b/"), KeyUse("a.md", ["y"], "/a/")],
        "permalink": [KeyUse("a.md", "/privacy/", "/legal/a/"), KeyUse("b.md", "/b/index.html", "/b/")],
        "redirect_from": [KeyUse("a.md", ["/old/", "/legal/a/"], "/legal/a/")],
    })
    assert lines == [
        ("Front matter key 'permalink' is not applied (URLs come from file paths) in 2 file(s); the URL differs "
         "for 1: a.md asks for /privacy/ but is published at /legal/a/; 1 already match. "
         "Move the file (git mv) to publish it at the URL you want."),
        ("Front matter key 'redirect_from' is not applied (this tool creates no redirects) in 1 file(s): "
         "/old/ -> /legal/a/ (a.md). Configure these redirects on the web server or CDN (e.g. Netlify "
         "_redirects) if old links must keep working."),
        "Front matter key 'topics' is not used by this tool; it is kept for the theme (page.meta) in 2 file(s): a.md, b.md.",
    ]


def test_unknown_front_matter_setting() -> None:
    assert parse_settings({}).unknown_front_matter == "info"
    assert parse_settings({"unknown_front_matter": "error"}).unknown_front_matter == "error"
    with pytest.raises(SettingsError, match="must be 'info' or 'error'"):
        parse_settings({"unknown_front_matter": "warn"})


def test_policy_exclude_names_and_path_globs() -> None:
    locales = ["en", "fr"]
    default = parse_settings({}).policy_exclude
    for path in ("README.md", "en/README.md", "Acme Cloud/README.md", "LICENSE.md", "en/index.md"):
        assert policy_ref(path, locales, "en", default) is None, path
    assert policy_ref("Acme Cloud/Terms of Service.md", locales, "en", default).policy_id == "Acme Cloud/Terms of Service"
    exclude = ("index.md", "*.draft.md", "internal/*", "fr/notes.md")
    assert policy_ref("en/terms.draft.md", locales, "en", exclude) is None
    assert policy_ref("en/internal/x/y.md", locales, "en", exclude) is None  # path from the language folder
    assert policy_ref("en/public/internal.md", locales, "en", exclude) is not None
    assert policy_ref("fr/notes.md", locales, "en", exclude) is not None  # paths are language-relative
    assert policy_ref("en/internal.md", locales, "en", exclude) is not None
