"""A synthetic built policy site (file names and inline scripts like MkDocs + Material + i18n) and its registry."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from policykit.deploy.published import FEED, HISTORY, INDEX, PAGE, POLICY, VERSION, PublishedPage, PublishedPages

LOCALES = {"zh-Hant": "", "zh-Hans": "zh-Hans/", "en": "en/"}
POLICY_INSTANT = datetime(2024, 5, 1, 8, 30, 15, tzinfo=timezone.utc)
SOURCE_DATE = datetime(2024, 6, 2, 12, 0, 0, tzinfo=timezone.utc)
CSS_HASH = "6f8fc17f"
JS_HASH = "f1ef2b4a"
CJK_PAGE = "隱私 政策/index.html"
ODD_PAGES = ("docs/it's \"odd\" $;{x}.html", "docs/50% q?.html")
OWN_ASSETS = ("assets/policy.css", "assets/policy.js")

SCOPE_SCRIPT = ('__md_scope=new URL("{base}",location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),'
                '__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e))')
PALETTE_SCRIPT = 'var palette=__md_get("__palette");if(palette&&palette.color){document.body.setAttribute("data-md-color-scheme","slate")}'


def _rel(path: str) -> str:
    depth = path.count("/")
    return "../" * depth


def page(path: str, locale: str, body: str, css_hash: str = CSS_HASH) -> str:
    rel = _rel(path)
    base = rel.rstrip("/") or "."
    return (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">\n'
        f'<link rel="stylesheet" href="{rel}assets/stylesheets/main.{css_hash}.min.css">\n'
        f'<link rel="stylesheet" href="{rel}assets/policy.css?v=1">\n'
        f"<script>{SCOPE_SCRIPT.format(base=base)}</script>\n"
        f"</head><body><script>{PALETTE_SCRIPT}</script>\n<article>{body}</article>\n"
        f'<script id="__config" type="application/json">{{"base": "{base}"}}</script>\n'
        f'<script src="{rel}assets/javascripts/bundle.{JS_HASH}.min.js"></script>\n'
        f'<script src="/assets/policy.js"></script>\n</body></html>\n'
    )


def build_site(
    root: Path,
    *,
    versions: int = 2,
    en_privacy_text: str = "We protect your data.",
    en_instant: datetime = POLICY_INSTANT,
    css_hash: str = CSS_HASH,
    extra_pages: tuple[str, ...] = ("docs/old.html",),
    hashed_assets: int = 0,
) -> PublishedPages:
    """Write a synthetic site into ``root`` and return its registry."""
    reg = PublishedPages()

    def write(path: str, data: str | bytes) -> None:
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def html(path: str, locale: str, body: str, kind: str | None = None, policy: str | None = None,
             last_modified: datetime | None = None) -> None:
        write(path, page(path, locale, body, css_hash))
        if kind is not None:
            reg.add(PublishedPage(path, kind, locale, policy, last_modified))

    for locale, p in LOCALES.items():
        text = en_privacy_text if locale == "en" else f"privacy text {locale}"
        instant = en_instant if locale == "en" else POLICY_INSTANT
        html(f"{p}index.html", locale, f"policy centre {locale}", INDEX)
        html(f"{p}privacy/index.html", locale, text, POLICY, "privacy", instant)
        html(f"{p}privacy/history/index.html", locale, f"history {locale} {versions}", HISTORY, "privacy")
        for n in range(1, versions + 1):
            html(f"{p}privacy/versions/{n}/index.html", locale, f"version {n} {locale}", VERSION, "privacy",
                 datetime(2023, n % 12 + 1, 1, tzinfo=timezone.utc))
        write(f"{p}privacy/feed.xml", f"<feed>{locale} {text}</feed>")
        reg.add(PublishedPage(f"{p}privacy/feed.xml", FEED, locale, "privacy"))
        write(f"{p}feed.xml", f"<feed>{locale}</feed>")
        reg.add(PublishedPage(f"{p}feed.xml", FEED, locale))
    html("404.html", "zh-Hant", "not found")
    html(CJK_PAGE, "zh-Hant", "CJK page", PAGE, "terms")
    for odd in ODD_PAGES:
        html(odd, "en", "odd name", PAGE, "odd")
    for extra in extra_pages:
        html(extra, "en", "extra page")
    write("search/search_index.json", '{"docs": []}')
    write("sitemap.xml", "<urlset/>")
    write("sitemap.xml.gz", b"\x1f\x8b\x08\x00fake")
    write(f"assets/stylesheets/main.{css_hash}.min.css", f"body{{color:#{css_hash[:6]}}}")
    write(f"assets/stylesheets/main.{css_hash}.min.css.map", "{}")
    write("assets/stylesheets/palette.06af60db.min.css", ".p{}")
    write(f"assets/javascripts/bundle.{JS_HASH}.min.js", "console.log(1)")
    write("assets/javascripts/workers/search.f8cc74c7.min.js", "self.onmessage=()=>{}")
    write("assets/javascripts/lunr/min/lunr.zh.min.js", "/* lunr zh */")
    write("assets/javascripts/lunr/min/lunr.stemmer.support.min.js", "/* stemmer */")
    write("assets/javascripts/lunr/tinyseg.js", "/* tinyseg */")
    write("assets/images/favicon.png", b"\x89PNG fake")
    write("assets/fonts/inter.woff2", b"wOF2 fake")
    write("assets/policy.css", "article{max-width:40em}")
    write("assets/policy.js", "console.log('policy')")
    write("downloads/terms.pdf", b"%PDF-1.4 fake")
    for i in range(hashed_assets):
        write(f"assets/extra/chunk{i}.{i:08x}.min.js", f"/* {i} */")
    return reg
