"""Build docs/api.md, the API reference, from the public docstrings.

Usage (from the repository root)::

    python3 -m uv run python docs/gen_api.py          # rewrite docs/api.md
    python3 -m uv run python docs/gen_api.py --check  # exit 1 if docs/api.md is out of date

The reference covers the names exported by ``allocate`` and by the public modules listed in
``MODULES``: for each function its signature and docstring, for each class its docstring, its
fields (pydantic models and dataclasses, with their field docstrings) and its public methods and
properties.  The output is plain Markdown that renders on a code host; docstrings are kept as
written (numpydoc) in text blocks.  It depends only on the source, so it is the same on every
machine.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api.md"

#: Public modules documented after the top-level names, in this order (missing ones are skipped).
MODULES = [
    "allocate.scenarios",
    "allocate.display",
    "allocate.plots",
    "allocate.rules",
    "allocate.examples",
    "allocate.synthetic",
    "allocate.testing",
    "allocate.schema",
    "allocate.review",
    "allocate.cashflow",
    "allocate.service",
]


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _summary(obj: Any) -> str:
    doc = _doc(obj)
    return doc.split("\n\n", 1)[0].replace("\n", " ") if doc else ""


def _block(text: str) -> str:
    """The docstring: its first paragraph as prose, the rest verbatim in a text block."""
    if not text:
        return "*(no docstring)*\n"
    head, _, rest = text.partition("\n\n")
    out = head.replace("\n", " ") + "\n"
    if rest.strip():
        out += "\n```text\n" + rest.rstrip() + "\n```\n"
    return out


def _signature(obj: Any) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    text = str(sig)
    return text.replace("'", "")  # string annotations (from __future__ import annotations)


def _fields(cls: type) -> list[tuple[str, str]]:
    fields = getattr(cls, "model_fields", None)
    if isinstance(fields, dict):
        return [(name, (f.description or "").replace("\n", " ")) for name, f in fields.items()]
    if dataclasses.is_dataclass(cls):
        return [(f.name, "") for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    return []


def _members(cls: type) -> list[tuple[str, Any]]:
    out = []
    for name, value in vars(cls).items():
        if name.startswith(("_", "model_")):
            continue
        if isinstance(value, property | classmethod | staticmethod) or inspect.isfunction(value):
            out.append((name, value))
    return out


def _function(name: str, fn: Any, level: str) -> str:
    return f"{level} `{name}{_signature(fn)}`\n\n{_block(_doc(fn))}\n"


def _class(name: str, cls: type, level: str) -> str:
    bases = [b.__name__ for b in cls.__bases__ if b is not object]
    head = f"{level} class `{name}`" + (f" ({', '.join(bases)})" if bases else "")
    out = f"{head}\n\n{_block(_doc(cls))}\n"
    fields = _fields(cls)
    if fields:
        out += "| field | meaning |\n|---|---|\n"
        out += "".join(f"| `{f}` | {d.replace('|', '\\|')} |\n" for f, d in fields) + "\n"
    for member_name, member in _members(cls):
        target = member.fget if isinstance(member, property) else member
        if isinstance(member, classmethod | staticmethod):
            target = member.__func__
        if isinstance(member, property):
            out += f"- `{member_name}` (property): {_summary(target)}\n"
        else:
            out += f"- `{member_name}{_signature(target)}`: {_summary(target)}\n"
    return out + "\n"


def _entry(name: str, obj: Any, level: str = "###") -> str:
    if inspect.isclass(obj):
        return _class(name, obj, level)
    if callable(obj):
        return _function(name, obj, level)
    if isinstance(obj, dict):
        keys = ", ".join(f"`{k}`" for k in obj)
        return f"{level} `{name}`\n\nA dict with keys {keys}.\n\n"
    return f"{level} `{name}`\n\n`{obj!r}`\n\n"


def _module(modname: str, names: list[str] | None = None) -> str:
    module = importlib.import_module(modname)
    exported = names if names is not None else list(getattr(module, "__all__", []))
    out = f"## `{modname}`\n\n{_block(_doc(module))}\n"
    for name in exported:
        if name.startswith("__"):
            continue
        out += _entry(name, getattr(module, name))
    return out


def build() -> str:
    """The whole of api.md."""
    parts = [
        "# API reference\n\n",
        "Generated from the docstrings by `docs/gen_api.py`; do not edit by hand (a test checks "
        "that it is up to date: run `python3 -m uv run python docs/gen_api.py` after changing a "
        "public docstring).\n\n",
        "Contents: [`allocate`](#allocate)",
    ]
    present = [m for m in MODULES if importlib.util.find_spec(m) is not None]
    parts += [f", [`{m}`](#{m.replace('.', '')})" for m in present]
    parts.append("\n\n")
    parts.append(_module("allocate"))
    parts += [_module(m) for m in present]
    text = "".join(parts)
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Write docs/api.md, or with ``--check`` report whether it is up to date."""
    text = build()
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python3 -m uv run python docs/gen_api.py")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
