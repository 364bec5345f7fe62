"""Reader-facing words of the policy pages, per language.

Templates get these as ``policy_labels``; the markup stays in ``overrides/``.
A locale without its own table falls back to its language, then to English.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "last_modified": "Last modified",
        "version": "Version",
        "draft": "Draft — not yet published",
        "draft_note": "This page has uncommitted changes. It has no date until it is committed.",
        "history": "Version history",
        "policies": "Policies",
        "no_policies": "No policies yet.",
    },
    "zh-Hant": {
        "last_modified": "上次修改",
        "version": "版本",
        "draft": "草稿：尚未發布",
        "draft_note": "此頁有未提交的修改，提交前沒有日期。",
        "history": "版本歷史",
        "policies": "政策",
        "no_policies": "尚無政策。",
    },
    "zh-Hans": {
        "last_modified": "上次修改",
        "version": "版本",
        "draft": "草稿：尚未发布",
        "draft_note": "此页有未提交的修改，提交前没有日期。",
        "history": "版本历史",
        "policies": "政策",
        "no_policies": "尚无政策。",
    },
}


def labels_for(locale: str) -> dict[str, str]:
    """The label table for *locale* (``zh-Hant``, ``zh_TW``, ``en-GB`` …), English as the last resort."""
    norm = locale.replace("_", "-")
    if norm in LABELS:
        return LABELS[norm]
    if norm.lower() in ("zh-tw", "zh-hk", "zh-mo"):
        return LABELS["zh-Hant"]
    if norm.lower().startswith("zh"):
        return LABELS["zh-Hans"]
    return LABELS["en"]
