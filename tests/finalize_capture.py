"""Run ``mkdocs build`` and record the plugin's call of ``finalize_site``: the site before it, its arguments, its reads.

    python tests/finalize_capture.py OUT_DIR [mkdocs build options]   (in the project folder)

Writes ``OUT_DIR/snapshot/`` (the site exactly as the plugin hands it to
``finalize_site``), ``OUT_DIR/call.pickle`` (the registry and keyword
arguments of the call) and ``OUT_DIR/reads.json`` (site-relative path -> how
many times ``finalize_site`` opened the file for reading).  Opens are counted
by wrapping ``open`` (``Path.read_bytes`` and ``hashlib`` reads go through it)
for the duration of the call only; nothing else is changed.  A helper of
tests/test_deploy_reads.py, run in a subprocess like every other test build.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    from mkdocs.__main__ import cli

    import policykit.mkdocs.deploy as plugin_deploy

    real = plugin_deploy.finalize_site

    def recording(site_dir: Any, registry: Any, **kwargs: Any) -> Any:
        site = Path(site_dir).resolve()
        shutil.copytree(site, out / "snapshot", symlinks=True)
        with open(out / "call.pickle", "wb") as fh:
            pickle.dump((registry, kwargs), fh)
        reads: Counter[str] = Counter()
        real_open, real_io_open = builtins.open, io.open
        prefix = str(site) + os.sep

        def counting(file: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
            if isinstance(file, (str, os.PathLike)) and ("r" in mode or "+" in mode):
                name = os.path.abspath(os.fspath(file))
                if name.startswith(prefix):
                    reads[name[len(prefix):].replace(os.sep, "/")] += 1
            return real_open(file, mode, *args, **kw)

        builtins.open = counting
        io.open = counting  # type: ignore[assignment]
        try:
            return real(site_dir, registry, **kwargs)
        finally:
            builtins.open, io.open = real_open, real_io_open  # type: ignore[assignment]
            (out / "reads.json").write_text(json.dumps(dict(sorted(reads.items())), indent=1), encoding="utf-8")

    plugin_deploy.finalize_site = recording  # type: ignore[assignment]
    cli(["build", *sys.argv[2:]], standalone_mode=False)


if __name__ == "__main__":
    main()
