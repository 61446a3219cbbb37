"""Keys typed differently: ids and group keys that look alike but are not equal strings.

A council's files are typed by many hands: "Khối A" and "khối A", "Văn hoá" and "Văn hóa" (the
old and new tone placement), a name pasted with a zero-width space or a right-to-left mark, an
id typed on a Russian keyboard layout ("Р1" with a Cyrillic Er). Compared as strings, each pair
would silently become two groups, so a quota or a ranking would count the wrong people. This
module decides, per kind of key, what such a pair is:

- **Group keys** (a unit's cluster, and every field a quota, a rating quota or a ranking groups
  by, such as the 2026 `task_group`): spellings that differ only by case, spacing, separators
  (`_`, `-`), tone placement, invisible characters or letters of other scripts that look Latin
  are one group. They are merged under the most used spelling (the first seen on a tie), with a
  warning naming every spelling. Spellings that differ in their diacritics ("Tổ Một" and "Tổ
  Mốt", "Khoi A" and "Khối A") can be two real names or one mistyped, and the tool cannot tell
  which: merging two real groups or splitting one both change who gets a quota, so the run
  stops (exit 2) naming both spellings and where each is first used.
- **Ids** (of people and units): an id that differs from another only by invisible characters or
  look-alike letters is the same id to every reader, so it is a duplicated id (exit 2). Ids that
  differ by case, spacing or diacritics, ids equal but for leading zeros (`007` and `7`) in the
  same unit, and the same name in the same unit (or cluster) under two ids are all plausible in
  real data (two people called Nguyễn Văn An in one office), so they are warnings naming both.

Everything here is pure: records in, records, warnings and problems out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from scoring.base.errors import Problem, input_location
from scoring.base.i18n import N_, _
from scoring.inputs.records import Record
from scoring.rulesets.schema import Kind, RuleSet
from scoring.rulesets.scopes import as_tuple

__all__ = [
    "KeyCheck",
    "Keyed",
    "check_ids",
    "check_keys",
    "check_neighbours",
    "check_unit_keys",
    "count_spellings",
    "diacritic_skeleton",
    "group_fields",
    "invisible",
    "look_alike",
    "near_id",
    "person_group_fields",
    "renamed",
    "skeleton",
    "unify_counted",
    "visible_form",
    "where_used",
]

# Characters that draw nothing, or only steer how text is drawn: the format characters (Unicode
# category Cf: zero-width space and joiners, bidi marks, embeddings, overrides and isolates, the
# BOM, the soft hyphen, the word joiner, tags), variation selectors, the combining grapheme
# joiner and the Hangul fillers. `test_keys` checks the list against the Unicode database.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\U000e0100-\U000e01ef]")


def invisible(ch: str) -> bool:
    """True for a character that shows nothing (or only changes how its neighbours show)."""
    return _INVISIBLE.match(ch) is not None


# Cyrillic and Greek letters drawn like Latin ones, in both cases (the usual culprits of a
# keyboard layout left on Russian, or text pasted from a PDF).
_LOOK_ALIKE_PAIRS = (
    ("АВЕЅІЈКМНОРСТХУҮӀԚԜ", "ABESIJKMHOPCTXYYIQW"),
    ("аеѕіјорсхуүӏԁһԛԝвкмнт", "aesijopcxyyldhqwbkmht"),
    ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"),
    ("αβεζηικμνορτυχ", "abezhikmvoptux"),
)
_LOOK_ALIKE = str.maketrans({a: b for src, dst in _LOOK_ALIKE_PAIRS
                             for a, b in zip(src, dst, strict=True)})


def look_alike(text: str) -> bool:
    """True when `text` holds a Cyrillic or Greek letter drawn like a Latin one."""
    return text.translate(_LOOK_ALIKE) != text


def visible_form(text: str) -> str:
    """What a reader sees: NFKC, invisible characters removed, look-alike letters as Latin,
    whitespace runs as one space. Two ids with the same visible form are the same id."""
    if text.isascii():  # no invisible, look-alike or compatibility character in ASCII
        return " ".join(text.split())
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(_LOOK_ALIKE)
    return unicodedata.normalize("NFC", " ".join(text.split()))


_TONES = "\u0300\u0301\u0303\u0309\u0323"
_DROPPED = str.maketrans("", "", " \t\n\r\f\v_-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_NO_TONES = str.maketrans("", "", _TONES)
_TONE_RUNS = re.compile(r"[aeiouy](?:[aeiouy]|[\u0300-\u036f])*")
_TONE = re.compile(f"[{_TONES}]")


def skeleton(text: str) -> str:
    """The key that decides when two spellings of a group are one group: `visible_form`,
    case-folded, without spaces and separators, and with each tone mark tied to its run of
    vowels rather than to a letter, so "hoá" and "hóa" (the old and the new placement rule)
    or "thuỷ" and "thủy" give one key while the letters and their shape marks stay."""
    folded = visible_form(text).casefold()
    if folded.isascii():
        return folded.translate(_DROPPED) + "\x00"
    decomposed = unicodedata.normalize("NFD", folded.translate(_LOOK_ALIKE))
    tones = "".join(f"{k}{t}" for k, run in enumerate(_TONE_RUNS.findall(decomposed))
                    for t in _TONE.findall(run))
    base = decomposed.translate(_NO_TONES).translate(_DROPPED)
    return unicodedata.normalize("NFC", base) + "\x00" + tones


def diacritic_skeleton(text: str) -> str:
    """`skeleton` without any diacritic (đ as d): spellings equal here but not in `skeleton`
    differ only in their marks."""
    base = skeleton(text).partition("\x00")[0]
    if base.isascii():
        return base
    return _MARKS.sub("", unicodedata.normalize("NFD", base.replace("đ", "d")))


_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _leading_zeros(text: str) -> str:
    """`text` without the leading zeros of its numbers: P007 and P7 give one form."""
    return _LEADING_ZEROS.sub("", text) if "0" in text else text


# ------------------------------------------------------------------------------ the checks


@dataclass
class KeyCheck:
    """What the checks found: warnings (the result is as meant) and problems (exit 2)."""

    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Spelling:
    text: str
    first: str  # where it is first used
    count: int = 0


def _quoted(spellings: Sequence[_Spelling]) -> str:
    return _(" and ").join(f"{_shown(s.text)} ({s.first})" for s in spellings)


def _shown(text: str) -> str:
    """A spelling as a reader can tell it from another: invisible characters as \\u escapes,
    look-alike letters named."""
    out = "".join(f"\\u{ord(c):04x}" if invisible(c) else c for c in text)
    shown = repr(out).replace("\\\\u", "\\u")
    if look_alike(text):
        scripts = sorted({unicodedata.name(c, "?").split(" ")[0] for c in text
                          if c.translate(_LOOK_ALIKE) != c})
        shown += _(" (with {scripts} letters)").format(
            scripts="/".join(s.title() for s in scripts))
    return shown


def _why(spellings: Sequence[_Spelling]) -> str:
    texts = [s.text for s in spellings]
    if any(any(invisible(c) for c in t) for t in texts):
        return _("an invisible character")
    if any(look_alike(t) for t in texts):
        return _("letters of another script that look Latin")
    if any(unicodedata.normalize("NFKC", t) != t for t in texts):
        return _("full-width or other compatibility forms of letters and digits")
    return _("case, spacing or tone placement")


def count_spellings(counted: dict[str, tuple[str, int]], text: str, where: Callable[[], str]
                    ) -> None:
    """Count one use of `text` into `counted` (spelling → where first used, uses), as
    `unify_counted` takes them (the streaming path counts a table at a time)."""
    seen = counted.get(text)
    counted[text] = (where(), 1) if seen is None else (seen[0], seen[1] + 1)


def unify_counted(counted: Iterable[tuple[str, str, int]], what: str, result: KeyCheck
                  ) -> dict[str, str]:
    """Decide the group keys of one field, from its spellings counted: (text, where first
    used, uses), in the order of first use.

    Returns spelling → the group's spelling for every spelling merged into another (see the
    module docstring); adds the warnings and problems to `result`.
    """
    spellings = [_Spelling(text, where, uses) for text, where, uses in counted]
    by_key: dict[str, list[_Spelling]] = defaultdict(list)
    for s in spellings:
        by_key[skeleton(s.text)].append(s)
    merged: dict[str, str] = {}
    kept: list[_Spelling] = []
    for group in by_key.values():
        chosen = max(group, key=lambda s: s.count)  # the first of the most used, as max keeps
        kept.append(chosen)
        if len(group) > 1:
            others = [s for s in group if s is not chosen]
            merged.update((s.text, chosen.text) for s in others)
            result.warnings.append(
                _("{what}: {spellings} differ only by {why}: counted as one group, {chosen!r}")
                .format(what=_(what), spellings=_quoted([chosen, *others]), why=_why(group),
                        chosen=chosen.text))
    by_marks: dict[str, list[_Spelling]] = defaultdict(list)
    for s in kept:
        by_marks[diacritic_skeleton(s.text)].append(s)
    for group in by_marks.values():
        if len(group) > 1:
            first, *others = group
            for s in others:
                result.problems.append(Problem(
                    s.first, _("{what} {value} differs from {other} (first at {first}) only in "
                               "its diacritics: one group mistyped, or two? Spell one group the "
                               "same everywhere; name two groups so that they differ by more "
                               "than a mark").format(what=_(what), value=_shown(s.text),
                                                     other=_shown(first.text),
                                                     first=first.first)))
    return merged


@dataclass(frozen=True)
class Keyed:
    """What `check_ids` needs of a record."""

    id: str
    name: str
    group: str  # the unit of a person, the cluster of a unit
    at: object  # where it was read (an `Origin`, or its text): worded only for a message

    @property
    def where(self) -> str:
        return str(self.at)


def check_ids(records: Sequence[Keyed], kind_word: str, group_word: str,
              result: KeyCheck) -> None:
    """Ids of one kind of record: look-alike duplicates are problems, near ones warnings."""
    by_visible: dict[str, Keyed] = {}
    by_folded: dict[str, Keyed] = {}
    plain: list[Keyed] = []
    for r in records:
        seen = by_visible.get(visible_form(r.id))
        if seen is not None:
            if seen.id != r.id:  # equal ids are reported by the duplicate check itself
                result.problems.append(Problem(
                    r.where, _("duplicated id {id}: it reads as {other} (first at {first}), "
                               "differing only by {why}").format(
                        id=_shown(r.id), other=_shown(seen.id), first=seen.where,
                        why=_why([_Spelling(r.id, ""), _Spelling(seen.id, "")]))))
            continue
        by_visible[visible_form(r.id)] = r
        folded = by_folded.setdefault(diacritic_skeleton(r.id), r)
        if folded is not r:
            result.warnings.append(near_id(r.id, r.where, folded.id, folded.where, kind_word))
            continue
        plain.append(r)
    check_neighbours(plain, kind_word, group_word, result)


def near_id(rid: str, where: str, other: str, other_where: str, kind_word: str) -> str:
    """The warning about two ids that differ only by case, spacing or diacritics."""
    return _("{where}: id {id!r} differs from {other!r} (first at {first}) only by case, "
             "spacing or diacritics: kept as two {kinds}; check they are not one").format(
        where=where, id=rid, other=other, first=other_where, kinds=_(kind_word))


def check_neighbours(records: Sequence[Keyed], kind_word: str, group_word: str,
                     result: KeyCheck) -> None:
    """Within each group (a person's unit, a unit's cluster): ids equal but for leading zeros
    (007 and 7), and one name under two ids, are warnings."""
    by_number: dict[tuple[str, str], Keyed] = {}
    by_name: dict[tuple[str, str], Keyed] = {}
    for r in records:
        number = by_number.setdefault((r.group, _leading_zeros(r.id)), r)
        if number is not r:
            result.warnings.append(_("{where}: id {id!r} differs from {other!r} (first at "
                                     "{first}) only by leading zeros, in the same {group}: kept "
                                     "as two {kinds}; check they are not one").format(
                where=r.where, id=r.id, other=number.id, first=number.where,
                group=_(group_word), kinds=_(kind_word)))
        if r.name:
            named = by_name.setdefault((r.group, r.name.casefold()), r)
            if named is not r:
                result.warnings.append(_("{where}: {name} ({group} {group_id}) is also {other!r} "
                                         "(at {first}): the same name in the same {group} under "
                                         "two ids, kept as two {kinds}; check they are not one")
                                       .format(where=r.where, name=r.name, group=_(group_word),
                                               group_id=r.group, other=named.id,
                                               first=named.where, kinds=_(kind_word)))


def group_fields(per_fields: Iterable[str], declared: Mapping[str, str]) -> list[str]:
    """The declared text inputs among the fields quotas and rankings group by (`declared`:
    input name → type), in a stable order."""
    return sorted({f for f in per_fields if declared.get(f) == "text"})




def per_fields(rs: RuleSet, kind: Kind) -> set[str]:
    """Every field the rule set groups records of `kind` by: quotas, rating quotas, ranking."""
    rules = rs.kind(kind)
    fields: set[str] = set()
    for t in rs.titles:
        if t.of == kind and t.quota is not None:
            fields.update(as_tuple(t.quota.per))
    if rules.ranking is not None:
        fields.update(as_tuple(rules.ranking.per))
    if rules.ratings is not None and rules.ratings.quota is not None:
        fields.update(as_tuple(rules.ratings.quota.per))
    return fields


def person_group_fields(rs: RuleSet) -> list[tuple[str, str]]:
    """(field, how messages name it) of every text input people are grouped by."""
    inputs = rs.individual.inputs
    return [(f, f"{f} ({inputs[f].label})") for f in
            group_fields(per_fields(rs, "individual"), {n: s.type for n, s in inputs.items()})]


def check_keys(individuals: list[Record], units: list[Record], rs: RuleSet
               ) -> tuple[list[Record], list[Record], KeyCheck]:
    """The records with their group keys unified, and what was found (module docstring)."""
    units, result = check_unit_keys(units, rs)
    for f, what in person_group_fields(rs):
        individuals = _unify(individuals, what, f, result)
    check_ids([Keyed(r.id, r.name, r.parent, r.origin) for r in individuals], N_("people"),
              N_("unit"), result)
    return individuals, units, result


def check_unit_keys(units: list[Record], rs: RuleSet) -> tuple[list[Record], KeyCheck]:
    """`check_keys` for units alone: their clusters, group fields and ids (the streaming path
    holds every unit at once, but people a part at a time)."""
    result = KeyCheck()
    units = _unify(units, N_("cluster"), None, result)
    inputs = rs.unit.inputs
    for f in group_fields(per_fields(rs, "unit"), {n: s.type for n, s in inputs.items()}):
        units = _unify(units, f"{f} ({inputs[f].label})", f, result)
    check_ids([Keyed(u.id, u.name, u.parent, u.origin) for u in units], N_("units"),
              N_("cluster"),
              result)
    return units, result


def renamed(records: list[Record], name: str, mapping: Mapping[str, str]) -> list[Record]:
    """`records` with field `name` spelt as `mapping` says (see `unify_counted`)."""
    out: list[Record] = []
    for r in records:
        v = r.values.get(name)
        out.append(replace(r, values={**r.values, name: mapping[v]})
                   if isinstance(v, str) and v in mapping else r)
    return out


def where_used(r: Record, column: str) -> str:
    return input_location(r.origin.file, r.origin.row, column, r.origin.sheet)


def _unify(records: list[Record], what: str, name: str | None, result: KeyCheck
           ) -> list[Record]:
    """`records` with one group key unified: the record's group (`name` None) or a field."""
    def value(r: Record) -> object:
        return r.parent if name is None else r.values.get(name)

    counted: dict[str, tuple[str, int]] = {}
    for r in records:
        v = value(r)
        if isinstance(v, str):
            count_spellings(counted, v, partial(where_used, r, name or "cluster"))
    mapping = unify_counted([(t, at, n) for t, (at, n) in counted.items()], what, result)
    if not mapping:
        return records
    if name is not None:
        return renamed(records, name, mapping)
    return [replace(r, parent=mapping[r.parent]) if r.parent in mapping else r for r in records]
