"""Babel extraction for the CLI modules: the `_()`/`N_()` calls, as Babel's Python extractor
finds them, and the docstrings of click commands, which click shows as their `--help`.

Used by `babel.cfg` (`pybabel extract -F babel.cfg`) and by the catalogue-completeness test.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")


def command_docstrings(source: bytes) -> Iterator[tuple[int, str]]:
    """(line, cleaned docstring) of every function decorated as a click command or group."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_command(d) for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc:
                yield node.lineno, doc


def extract(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str],
            options: Any) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel's extraction method protocol: (line, function, message, comments) tuples."""
    from babel.messages.extract import extract_python

    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)
    for line, doc in command_docstrings(data):
        yield line, None, doc, []
