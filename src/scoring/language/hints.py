"""Hints for what people write in conditions from other languages: `85%`, `&&`, `||`, `!`.

Spreadsheets write a share as `85%` and many languages write `&&` for "and"; in a rule file
these are mistakes that Python's parser either refuses with a bare "invalid syntax" or reads
as something else (`85 % 10` is a remainder, `a & b` a bitwise and). Each is refused here,
before parsing, with what to write instead. Text inside quotes is never looked at.
"""

from __future__ import annotations

import io
import tokenize
from typing import TYPE_CHECKING

from scoring.base.i18n import _

if TYPE_CHECKING:
    from scoring.language.expr import Where

_OPERATORS = {"&&": "and", "||": "or", "&": "and", "|": "or", "!": "not"}


def refuse_other_languages(source: str, where: Where) -> None:
    """A RuleError with the right spelling when `source` uses one of these forms."""
    hint = hint_for(source)
    if hint is not None:
        raise where.error(_("cannot read {text!r}: {hint}").format(text=source, hint=hint))


def hint_for(source: str) -> str | None:
    """What to write instead of the first foreign form in `source`, or None."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if tok.type == tokenize.NUMBER and nxt == "%":
            number = tok.string
            return _("a share is written as a decimal: {number}% is {share}").format(
                number=number, share=_share(number))
        if tok.string in ("&", "|") and nxt == tok.string:
            double = tok.string * 2
            return _("write {word!r}, not {op!r}").format(word=_OPERATORS[double], op=double)
        if tok.string in ("&", "|", "&&", "||"):
            return _("write {word!r}, not {op!r}").format(word=_OPERATORS[tok.string],
                                                          op=tok.string)
        if tok.string == "!" and nxt != "=":
            return _("write {word!r}, not {op!r}").format(word="not", op="!")
    return None


def _share(number: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(number.replace("_", "")) / 100
    except InvalidOperation:
        return "0." + number
    text = format(value.normalize(), "f")
    return text
