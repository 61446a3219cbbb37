"""The language of every message a person reads: Vietnamese by default, English on request.

Message ids are the English texts, so English is the identity and needs no catalogue. The
Vietnamese catalogue is `locale/vi/LC_MESSAGES/scoring.po`, kept in the repository. Reading it
with Babel takes longer than the rest of `scoring --help`, so the build (setup.py, an editable
install too) compiles it beside the `.po` to a `.mo` named by the `.po`'s SHA-256
(`compiled_name`): that is read when it exists, and a `.po` edited since, or a source tree never
built, has no `.mo` of its name and is read with Babel. A compiled catalogue can never show the
messages of another version of the `.po`.

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
import hashlib
import io
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
    return read_catalogue(LOCALE_DIR / lang / "LC_MESSAGES", lang)


def compiled_name(po: bytes) -> str:
    """The file name of the compiled catalogue of exactly this `.po` text."""
    return f"{DOMAIN}.{hashlib.sha256(po).hexdigest()[:16]}.mo"


def read_catalogue(folder: Path, lang: str) -> dict[str, str]:
    """The catalogue in `folder`: its `.mo` compiled from this very `.po`, else the `.po`."""
    try:
        po = (folder / f"{DOMAIN}.po").read_bytes()
    except FileNotFoundError:
        return {}
    mo = folder / compiled_name(po)
    if mo.is_file():
        with mo.open("rb") as f:
            found = gettext.GNUTranslations(f)
        table: dict[str, str] = dict(found._catalog)  # type: ignore[attr-defined]
        return {k: v for k, v in table.items() if isinstance(k, str) and k and v}
    return _parse_po(po, lang)


def _parse_po(po: bytes, lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(po), locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in cat
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
            and not m.fuzzy}


def compile_catalogue(folder: Path, lang: str, target: Path | None = None) -> Path:
    """Compile the `.po` in `folder` to its `.mo` in `target` (default: beside it), holding
    exactly what `read_catalogue` reads from the `.po`; the `.mo`s of other versions there are
    removed. The build calls this (setup.py)."""
    from datetime import UTC, datetime

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    po = (folder / f"{DOMAIN}.po").read_bytes()
    target = folder if target is None else target
    epoch = datetime.fromtimestamp(0, UTC)  # the same bytes from every build
    cat = Catalog(locale=lang, domain=DOMAIN, creation_date=epoch, revision_date=epoch)
    for msgid, msgstr in _parse_po(po, lang).items():
        cat.add(msgid, msgstr)
    out = io.BytesIO()
    write_mo(out, cat)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob(f"{DOMAIN}.*.mo"):
        old.unlink()
    mo = target / compiled_name(po)
    mo.write_bytes(out.getvalue())
    return mo


def _(message: str) -> str:
    """`message` in the chosen language (itself when English or not yet translated)."""
    lang = language()
    if lang == "en":
        return message
    return catalogue(lang).get(message, message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (translated when shown)."""
    return message
