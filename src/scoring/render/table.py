"""Terminal tables, and the orderings that every human-facing output shares.

Councils read results as ranked lists: the cluster tables (units by rank), then the holders of
each title. The workbook shows the same lists, so the orderings live here as functions
(`cluster_groups`, `title_holders`, `title_summaries`) that `xlsxout` reuses; a list must never
read differently on screen and in the file sent to the council. Every ordering ends with the id,
so it is total and independent of input order; text is compared with the Vietnamese collation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tabulate import tabulate

from scoring.budget import reward_budget
from scoring.expr import format_number
from scoring.render.safe import neutral, safe_number
from scoring.result import QuotaDecision, RecordResult, Result
from scoring.ruleset import Kind
from scoring.text import CollationKey, collation_key, name_sort_key

__all__ = [
    "KIND_LABELS",
    "Holder",
    "TitleSummary",
    "cluster_groups",
    "member_groups",
    "rank_order",
    "render_tables",
    "show_number",
    "title_holders",
    "title_summaries",
]

KIND_LABELS: dict[Kind, str] = {"individual": "cá nhân", "unit": "đơn vị"}
TABLE_FORMAT = "simple"
_NO_ROWS = "(không có)"


def show_number(d: Decimal) -> str:
    """A number as people read it: 40, 12.5, 0.666667 (see `safe_number`)."""
    return format_number(safe_number(d))


def rank_order(r: RecordResult) -> tuple[CollationKey, int, str]:
    """Sort key: records by their ranking scope, then by rank within it."""
    return collation_key(r.rank_scope), r.rank, r.id


def cluster_groups(result: Result) -> list[tuple[str, list[RecordResult]]]:
    """Units grouped by cluster, clusters in Vietnamese order, units in rank order."""
    groups: dict[str, list[RecordResult]] = {}
    for u in result.units:
        groups.setdefault(u.group, []).append(u)
    return [(cluster, sorted(groups[cluster], key=rank_order))
            for cluster in sorted(groups, key=collation_key)]


def member_groups(result: Result) -> list[tuple[str, str, list[RecordResult]]]:
    """(unit id, unit name, individuals in rank order) for each unit, units in id order.

    Individuals whose unit is not among the scored units still appear, after the known units,
    under their unit id, so that no one drops out of the list.
    """
    groups: dict[str, list[RecordResult]] = {}
    for r in result.individuals:
        groups.setdefault(r.group, []).append(r)
    names = {u.id: u.name for u in result.units}
    order = [u.id for u in result.units if u.id in groups]
    order += sorted((g for g in groups if g not in names), key=collation_key)
    return [(g, names.get(g, ""), sorted(groups[g], key=rank_order)) for g in order]


@dataclass(frozen=True)
class Holder:
    """A record that holds a title, with its place in the title's list."""

    rank: int  # quota rank within `scope`, or the place by score for titles without a quota
    scope: str  # the quota scope, "" for titles without a quota
    record: RecordResult


def _quota(r: RecordResult, title: str) -> QuotaDecision | None:
    return next((d.quota for d in r.decisions if d.title == title), None)


def title_holders(result: Result, title: str, kind: Kind) -> list[Holder]:
    """Holders of a title: by quota scope and quota rank, or by score then name without one."""
    quota_holders: list[Holder] = []
    plain: list[RecordResult] = []
    for r in result.records(kind):
        if title not in r.titles:
            continue
        q = _quota(r, title)
        if q is None:
            plain.append(r)
        else:
            quota_holders.append(Holder(q.rank, q.scope, r))
    quota_holders.sort(key=lambda h: (collation_key(h.scope), h.rank, h.record.id))
    plain.sort(key=lambda r: (-r.score, name_sort_key(r.name), r.id))
    return quota_holders + [Holder(i + 1, "", r) for i, r in enumerate(plain)]


@dataclass(frozen=True)
class TitleSummary:
    """How many hold a title and, for a quota title, how many qualified but were cut."""

    id: str
    label: str
    kind: Kind
    awarded: int
    cut: int | None  # None: no quota decided for this title in this result


def title_summaries(result: Result) -> list[TitleSummary]:
    """One summary per title, in the rule set's decision order."""
    out = []
    for tid, label, kind in result.titles:
        records = result.records(kind)
        quotas = [q for r in records if (q := _quota(r, tid)) is not None]
        awarded = sum(1 for r in records if tid in r.titles)
        cut = sum(1 for q in quotas if q.cut) if quotas else None
        out.append(TitleSummary(tid, label, kind, awarded, cut))
    return out


