"""An example's records read and its expectations compared.

Shared by the examples of one record (`checks.ruletest`) and the scenarios of several
(`checks.scenario`): how a value written in an example is read, which `expect:` keys exist, and
how what was expected of a record is compared with what the rules gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.evaluation.result import RecordResult, TitleDecision
from scoring.inputs.records import Origin, Record, record_model
from scoring.language.show import format_number
from scoring.rulesets import schema_text
from scoring.rulesets.compile import IDENTITY, Compiled
from scoring.rulesets.schema import Example, Kind

EXPECT_KEYS = ("score", "points", "titles", "not_titles", "hits", "rating", "reward")


SUBJECT_ID = {"individual": "EX1", "unit": "EXU"}


def read_record(compiled: Compiled, kind: Kind, given: dict[str, Any], ex: Example, label: str,
            identity: dict[str, str], problems: list[str],
            optional: set[str] | frozenset[str] = frozenset()) -> Record:
    """A validated record from an example's values, with defaults filled as a CSV's would be;
    the inputs named in `optional` may be left out (they are then missing)."""
    inputs = {n: s.model_copy(update={"required": False}) if n in optional else s
              for n, s in compiled.kind(kind).inputs.items()}
    overridable = ("name",) if kind == "individual" else ("name", "cluster")
    data: dict[str, Any] = dict(identity)
    for key, value in given.items():
        if key in inputs or key in overridable:
            data[key] = value
            continue
        known = [*inputs, *overridable]
        close = suggest(key, known)
        hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
        problems.append(_("{label}: unknown input {key!r}{hint}").format(label=label, key=key,
                                                                           hint=hint))
    for name in inputs:
        data.setdefault(name, None)
    model = record_model(kind, inputs)
    prefix = "unit" if label == "unit" else label
    try:
        values = model.model_validate(data).model_dump()
    except ValidationError as e:
        for loc, code, msg in schema_text.problems(e.errors(), data):
            field = str(loc[0]) if loc else ""
            found = data.get(field)
            told = code not in ("value_error", "assertion_error")  # the value is in `msg`
            shown = "" if found is None or told else _(" (found {value})").format(
                value=repr(found) if isinstance(found, str) else show(found))
            problems.append(f"{prefix}.{field}: {msg}{shown}")
        values = {}
    ident = {k: str(values.pop(k, identity.get(k, ""))) for k in IDENTITY[kind]}
    values.pop("year", None)
    file, _colon, line = ex.source.rpartition(":")
    origin = Origin(file or ex.source, int(line) if line.isdigit() else 0)
    group = ident["unit_id" if kind == "individual" else "cluster"]
    return Record(kind, ident["id"], ident["name"], group, values, origin)


def check_record_expect(ex: Example, compiled: Compiled) -> list[str]:
    """What is wrong with the `expect:` mapping itself (keys, ids, value types)."""
    problems: list[str] = []
    kind: Kind = "individual" if ex.individual is not None else "unit"
    ck = compiled.kind(kind)
    criteria = {c.spec.id for c in ck.criteria}
    titles = {t.spec.id for t in ck.titles}
    for key, value in ex.expect.items():
        if key not in EXPECT_KEYS:
            close = suggest(key, EXPECT_KEYS)
            hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
            problems.append(_("expect: unknown key {key!r}{hint}; keys: {keys}").format(
                key=key, hint=hint, keys=", ".join(EXPECT_KEYS)))
        elif key == "score" and number(value) is None:
            problems.append(_("expect.score: {value!r} is not a number").format(value=value))
        elif key == "points":
            if not isinstance(value, Mapping):
                problems.append(_("expect.points: expected a mapping of criterion id to points"))
                continue
            for cid, pts in value.items():
                if cid not in criteria:
                    problems.append(_(CRITERION_OF[kind]).format(
                        id=cid, hint=did_you_mean(str(cid), criteria)))
                elif number(pts) is None:
                    problems.append(_("expect.points.{id}: {value!r} is not a number").format(
                        id=cid, value=pts))
        elif key in ("titles", "not_titles"):
            if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
                problems.append(_("expect.{key}: expected a list of title ids").format(key=key))
                continue
            problems += [_(TITLE_OF[kind]).format(key=key, id=t,
                                                  hint=did_you_mean(t, titles))
                         for t in value if t not in titles]
        elif key == "reward" and number(value) is None:
            problems.append(_("expect.reward: {value!r} is not a number (đồng)").format(
                value=value))
        elif key == "hits" and (not isinstance(value, list | tuple)
                                or not all(isinstance(h, str) for h in value)):
            problems.append(_("expect.hits: expected a list of rule ids"))
    return problems


CRITERION_OF = {"individual": N_("expect.points: {id!r} is not an individual criterion{hint}"),
                "unit": N_("expect.points: {id!r} is not a unit criterion{hint}")}


TITLE_OF = {"individual": N_("expect.{key}: {id!r} is not an individual title{hint}"),
            "unit": N_("expect.{key}: {id!r} is not a unit title{hint}")}


def did_you_mean(word: str, known: set[str]) -> str:
    close = suggest(word, sorted(known))
    return _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""


def number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)) if isinstance(value, int | Decimal | str) else None
    except InvalidOperation:
        return None


def show(value: object) -> str:
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def compare_record(expect: Mapping[str, Any], rec: RecordResult) -> list[str]:
    """One line per expectation that the result does not meet."""
    out: list[str] = []
    if "score" in expect:
        want = number(expect["score"])
        if want != rec.score:
            out.append(_("score: expected {want}, got {got}").format(want=show(want),
                                                                     got=show(rec.score)))
    for cid, pts in dict(expect.get("points", {})).items():
        want = number(pts)
        if want != rec.point(cid):
            out.append(_("points.{id}: expected {want}, got {got}").format(
                id=cid, want=show(want), got=show(rec.point(cid))))
    decisions = {d.title: d for d in rec.decisions}
    if "titles" in expect:
        want_titles = set(expect["titles"])
        got = set(rec.titles)
        if want_titles != got:
            order = [d.title for d in rec.decisions]
            out.append(_("titles: expected {want}, got {got}").format(
                want=show(sorted(want_titles, key=order.index)),
                got=show(sorted(got, key=order.index))))
            out += [f"  {t}: {why_not(decisions[t])}" for t in order
                    if t in want_titles - got]
    out += [_("not_titles: {title} was awarded").format(title=t)
            for t in expect.get("not_titles", ()) if t in rec.titles]
    fired = {h.rule for h in rec.hits if h.condition} | {h.item for h in rec.hits if h.condition}
    missing = [h for h in expect.get("hits", ()) if h not in fired]
    if missing:
        shown = sorted(h.rule for h in rec.hits if h.condition)
        out.append(_("hits: expected {want} to fire; fired: {got}").format(
            want=show(missing), got=show(shown)))
    if "reward" in expect and number(expect["reward"]) != rec.reward:
        detail = ", ".join(f"{t} {format_number(a)}" for t, a in rec.rewards) or _("none")
        detail += "".join(_("; {title} {amount} not paid: {paid} rewards the same achievement")
                          .format(title=u.title, amount=format_number(u.amount),
                                  paid=u.paid) for u in rec.not_paid)
        out.append(_("reward: expected {want}, got {got} ({detail})").format(
            want=expect["reward"], got=format_number(rec.reward), detail=detail))
    if "rating" in expect:
        got_rating = rec.rating.final if rec.rating is not None else None
        if got_rating != expect["rating"]:
            out.append(_("rating: expected {want}, got {got}").format(
                want=expect["rating"],
                got=got_rating if got_rating is not None else _("no rating")))
    return out


def why_not(d: TitleDecision) -> str:
    """Why a title was not awarded: failed prerequisites, a gate, or the quota's cut."""
    if d.gated_by:
        return _("blocked by {gates}").format(gates=", ".join(d.gated_by))
    failed = [f"{p.condition} ({p.detail})" for p in d.prerequisites if not p.met]
    if failed:
        return _("not met: {conditions}").format(conditions="; ".join(failed))
    q = d.quota
    if q is not None and q.cut:
        return _("cut by the quota ({scope}: rank {rank}, {places} place(s))").format(
            scope=q.scope, rank=q.rank, places=q.places)
    return _("not awarded")
