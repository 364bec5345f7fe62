"""MkDocs hook (after mkdocs_validate): no page may take Python-Markdown longer than ``render_timeout``.

MkDocs renders the live pages in its own process, where nothing can stop a
render stuck in Python-Markdown (it is quadratic on some input, e.g. 900 KB
of ``[``, and a signal cannot interrupt a regular expression running in C).
So before MkDocs renders anything, every Markdown page is rendered once with
the site's own extensions in forked worker processes (policykit.render_pool,
one per core), each page killed after ``extra.policy_site.render_timeout``
seconds; a page over the limit stops the build with an error naming it.
Past versions get the same bound where they are rendered (mkdocs_archive).
"""

from __future__ import annotations

import logging
import os
import time

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

import mkdocs_common as common
from policykit import render_pool
from policykit.markdown_render import MarkdownRenderer

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
    started = time.perf_counter()

    def work(index: int, mark: render_pool.Mark) -> None:
        with open(pages[index], "rb") as fh:
            data = fh.read()
        try:
            render_pool.marked(mark)(os.path.relpath(pages[index]), lambda: renderer.render(data))
        except Exception:  # noqa: BLE001 - not this check's business: MkDocs' own render reports it
            pass

    try:
        for _ in render_pool.run_tasks(len(pages), work, workers=os.cpu_count() or 1, timeout=timeout):
            pass
    except render_pool.RenderTimeout as exc:
        raise PluginError(render_pool.timeout_message(exc, past_version=False)) from None
    log.debug("Rendered %d pages within the %g s limit in %.2f s", len(pages), timeout, time.perf_counter() - started)
    return files