def _clean(s: str) -> str:
    """Replace control and format characters, so a submitted name cannot drive the terminal
    (ESC codes) or reorder what it shows (bidi controls): see `safe.neutral`."""
    return neutral(s)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    if not rows:
        return _NO_ROWS
    # No number parsing: an id such as "007" must print as typed, and numbers are already text.
    return tabulate(
        [[_clean(c) for c in row] for row in rows],
        headers=list(headers),
        tablefmt=TABLE_FORMAT,
        disable_numparse=True,
        colalign=["right" if n else "left" for n in numeric],
    )


def _header(result: Result) -> str:
    counts = (f"{len(result.individuals)} {KIND_LABELS['individual']}, "
              f"{len(result.units)} {KIND_LABELS['unit']}")
    line = _clean(f"Bộ tiêu chí {result.ruleset} ({result.year}) {result.name} · "
                  f"hash {result.hash[:12]} · {counts} · {len(result.warnings)} cảnh báo")
    provisional = [r.id for r in (*result.individuals, *result.units) if r.provisional]
    if provisional:
        line += _clean(f"\nKẾT QUẢ TẠM THỜI (provisional): {len(provisional)} hồ sơ còn thiếu "
                       f"điểm chấm ở tiêu chí chấm theo đánh giá: {', '.join(provisional)}")
    return line


def _cluster_sections(result: Result) -> list[str]:
    out = []
    for cluster, units in cluster_groups(result):
        rows = [[str(u.rank), u.id, u.name, show_number(u.score), ", ".join(u.titles)]
                for u in units]
        table = _table(["Hạng", "Mã", "Tên đơn vị", "Điểm", "Danh hiệu"], rows,
                       [True, False, False, True, False])
        out.append(f"{_clean(f'Khối/cụm thi đua: {cluster}')}\n{table}")
    return out


def _title_sections(result: Result) -> list[str]:
    out = []
    for s in title_summaries(result):
        holders = title_holders(result, s.id, s.kind)
        group_label = "Đơn vị" if s.kind == "individual" else "Cụm"
        headers = ["Hạng", "Mã", "Tên", group_label, "Điểm"]
        rows = [[str(h.rank), h.record.id, h.record.name, h.record.group,
                 show_number(h.record.score)] for h in holders]
        numeric = [True, False, False, False, True]
        if s.cut is not None:
            headers.insert(0, "Phạm vi hạn mức")
            rows = [[h.scope, *row] for h, row in zip(holders, rows, strict=True)]
            numeric.insert(0, False)
        line = f"Được công nhận: {s.awarded}"
        if s.cut is not None:
            line += f"; không được do vượt hạn mức: {s.cut}"
        heading = _clean(f"{s.label} ({s.id}), {KIND_LABELS[s.kind]}")
        out.append(f"{heading}\n{_table(headers, rows, numeric)}\n{line}")
    return out


def _member_sections(result: Result) -> list[str]:
    out = []
    for unit_id, unit_name, members in member_groups(result):
        rows = [[str(r.rank), r.id, r.name, show_number(r.score), ", ".join(r.titles)]
                for r in members]
        table = _table(["Hạng", "Mã", "Họ và tên", "Điểm", "Danh hiệu"], rows,
                       [True, False, False, True, False])
        heading = f"{unit_name} ({unit_id})" if unit_name else f"Đơn vị {unit_id}"
        out.append(f"{_clean(heading)}\n{table}")
    return out


def _money(d: Decimal) -> str:
    """Whole đồng with dots between thousands, as Vietnamese documents write them."""
    return f"{int(d):,}".replace(",", ".")


def _budget_section(result: Result) -> list[str]:
    if result.base_salary is None:
        return []
    budget = reward_budget(result)
    labels = {tid: label for tid, label, _kind in result.titles}
    rows = [[f"{labels.get(t, t)} ({t})", _money(a)] for t, a in budget.per_title.items()]
    rows.append(["Cộng", _money(budget.total)])
    clusters = [[c, _money(a)] for c, a in budget.per_cluster.items()]
    return [_clean(f"Dự toán tiền thưởng: {result.reward_rule}"),
            _table(["Danh hiệu", "Thành tiền (đồng)"], rows, [False, True]),
            _table(["Khối/cụm thi đua", "Thành tiền (đồng)"], clusters, [False, True])]


def render_tables(result: Result, individual_tables: bool = False) -> str:
    """Render the ranked cluster tables and title lists as plain text for a terminal.

    With `individual_tables`, each unit's individuals follow, in rank order.
    """
    sections = [_header(result), *_cluster_sections(result), *_title_sections(result),
                *_budget_section(result)]
    if individual_tables:
        sections += _member_sections(result)
    return "\n\n".join(sections) + "\n"
