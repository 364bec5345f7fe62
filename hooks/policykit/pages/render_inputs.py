"""Everything a rendered fragment depends on, as one stable digest (the render cache's key).

A cached fragment is only reused when every input of its output is the same:
the Markdown extensions *and the values of their settings*, the installed
versions of the packages that render it, and this project's own rendering
code.  Values are written out deterministically (callables by qualified name
and a digest of their module's source); a value that has no stable form makes
the renderer uncacheable rather than risk a wrong hit (``Unstable``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import fractions
import functools
import hashlib
import importlib.util
import importlib.metadata as metadata
import inspect
import pathlib
import platform
import re
import sys
import types
from typing import Any, Iterable, Mapping, Sequence

#: Distributions whose version always goes into the key: the renderer, its usual extensions,
#: the theme (which ships extensions of its own) and MkDocs (which prepares their settings).
BASE_DISTRIBUTIONS = ("Markdown", "pymdown-extensions", "mkdocs-material", "mkdocs")


class Unstable(ValueError):
    """A setting's value has no representation that is the same in every build (the message says which)."""


def _module_digest(module_name: str | None) -> str:
    """SHA-256 (short) of a module's source file, so editing a local function changes the key."""
    module = sys.modules.get(module_name or "")
    try:
        path = inspect.getsourcefile(module) if module is not None else None
    except TypeError:  # a built-in module
        path = None
    if not path:
        return "-"
    try:
        return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "-"


def _qualified(obj: Any, where: str) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:  # a lambda or a function defined inside another
        raise Unstable(f"{where}: {obj!r} is a lambda or a local function; name a module-level function instead")
    return f"{module}.{qualname}@{_module_digest(module)}"


def stable_repr(value: Any, where: str = "value") -> str:
    """A text that is equal for equal values in every build; raises Unstable when there is none."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, enum.Enum):
        return f"enum:{_qualified(type(value), where)}.{value.name}"
    if isinstance(value, (list, tuple)):
        inner = ",".join(stable_repr(v, f"{where}[{i}]") for i, v in enumerate(value))
        return f"{type(value).__name__}[{inner}]"
    if isinstance(value, (set, frozenset)):
        return "set[" + ",".join(sorted(stable_repr(v, where) for v in value)) + "]"
    if isinstance(value, Mapping):
        items = sorted((stable_repr(k, where), stable_repr(v, f"{where}.{k}")) for k, v in value.items())
        return "dict{" + ",".join(f"{k}={v}" for k, v in items) + "}"
    if isinstance(value, functools.partial):
        return (
            f"partial({stable_repr(value.func, where)},{stable_repr(value.args, where)},"
            f"{stable_repr(value.keywords, where)})"
        )
    if isinstance(value, re.Pattern):
        return f"re:{value.pattern!r}/{value.flags}"
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta, decimal.Decimal, fractions.Fraction, pathlib.PurePath)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, types.MethodType):
        return f"method({stable_repr(value.__self__, where)}.{value.__func__.__name__})"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return f"callable:{_qualified(value, where)}"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}@{_module_digest(value.__name__)}"
    get_configs = getattr(value, "getConfigs", None)  # a Python-Markdown Extension instance
    if callable(get_configs):
        return f"extension:{_qualified(type(value), where)}{stable_repr(get_configs(), where)}"
    raise Unstable(f"{where}: a {type(value).__name__} ({value!r}) has no stable representation")


def _extension_module(ext: Any) -> str:
    name = ext if isinstance(ext, str) else type(ext).__module__
    return name.split(":", 1)[0].split(".", 1)[0]


@functools.cache
def _package_map() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


def installed_versions(extensions: Iterable[Any] = ()) -> dict[str, str]:
    """Versions of the rendering packages and of every package an extension comes from."""
    names = set(BASE_DISTRIBUTIONS)
    for ext in extensions:
        names.update(_package_map().get(_extension_module(ext), []))
    out = {}
    for name in sorted(names, key=str.lower):
        try:
            out[name.lower()] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name.lower()] = "absent"
    out["python"] = platform.python_version()
    return out


def renderer_fingerprint(
    extensions: Sequence[Any], configs: Mapping[str, Any] | None, versions: Mapping[str, str]
) -> str:
    """Digest of the extension list, every setting's value and the package versions; raises Unstable."""
    exts = [stable_repr(e, f"markdown_extensions[{i}]") for i, e in enumerate(extensions)]
    conf = stable_repr(dict(configs or {}), "markdown_extensions")
    text = "\n".join(["extensions", *exts, "configs", conf, "versions", stable_repr(dict(versions))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def module_files(*modules: str) -> list[pathlib.Path]:
    """The source files of *modules* (dotted names); a module that cannot be found is an error, never skipped."""
    paths = []
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ImportError(f"cannot find the source of {name} to fingerprint it")
        paths.append(pathlib.Path(spec.origin))
    return paths


def code_fingerprint(files: Iterable[pathlib.Path]) -> str:
    """Digest of source files (this project's rendering code); every file must be readable."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode("utf-8") + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
