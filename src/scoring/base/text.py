"""Vietnamese text handling: normalisation, matching, collation and input decoding.

Council workbooks and CSV exports reach us from many generations of office software. The same
name can arrive precomposed or decomposed, with non-breaking spaces pasted from Word, typed in
a pre-Unicode font encoding (TCVN3 "ABC" or VNI) that Excel then re-saved as Windows-1252, or
encoded as Windows-1258. Everything downstream (rule matching, duplicate detection, sorted
reports) must see one canonical form, and text we cannot read with confidence must be refused
loudly rather than scored as garbage. This module is stdlib-only on purpose: it sits under the
CSV reader and must not pull a dependency tree into every consumer.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeAlias

__all__ = [
    "HIGH_RUN",
    "CollationKey",
    "LegacyEncoding",
    "UndecidableEncoding",
    "collation_key",
    "convert_legacy",
    "decode_text",
    "detect_legacy_vietnamese",
    "match_key",
    "name_sort_key",
    "nfc",
    "repair_double_encoded",
]


# --------------------------------------------------------------------------------------------
# Normalisation and folding
# --------------------------------------------------------------------------------------------


def nfc(s: str) -> str:
    """Return `s` in NFC with surrounding whitespace stripped and inner runs collapsed.

    Why: "Nguyễn" typed on macOS (decomposed) and on Windows (precomposed) are different code
    point sequences, and names copied from Word carry NBSPs and tabs. Without this, equal
    names compare unequal and duplicate detection silently misses them. `str.split()` with no
    argument splits on every Unicode whitespace character, NBSP included.
    """
    return " ".join(unicodedata.normalize("NFC", s).split())


# Hyphen-like characters that people use interchangeably with "-" in names and headers.
_SEPARATORS = str.maketrans(
    {c: " " for c in "_-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
)


def match_key(s: str) -> str:
    """Return a diacritics-, case- and spacing-insensitive form of `s` for matching.

    Why: users type column headers and names without tone marks ("So thang cong tac"), in
    capitals, or with underscores/hyphens instead of spaces; a rule that says "Số tháng công
    tác" must still find them. Only the comparison key loses information; callers keep and
    display the original text. đ has no Unicode decomposition, so it is mapped to d by hand
    (as is the look-alike Ð/ð, which some keyboards produce for Đ).
    """
    text = unicodedata.normalize("NFC", s).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    stripped = stripped.replace("đ", "d").replace("ð", "d").translate(_SEPARATORS)
    return " ".join(unicodedata.normalize("NFC", stripped).split())


# --------------------------------------------------------------------------------------------
# Vietnamese collation
# --------------------------------------------------------------------------------------------

# The Vietnamese alphabet, with the Latin letters it lacks (f j w z) where Latin puts them, so
# foreign names still sort sensibly among Vietnamese ones.
_ALPHABET = (
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
)
_LETTER_INDEX = {letter: i for i, letter in enumerate(_ALPHABET)}

_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# Secondary weights in the traditional dictionary order: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_WEIGHT = {_GRAVE: 1, _HOOK: 2, _TILDE: 3, _ACUTE: 4, _DOT: 5}
# Which base vowels a shape mark turns into a separate letter of the alphabet.
_SHAPE_BASES = {_CIRCUMFLEX: "aeo", _BREVE: "a", _HORN: "ou"}

# Primary groups: separators < punctuation/symbols < digits < alphabet letters < other letters.
_G_SPACE, _G_SYMBOL, _G_DIGIT, _G_LETTER, _G_OTHER = range(5)

Primary: TypeAlias = tuple[int, int]
Secondary: TypeAlias = tuple[int, tuple[int, ...]]
CollationKey: TypeAlias = tuple[
    tuple[Primary, ...], tuple[Secondary, ...], tuple[int, ...], str, str
]


@lru_cache(maxsize=4096)
def _char_weights(ch: str) -> tuple[Primary | None, Secondary, int]:
    """Return (primary, secondary, tertiary) weights for one NFC character.

    A primary of None means the character is ignorable at the first level (a stray combining
    mark that NFC could not attach to anything).
    """
    no_marks: tuple[int, ...] = ()
    if ch.isspace():
        return (_G_SPACE, 0), (0, no_marks), 0
    if unicodedata.category(ch).startswith("M"):
        return None, (9, (ord(ch),)), 0
    if ch.isdecimal():
        return (_G_DIGIT, unicodedata.decimal(ch)), (0, no_marks), 0
    if ch.isdigit():  # superscripts and the like: same digit, different form
        return (_G_DIGIT, unicodedata.digit(ch)), (1, no_marks), 0
    if not ch.isalpha():
        return (_G_SYMBOL, ord(ch)), (0, no_marks), 0

    tertiary = 1 if (ch.isupper() or ch.istitle()) else 0
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base, marks = decomposed[0], list(decomposed[1:])
    letter = base
    for mark, bases in _SHAPE_BASES.items():
        if base in bases and mark in marks:
            letter = unicodedata.normalize("NFC", base + mark)
            marks.remove(mark)
            break
    if letter in _LETTER_INDEX:
        primary: Primary = (_G_LETTER, _LETTER_INDEX[letter])
    else:
        # Not in the alphabet: put the mark back, the letter sorts by code point after z.
        marks = list(decomposed[1:])
        primary = (_G_OTHER, ord(base))
    tone = 0
    others: list[int] = []
    for mark in marks:
        if tone == 0 and mark in _TONE_WEIGHT:
            tone = _TONE_WEIGHT[mark]
        else:
            others.append(ord(mark))
    return primary, (tone, tuple(others)), tertiary


@lru_cache(maxsize=65536)  # a name is keyed when ranked, then again for its tie-breaks
def collation_key(s: str) -> CollationKey:
    """Return a sort key that orders strings like a Vietnamese dictionary.

    Why: code-point order puts "Đ" after "Z" and "Ánh" after "Anh" by accident of Unicode
    layout; councils publish ranked and alphabetical lists that readers check by eye, so the
    order must be the one they learnt. Levels, as in the Unicode Collation Algorithm:
    primary compares base letters of the Vietnamese alphabet (a ă â b c d đ e ê ... y, with
    f j w z in their Latin places, separators before punctuation before digits before
    letters); secondary compares tones (none, huyền, hỏi, ngã, sắc, nặng); tertiary compares
    case (lower first). The NFC string and then the raw string break remaining ties, so the
    order is total and does not depend on the input order.
    """
    primaries: list[Primary] = []
    secondaries: list[Secondary] = []
    tertiaries: list[int] = []
    for ch in nfc(s):
        primary, secondary, tertiary = _char_weights(ch)
        if primary is not None:
            primaries.append(primary)
        secondaries.append(secondary)
        tertiaries.append(tertiary)
    return (
        tuple(primaries),
        tuple(secondaries),
        tuple(tertiaries),
        unicodedata.normalize("NFC", s),
        s,
    )


def name_sort_key(full_name: str) -> tuple[CollationKey, CollationKey, CollationKey]:
    """Return a key that sorts Vietnamese full names the way official lists do.

    Why: a Vietnamese full name is family name, middle name(s), given name, and people are
    known and listed by the given name ("An", "Bình"), so lists sort by the last word first,
    then by the family and middle names in order. The whole-name key comes last only to
    keep the order total.
    """
    words = nfc(full_name).split(" ")
    given = words[-1]
    rest = " ".join(words[:-1])
    return collation_key(given), collation_key(rest), collation_key(full_name)


# --------------------------------------------------------------------------------------------
# Vietnamese syllable structure (used to tell real words from legacy-encoding garbage)
# --------------------------------------------------------------------------------------------

_ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
)
# "k" only in minority place names such as Đắk Lắk.
_FINALS = ("ch", "ng", "nh", "c", "k", "m", "n", "p", "t")
_NUCLEI_NEED_FINAL = frozenset(("ă", "â", "oo", "iê", "uô", "ươ", "yê", "oă", "uâ", "uyê"))
_NUCLEI_NO_FINAL = frozenset(
    (
        "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi", "ui",
        "ưi", "ưu", "ua", "ưa", "uơ", "iêu", "oai", "oay", "oây", "oao", "oeo", "uây", "uôi",
        "ươi", "ươu", "uya", "uyu", "yêu",
    )
)
_NUCLEI = (
    frozenset(("a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oe", "uê", "uy"))
    | _NUCLEI_NEED_FINAL
    | _NUCLEI_NO_FINAL
)
_STOP_FINALS = frozenset(("c", "ch", "k", "p", "t"))
_TONES = frozenset(_TONE_WEIGHT)


def _case_is_regular(word: str) -> bool:
    """True for "an", "An" and "AN"; garbled legacy text often yields "NguyÔn"."""
    if word == word.lower() or word == word.upper():
        return True
    return word[:1].isupper() and word[1:] == word[1:].lower()


@lru_cache(maxsize=65536)
def _is_syllable(word: str, strict_case: bool = True) -> bool:
    """True if `word` is a well-formed Vietnamese syllable (structure, not dictionary).

    Onset + vowel nucleus + final consonant from the closed inventories of Vietnamese
    orthography, at most one tone mark, ă/â/iê/uô/ươ needing a final, glide-final nuclei
    refusing one, and stop finals (c ch k p t) taking only sắc or nặng. Real words always pass;
    legacy garbage such as "Vaên" or "NguyÔn" does not.
    """
    if not word or (strict_case and not _case_is_regular(word)):
        return False
    if any(unicodedata.combining(c) for c in unicodedata.normalize("NFC", word)):
        return False  # a mark NFC cannot attach is never part of a Vietnamese letter
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return False
    tone = tones[0] if tones else ""
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    for onset in ("", *_ONSETS):
        if not base.startswith(onset):
            continue
        for final in ("", *_FINALS):
            if not base.endswith(final) or len(onset) + len(final) > len(base):
                continue
            nucleus = base[len(onset) : len(base) - len(final)]
            if nucleus not in _NUCLEI:
                continue
            if final and nucleus in _NUCLEI_NO_FINAL:
                continue
            if not final and nucleus in _NUCLEI_NEED_FINAL:
                continue
            if final in _STOP_FINALS and tone not in (_ACUTE, _DOT):
                continue
            return True
    return False


# --------------------------------------------------------------------------------------------
# Legacy encodings: TCVN3 (ABC) and VNI-Windows, as seen after being read as Windows-1252
# --------------------------------------------------------------------------------------------

# TCVN 5712:1993 VN3, the "ABC" / .VnTime fonts. Each pair is (cp1252 glyph, Unicode letter).
# VN3 has no upper-case toned letters: capitals were typed with separate .VnTimeH fonts that
# reuse the lower-case codes.
_TCVN3_PAIRS = (
    ("µ¸¶·¹", "àáảãạ"),
    ("¨»¾¼½Æ", "ăằắẳẵặ"),
    ("©ÇÊÈÉË", "âầấẩẫậ"),
    ("®", "đ"),
    ("ÌÐÎÏÑ", "èéẻẽẹ"),
    ("ªÒÕÓÔÖ", "êềếểễệ"),
    ("×ÝØÜÞ", "ìíỉĩị"),
    ("ßãáâä", "òóỏõọ"),
    ("«åèæçé", "ôồốổỗộ"),
    ("¬êíëìî", "ơờớởỡợ"),
    ("ïóñòô", "ùúủũụ"),
    ("\u00adõøö÷ù", "ưừứửữự"),
    ("úýûüþ", "ỳýỷỹỵ"),
    ("¡¢§£¤¥¦", "ĂÂĐÊÔƠƯ"),
)
_TCVN3_MAP: dict[str, str] = {
    src: dst for srcs, dsts in _TCVN3_PAIRS for src, dst in zip(srcs, dsts, strict=True)
}


def _build_vni_map() -> dict[str, str]:
    """Build VNI-Windows sequences (as cp1252 text) -> Unicode letters.

    VNI stores a Vietnamese letter as an ASCII base letter followed by one "mark" byte that
    the VNI fonts draw as the diacritic(s); upper-case letters use upper-case mark bytes. ơ,
    ư, đ and the toned i/ỵ forms are single bytes.
    """
    tone = {"ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
    circumflex = {"â": "", "á": _ACUTE, "à": _GRAVE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
    breve = {"ê": "", "é": _ACUTE, "è": _GRAVE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
    lower: dict[str, str] = {}
    for vowel in "aeouy":
        for mark, t in tone.items():
            lower[vowel + mark] = vowel + t
    for vowel in "aeo":
        for mark, t in circumflex.items():
            lower[vowel + mark] = vowel + _CIRCUMFLEX + t
    for mark, t in breve.items():
        lower["a" + mark] = "a" + _BREVE + t
    for single, vowel in (("ô", "o"), ("ö", "u")):  # ơ and ư
        lower[single] = vowel + _HORN
        for mark, t in tone.items():
            lower[single + mark] = vowel + _HORN + t
    lower.update({"ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"})
    table: dict[str, str] = {}
    for src, dst in lower.items():
        composed = unicodedata.normalize("NFC", dst)
        table[src] = composed
        table[src.upper()] = composed.upper()
    return table


_VNI_MAP = _build_vni_map()
_TCVN3, _VNI = "TCVN3", "VNI"


def _tcvn3_to_unicode(s: str) -> str:
    """Map TCVN3-as-cp1252 text to Unicode, restoring capitals lost to the VN3 charset.

    A word whose ASCII letters are all capitals (at least two of them, so "Lª" stays "Lê")
    was typed in an upper-case .VnTimeH font, so its mapped letters are upper-cased too.
    """
    out: list[str] = []
    for word in re.split(r"(\s+)", s):
        mapped = "".join(_TCVN3_MAP.get(c, c) for c in word)
        ascii_letters = [c for c in word if c.isascii() and c.isalpha()]
        if mapped != word and len(ascii_letters) >= 2 and all(c.isupper() for c in ascii_letters):
            mapped = mapped.upper()
        out.append(mapped)
    return "".join(out)


def _vni_to_unicode(s: str) -> str:
    """Map VNI-as-cp1252 text to Unicode, longest sequence first."""
    out: list[str] = []
    i = 0
    while i < len(s):
        pair = s[i : i + 2]
        if len(pair) == 2 and pair in _VNI_MAP:
            out.append(_VNI_MAP[pair])
            i += 2
            continue
        out.append(_VNI_MAP.get(s[i], s[i]))
        i += 1
    return "".join(out)


def convert_legacy(s: str, encoding: str) -> str:
    """Convert TCVN3- or VNI-garbled text (as read through cp1252) back to Unicode NFC.

    Why: once `detect_legacy_vietnamese` has refused a file, the operator needs a way to fix
    it; this is that way, kept separate so that conversion is always an explicit decision.
    `encoding` is "TCVN3" or "VNI" (case-insensitive).
    """
    name = encoding.strip().upper()
    if name in (_TCVN3, "ABC", "TCVN"):
        return unicodedata.normalize("NFC", _tcvn3_to_unicode(s))
    if name in (_VNI, "VNI-WINDOWS", "VNI WINDOWS"):
        return unicodedata.normalize("NFC", _vni_to_unicode(s))
    raise ValueError(f"unknown legacy encoding {encoding!r}; expected 'TCVN3' or 'VNI'")


# Word-like runs: letters, the Latin-1 symbol range that TCVN3 uses for letters (including the
# soft hyphen), × and ÷, and stray combining marks.
_TOKEN_SYMBOLS = r"[\u00a1-\u00bf\u00d7\u00f7\u0300-\u036f]"
_TOKEN_CHAR_RE = re.compile(rf"[^\W\d_]|{_TOKEN_SYMBOLS}")
_TOKEN_RE = re.compile(rf"(?:{_TOKEN_CHAR_RE.pattern})+")
# A run of a word's characters that are not ASCII (letters other than A-Z, and the symbols);
# any run of non-ASCII characters (`_accented_words` looks for the first in the second).
_TOKEN_NON_ASCII_RE = re.compile(rf"(?:[^\W\d_A-Za-z]|{_TOKEN_SYMBOLS})+")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_LETTERS_RE = re.compile(r"[^\W\d_]+")
# A token needs at least one real letter to count as a word ("©", "½", "§" alone are symbols).
_WORD_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")


@lru_cache(maxsize=65536)
def _garbled_as(token: str) -> tuple[str, ...]:
    """Return the legacy encodings under which `token` is garbage for a Vietnamese syllable.

    The test is two-sided so that it never fires on correct text: a real word is already a
    valid syllable and is never counted, whatever the legacy tables would make of it. Some
    tokens fit both encodings (VNI "Thuû" is "Thủ", TCVN3 would read it "Thuỷ"); the caller
    decides on the whole text.
    """
    if _is_syllable(token):
        return ()
    found: list[str] = []
    # TCVN3 text typed in the upper-case fonts mixes cases, so its result is checked
    # case-insensitively; VNI has real upper-case codes, so its result must be regular.
    tcvn = _tcvn3_to_unicode(token)
    if tcvn != token and _is_syllable(tcvn, strict_case=False):
        found.append(_TCVN3)
    vni = _vni_to_unicode(token)
    if vni != token and _is_syllable(vni):
        found.append(_VNI)
    return tuple(found)


# This many different garbled words flag a text whatever its length: no longer an accident.
_LEGACY_MIN_DISTINCT = 3
# Bytes 0xA1-0xBF carry TCVN3 letters but never occur in VNI text.
_TCVN3_ONLY_RE = re.compile(r"[\u00a1-\u00bf]")


def _scan_legacy(text: str) -> tuple[str, int] | None:
    """Return (encoding, offset of the first garbled word) if `text` looks legacy-encoded.

    Only words containing non-ASCII characters take part (ASCII words say nothing about the
    encoding). The encoding that explains more of them wins; on a tie, TCVN3 if some word
    uses the 0xA1-0xBF glyphs that VNI never produces, else VNI.

    Correct text produces a hit only through an odd foreign word or unit ("où", "Loïc",
    "µm"), one at a time and possibly repeated down a column, while a garbled file has most
    of its accented words garbled and a pasted legacy row garbles a whole name. So the text
    is flagged when at least one in ten of those words is garbled, or three different
    words are, or two consecutive accented words on one line are. A single garbled word is
    enough when it cannot be a foreign word: a TCVN3 word drawn with a symbol glyph ("V¨n",
    "B×nh"), or a word right beside a correct Vietnamese one, as when one word of a name was
    retyped in an old font ("Nguyễn Vaên An").
    """
    counts = {_TCVN3: 0, _VNI: 0}
    words = _accented_words(text)
    single = _single_legacy_word(text, words)
    distinct: dict[str, set[str]] = {_TCVN3: set(), _VNI: set()}
    adjacent = {_TCVN3: False, _VNI: False}
    previous: dict[str, tuple[int, int]] = {}  # encoding -> (line, candidate number)
    first: dict[str, int] = {}
    candidates = 0
    tcvn3_glyphs = False
    line, line_pos = 0, 0
    for match in words:
        token = match.group()
        candidates += 1
        line += text.count("\n", line_pos, match.start())
        line_pos = match.start()
        for encoding in _garbled_as(token):
            counts[encoding] += 1
            distinct[encoding].add(token)
            adjacent[encoding] |= previous.get(encoding) == (line, candidates - 1)
            previous[encoding] = (line, candidates)
            first.setdefault(encoding, match.start())
            if encoding == _TCVN3 and _TCVN3_ONLY_RE.search(token):
                tcvn3_glyphs = True
    if not first:
        return None
    if single is not None and counts[single[0]] * 10 < candidates \
            and len(distinct[single[0]]) < _LEGACY_MIN_DISTINCT:
        return single
    best = max(counts, key=lambda e: (counts[e], (e == _TCVN3) == tcvn3_glyphs))
    if (
        counts[best] * 10 >= candidates
        or len(distinct[best]) >= _LEGACY_MIN_DISTINCT
        or adjacent[best]
    ):
        return best, first[best]
    return None


# Glyphs TCVN3 draws letters with that no word of any language holds between its letters.
_TCVN3_SYMBOLS = frozenset("¨©ª«¬®¶·¸¹º»¼½¾¡¢§£¤¥¦×÷\u00ad")


def _accented_words(text: str) -> list[re.Match[str]]:
    """The words of `text` with a non-ASCII character: the only ones that tell an encoding
    (found once for both of `_scan_legacy`'s tests).

    Exactly the `_TOKEN_RE` words that are not ASCII, found from their non-ASCII letters: a
    file's text is mostly ASCII words (codes, numbers, enum values), and matching every word
    of a 100,000-row file to keep one in sixteen cost more than the rest of the scan. A run of
    non-ASCII characters is found by a plain character range, which the regex engine scans
    fast; each token letter in it is walked back to its word's start."""
    words = []
    end = 0  # where the last word found ends: a later letter in it starts no new word
    for run in _NON_ASCII_RE.finditer(text):
        for letter in _TOKEN_NON_ASCII_RE.finditer(text, run.start(), run.end()):
            start = letter.start()
            if start < end:
                continue
            while start and _TOKEN_CHAR_RE.match(text, start - 1):
                start -= 1
            word = _TOKEN_RE.match(text, start)
            assert word is not None  # it holds at least `letter`
            end = word.end()
            if _WORD_LETTER_RE.search(word.group()):
                words.append(word)
    return words


def _single_legacy_word(text: str, tokens: Sequence[re.Match[str]]
                        ) -> tuple[str, int] | None:
    """(encoding, offset) of the first garbled word that cannot be foreign (see `_scan_legacy`):
    one with a TCVN3 symbol glyph among ASCII letters, or one next to a correct Vietnamese word
    with only spaces between them; `tokens` are the text's `_accented_words`."""
    for k, m in enumerate(tokens):
        token = m.group()
        found = _garbled_as(token)
        if not found:
            continue
        if _TCVN3 in found and any(c in _TCVN3_SYMBOLS for c in token) \
                and any(c.isascii() and c.isalpha() for c in token):
            return _TCVN3, m.start()
        for j in (k - 1, k + 1):
            if 0 <= j < len(tokens) and _beside(text, tokens[j], m) \
                    and _vietnamese_word(tokens[j].group()):
                return (_VNI if _VNI in found else found[0]), m.start()
    return None


def _beside(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    left, right = (a, b) if a.start() < b.start() else (b, a)
    between = text[left.end():right.start()]
    return bool(between) and between.isspace() and "\n" not in between


def _vietnamese_word(token: str) -> bool:
    """A correct Vietnamese syllable written with a letter only Vietnamese uses (ă, ê, ơ, ễ…)."""
    return not _garbled_as(token) and _is_syllable(token) and any(
        c in _VI_LETTERS_ALL and not c.isascii() for c in unicodedata.normalize("NFC", token))


def detect_legacy_vietnamese(s: str) -> str | None:
    """Return "TCVN3" or "VNI" if `s` is Vietnamese typed in that legacy encoding, else None.

    Why: pre-Unicode Vietnamese files decode without any error as Windows-1252 (or get
    re-saved as UTF-8 by Excel in that state), so a codec never complains; the names come out
    as "NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên An" (VNI), and scoring them would create
    phantom people. A word is counted as garbled when it is not a well-formed Vietnamese
    syllable but becomes one through the TCVN3 or VNI table. Correct Vietnamese words are
    already well formed and never count; the only false hits are rare foreign words or units
    with Latin-1 accents ("où", "µm"), which `_scan_legacy`'s thresholds keep below the bar
    unless they make up a sizeable share of a short text.
    """
    found = _scan_legacy(unicodedata.normalize("NFC", s))
    return found[0] if found else None


# --------------------------------------------------------------------------------------------
# Double-encoded UTF-8 ("Huá»³nh" for "Huỳnh")
# --------------------------------------------------------------------------------------------

# Windows-1252's characters for bytes 0x80-0x9F (its holes read as the C1 controls of Latin-1).
_CP1252_BYTE = {bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0)
                if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
HIGH_RUN = re.compile("[\u0080-\u00ff" + "".join(_CP1252_BYTE) + "]{2,}")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")


def repair_double_encoded(text: str) -> str | None:
    """`text` with its double-encoded letters repaired, or None when it has none.

    UTF-8 read as Windows-1252 (or Latin-1) and saved again turns each accented letter into two
    or three symbols: "Huỳnh" becomes "Huá»³nh". Such a run is recognised by its bytes forming
    valid UTF-8 for a letter; correct Vietnamese never puts a lead byte's letter (Â-ô) before
    the symbols of 0x80-0xBF, so real names are never taken for garbage.
    """
    changed = False

    def run(m: re.Match[str]) -> str:
        nonlocal changed
        raw = bytes(_CP1252_BYTE.get(c, ord(c)) for c in m.group())
        out: list[str] = []
        at = 0
        for b in _UTF8_SEQUENCE.finditer(raw):
            letter = b.group().decode("utf-8")
            if unicodedata.category(letter).startswith("L"):
                out.append(m.group()[at:b.start()])  # one character per byte before it
                out.append(letter)
                at = b.end()
                changed = True
        return "".join(out) + m.group()[at:]

    repaired = HIGH_RUN.sub(run, text)
    return unicodedata.normalize("NFC", repaired) if changed else None


# --------------------------------------------------------------------------------------------
# Decoding CSV bytes
# --------------------------------------------------------------------------------------------


class UndecidableEncoding(ValueError):
    """The bytes are not UTF-8/UTF-16 and do not read as Windows-1258 Vietnamese either."""

    def __init__(self, filename: str, detail: str) -> None:
        self.filename = filename
        self.detail = detail
        super().__init__(f"{filename}: cannot determine the text encoding: {detail}")

    def __reduce__(self) -> tuple[type[UndecidableEncoding], tuple[str, str]]:
        return type(self), (self.filename, self.detail)


class LegacyEncoding(ValueError):
    """The text is Vietnamese in a pre-Unicode encoding (TCVN3 or VNI) and must be converted.

    `sample` is a short fragment of the first garbled line, so the user can recognise it.
    """

    def __init__(self, filename: str, encoding: str, sample: str) -> None:
        self.filename = filename
        self.encoding = encoding
        self.sample = sample
        super().__init__(
            f"{filename}: text looks like Vietnamese typed in the legacy {encoding} encoding"
            f" (e.g. {sample!r}); convert the file to Unicode (UTF-8) first"
        )

    def __reduce__(self) -> tuple[type[LegacyEncoding], tuple[str, str, str]]:
        return type(self), (self.filename, self.encoding, self.sample)


_SAMPLE_LEN = 60


def _sample_at(text: str, offset: int) -> str:
    """Return at most 60 characters of the line containing `offset`, around that offset."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    if len(line) <= _SAMPLE_LEN:
        return line.strip()
    left = max(0, min(offset - start - 20, len(line) - _SAMPLE_LEN))
    return line[left : left + _SAMPLE_LEN].strip()


def _check_legacy(text: str, filename: str) -> None:
    found = _scan_legacy(text)
    if found is not None:
        encoding, offset = found
        raise LegacyEncoding(filename, encoding, _sample_at(text, offset))


_VI_LETTERS = frozenset(
    unicodedata.normalize("NFC", letter + tone)
    for letter in ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
    for tone in ("", *_TONE_WEIGHT)
) | {"đ"}
_VI_LETTERS_ALL = _VI_LETTERS | {c.upper() for c in _VI_LETTERS}
# Non-ASCII, non-letter characters that ordinary Vietnamese office text contains.
_COMMON_SYMBOLS = frozenset("\u00a0€₫£¥°±×÷·«»©®™§¶½¼¾²³¹")


def _looks_vietnamese(text: str) -> bool:
    """Heuristic acceptance test for text decoded as Windows-1258.

    cp1258 maps almost every byte to something, so decoding "succeeds" on any binary or on
    other code pages. We accept only text without control or unassigned characters that
    contains Vietnamese letters, whose other non-ASCII characters are nearly all ordinary
    punctuation, and at least half of whose accented words are well-formed Vietnamese
    syllables (names of ethnic minorities and foreigners are not, so "all" would be too much;
    legacy bytes read this way rarely reach half, and are caught by the legacy check first).
    """
    weird = 0
    non_ascii = 0
    vietnamese = 0
    for ch in text:
        if ch.isascii():
            if ord(ch) < 0x20 and ch not in "\t\n\r":
                return False
            continue
        non_ascii += 1
        category = unicodedata.category(ch)
        if category in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd":
            return False
        if ch in _VI_LETTERS_ALL:
            vietnamese += 1
        elif not (ch in _COMMON_SYMBOLS or 0x2000 <= ord(ch) <= 0x206F):
            weird += 1
    if vietnamese == 0 or weird * 20 > non_ascii:
        return False
    words = [w for w in _LETTERS_RE.findall(text) if not w.isascii()]
    valid = sum(1 for w in words if _is_syllable(w))
    return valid * 2 >= len(words)


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Decode the bytes of a CSV file and return (NFC text, encoding name).

    Why: Vietnamese CSV files come from Excel ("CSV UTF-8" with a BOM, "Unicode text" as
    UTF-16, plain "CSV" in Windows-1258), LibreOffice and scripts (UTF-8). We try the
    encodings whose correct detection is certain first (BOMs, strict UTF-8), fall back to
    Windows-1258 only when the result reads as Vietnamese, and never guess beyond that:
    `UndecidableEncoding` is raised instead. Text that decodes but is TCVN3/VNI garbage
    raises `LegacyEncoding` rather than being converted behind the user's back.

    Returned names: "utf-8-sig", "utf-16", "utf-8", "cp1258".
    """
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        raw = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise UndecidableEncoding(
                filename,
                f"starts with a {encoding} byte order mark but is not valid {encoding}"
                f" (byte {exc.start})",
            ) from exc
    else:
        if "\x00" in raw:
            raise UndecidableEncoding(
                filename, "contains NUL characters (UTF-16 without a byte order mark?)"
            )
        text = unicodedata.normalize("NFC", raw)
        _check_legacy(text, filename)
        return text, encoding

    # Not UTF-8: Windows-1258, where tone marks are separate combining characters.
    try:
        as_cp1258: str | None = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        as_cp1258 = None
    if as_cp1258 is not None and _looks_vietnamese(as_cp1258) and not _scan_legacy(as_cp1258):
        return as_cp1258, "cp1258"
    # Raw TCVN3/VNI bytes are defined by the Windows-1252 glyphs their fonts were drawn over,
    # so that view gives the most recognisable sample; the cp1258 view is the fallback.
    _check_legacy(data.decode("cp1252", errors="replace"), filename)
    if as_cp1258 is None:
        raise UndecidableEncoding(
            filename, "not valid UTF-8, and contains bytes undefined in Windows-1258"
        )
    _check_legacy(as_cp1258, filename)
    raise UndecidableEncoding(
        filename, "not valid UTF-8, and does not read as Vietnamese in Windows-1258"
    )
