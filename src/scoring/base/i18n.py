"""The language of every message a person reads: Vietnamese by default, English on request.

Message ids are the English texts, so English is the identity and needs no catalogue. The
Vietnamese catalogue is `locale/vi/LC_MESSAGES/scoring.po`, kept in the repository; when a
compiled `scoring.mo` sits beside it and is not older, that is read, otherwise the `.po` is
read with Babel's reader (an editable install, or a wheel built without the compile step).

The language is process-wide: `set_language` (the CLI's `--lang`) wins, then the environment
variable `SCORING_LANG`, then Vietnamese. A context (one web request, or the thread scoring for
it) may speak another language: `use_language` sets it for the current context only
(a `contextvars.ContextVar`, default None = the process-wide choice), so the command line is
unchanged and two requests in different languages never mix. Messages are translated where
they are made (`_("… {name} …").format(name=…)`), and texts defined at import time (click
help) are marked with `N_` and translated where they are shown.
"""

from __future__ import annotations

import gettext
import os
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
ENV = "SCORING_LANG"
DOMAIN = "scoring"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"  # scoring/locale

_chosen: str | None = None
_context: ContextVar[str | None] = ContextVar("scoring_language", default=None)


def normalise(value: str | None) -> str | None:
    """`en`, `EN`, `en_US.UTF-8` → `en`; `vi…` → `vi`; anything else → None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return head if head in LANGUAGES else None


def set_language(lang: str | None) -> None:
    """Choose the language for the rest of the process (None: back to SCORING_LANG/default)."""
    global _chosen
    _chosen = normalise(lang)


def use_language(lang: str | None) -> Token[str | None]:
    """Speak `lang` in the current context only (None: the process-wide choice); returns the
    token that `reset_language` takes to undo it."""
    return _context.set(normalise(lang))


def reset_language(token: Token[str | None]) -> None:
    _context.reset(token)


def language() -> str:
    return _context.get() or _chosen or normalise(os.environ.get(ENV)) or DEFAULT


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of `lang`, msgid → msgstr, without the untranslated or fuzzy ones."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            found = gettext.GNUTranslations(f)
        table: dict[str, str] = dict(found._catalog)  # type: ignore[attr-defined]
        return {k: v for k, v in table.items() if isinstance(k, str) and k and v}
    if not po.is_file():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        cat = read_po(f, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in cat
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
            and not m.fuzzy}


def _(message: str) -> str:
    """`message` in the chosen language (itself when English or not yet translated)."""
    lang = language()
    if lang == "en":
        return message
    return catalogue(lang).get(message, message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (translated when shown)."""
    return message
