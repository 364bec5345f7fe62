"""MkDocs hook (after mkdocs_validate): no page may take Python-Markdown longer than ``render_timeout``.

MkDocs renders the live pages in its own process, where nothing can stop a
render stuck in Python-Markdown (it is quadratic on some input, e.g. 900 KB
of ``[``, and a signal cannot interrupt a regular expression running in C).
So before MkDocs renders anything, every Markdown page is rendered once with
the site's own extensions in forked worker processes (policykit.render_pool,
one per core), each page killed after ``extra.policy_site.render_timeout``
seconds; a page over the limit stops the build with an error naming it.
A page whose exact bytes rendered in under half the limit before, with the
same extensions, settings, package versions and code, is not rendered again
(the render cache remembers it), so an unchanged site pays nothing.
Past versions get the same bound where they are rendered (mkdocs_archive).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from policykit.mkdocs import common
from policykit.pages import render_pool
from policykit.pages.markdown_render import MarkdownRenderer
from policykit.pages.render_cache import RenderCache
from policykit.pages.version_pages import RENDER_VERSION, code_fingerprint_of_renderer

log = logging.getLogger("mkdocs.hooks.render_limit")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if not common.is_first_language_build(config) or not render_pool.available():
        return files  # mkdocs-static-i18n builds each language again with the same files
    docs = os.path.abspath(config.docs_dir)
    pages = sorted(
        f.abs_src_path
        for f in files.documentation_pages()
        if f.abs_src_path and os.path.abspath(f.abs_src_path).startswith(docs + os.sep)
    )
    if not pages:
        return files
    timeout = common.settings(config).render_timeout
    renderer = MarkdownRenderer(config.markdown_extensions, config.mdx_configs)
    cache = RenderCache(os.path.join(common.cache_dir(config), "render"), "live-checked")
    started = time.perf_counter()
    keys: dict[int, str] = {}
    todo: list[int] = []
    for i, path in enumerate(pages):
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        if renderer.fingerprint is not None:
            keys[i] = f"{RENDER_VERSION}|{code_fingerprint_of_renderer()}|{renderer.fingerprint}|{digest}"
            seconds = cache.get(keys[i])
            if isinstance(seconds, (int, float)) and seconds < timeout / 2:
                continue  # these bytes rendered well within the limit before
        todo.append(i)

    def work(index: int, mark: render_pool.Mark) -> float:
        with open(pages[todo[index]], "rb") as fh:
            data = fh.read()
        began = time.perf_counter()
        try:
            render_pool.marked(mark)(os.path.relpath(pages[todo[index]]), lambda: renderer.render(data))
        except Exception:  # noqa: BLE001 - not this check's business: MkDocs' own render reports it
            return timeout  # never remembered as fast
        return time.perf_counter() - began

    try:
        for index, seconds in render_pool.run_tasks(len(todo), work, workers=os.cpu_count() or 1, timeout=timeout):
            if todo[index] in keys:
                cache.put(keys[todo[index]], seconds)
    except render_pool.RenderTimeout as exc:
        raise PluginError(render_pool.timeout_message(exc, past_version=False)) from None
    except render_pool.WorkerDied as exc:
        raise PluginError(str(exc)) from None
    log.debug("Rendered %d of %d pages within the %g s limit in %.2f s", len(todo), len(pages), timeout, time.perf_counter() - started)
    return files
