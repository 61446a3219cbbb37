"""Terminal tables, and the orderings that every human-facing output shares.

Councils read results as ranked lists: the cluster tables (units by rank), then the holders of
each title. The workbook shows the same lists, so the orderings live here as functions
(`cluster_groups`, `title_holders`, `title_summaries`) that `xlsxout` reuses; a list must never
read differently on screen and in the file sent to the council. Every ordering ends with the id,
so it is total and independent of input order; text is compared with the Vietnamese collation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tabulate import tabulate

from scoring.base.choices import TERMINAL_ROWS
from scoring.base.rounding import safe_number
from scoring.base.text import CollationKey, collation_key, name_sort_key
from scoring.evaluation import conditions
from scoring.evaluation.budget import reward_budget
from scoring.evaluation.result import QuotaDecision, RecordResult, Result, TitleDecision
from scoring.explanations.vocab import Vocab
from scoring.language.show import format_number
from scoring.outputs.safe import neutral
from scoring.rulesets.schema import Kind

__all__ = [
    "KIND_LABELS",
    "TERMINAL_ROWS",
    "Holder",
    "TitleSummary",
    "cluster_groups",
    "holders_by_cluster",
    "member_groups",
    "provisional_line",
    "rank_order",
    "render_tables",
    "show_number",
    "title_holders",
    "title_summaries",
]

KIND_LABELS: dict[Kind, str] = {"individual": "cá nhân", "unit": "đơn vị"}
TABLE_FORMAT = "simple"
_NO_ROWS = "(không có)"
SHOWN_IDS = 10  # ids listed in the provisional banner before "and N others"


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
        groups.setdefault(u.parent, []).append(u)
    return [(cluster, sorted(groups[cluster], key=rank_order))
            for cluster in sorted(groups, key=collation_key)]


def member_groups(result: Result) -> list[tuple[str, str, list[RecordResult]]]:
    """(unit id, unit name, individuals in rank order) for each unit, units in id order.

    Individuals whose unit is not among the scored units still appear, after the known units,
    under their unit id, so that no one drops out of the list.
    """
    groups: dict[str, list[RecordResult]] = {}
    for r in result.individuals:
        groups.setdefault(r.parent, []).append(r)
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


def provisional_records(result: Result) -> list[RecordResult]:
    """The records scored with a judged criterion still missing (`--allow-incomplete`)."""
    return [r for r in (*result.individuals, *result.units) if r.provisional]


def provisional_line(result: Result, shown: int = SHOWN_IDS) -> str:
    """One line saying the result is provisional and for whom (the first ids), or ""."""
    records = provisional_records(result)
    if not records:
        return ""
    ids = ", ".join(r.id for r in records[:shown])
    more = f" và {len(records) - shown} hồ sơ khác" if len(records) > shown else ""
    return (f"KẾT QUẢ TẠM THỜI: {len(records)} hồ sơ còn thiếu điểm chấm ở tiêu chí chấm theo "
            f"đánh giá ({ids}{more})")


def _header(result: Result) -> str:
    counts = (f"{len(result.individuals)} {KIND_LABELS['individual']}, "
              f"{len(result.units)} {KIND_LABELS['unit']}")
    lines = [f"Bộ tiêu chí {result.ruleset} ({result.year}) {result.name} · "
             f"hash {result.hash[:12]} · {counts} · {len(result.warnings)} cảnh báo"]
    provisional = provisional_line(result)
    if provisional:
        lines += ["", provisional]
    # Each line cleaned on its own: the line break between them is not a submitted character.
    return "\n".join(_clean(line) for line in lines)


def unit_clusters(result: Result) -> dict[str, str]:
    """Each unit id's cluster, to place a person (whose group is their unit) in a cluster."""
    return {u.id: u.parent for u in result.units}


def cluster_of(r: RecordResult, clusters: dict[str, str]) -> str:
    """The cluster of a unit, or of a person's unit ("" when the unit was not scored)."""
    return r.parent if r.kind == "unit" else clusters.get(r.parent, "")


def _cluster_name(cluster: str) -> str:
    return cluster or "(đơn vị không có trong danh sách đơn vị)"


def _summary_section(result: Result) -> list[str]:
    """Per cluster: its units and people, and how many hold (or were cut from) each title."""
    clusters = unit_clusters(result)
    summaries = title_summaries(result)
    quota = any(s.cut is not None for s in summaries)
    counts: dict[str, dict[str, int]] = {}
    for r in (*result.units, *result.individuals):
        c = counts.setdefault(cluster_of(r, clusters), {"unit": 0, "individual": 0})
        c[r.kind] += 1
        for held in r.titles:
            c[held] = c.get(held, 0) + 1
        for d in r.decisions:
            if d.quota is not None and d.quota.cut:
                c[f"cut:{d.title}"] = c.get(f"cut:{d.title}", 0) + 1
    headers = ["Khối/cụm thi đua", "Đơn vị", "Cá nhân", "Danh hiệu", "Được công nhận"]
    if quota:
        headers.append("Vượt hạn mức")
    rows = []
    for cluster in sorted(counts, key=collation_key):
        c = counts[cluster]
        first = [_cluster_name(cluster), str(c["unit"]), str(c["individual"])]
        for i, t in enumerate(summaries):
            row = [*(first if i == 0 else ["", "", ""]), t.label, str(c.get(t.id, 0))]
            if quota:
                row.append("" if t.cut is None else str(c.get(f"cut:{t.id}", 0)))
            rows.append(row)
        if not summaries:
            rows.append([*first, "", ""])
    numeric = [False, True, True, False, True, True]
    return [f"Tóm tắt theo khối/cụm thi đua\n{_table(headers, rows, numeric[:len(headers)])}"]


def _cluster_sections(result: Result, vocab: Vocab) -> list[str]:
    awarded = {s.id: s.awarded for s in title_summaries(result)}
    out = []
    for cluster, units in cluster_groups(result):
        rows = [[str(u.rank), u.id, u.name, show_number(u.score), vocab.short_titles(u.titles)]
                for u in units]
        table = _table(["Hạng", "Mã", "Tên đơn vị", "Điểm", "Danh hiệu"], rows,
                       [True, False, False, True, False])
        reasons = [_clean(f"{u.id} ({show_number(u.score)} điểm) không có danh hiệu: "
                          f"{why_no_title(u, awarded, vocab)}")
                   for u in high_without_title(units)]
        out.append("\n".join([_clean(f"Khối/cụm thi đua: {cluster}"), table, *reasons]))
    return out


def high_without_title(units: Sequence[RecordResult]) -> list[RecordResult]:
    """Units of one cluster with no title although they score at least as much as the lowest
    scoring unit of the cluster that holds one: the council will ask why."""
    held = [u.score for u in units if u.titles]
    if not held:
        return []
    return [u for u in units if not u.titles and u.score >= min(held)]


def why_no_title(r: RecordResult, awarded: Mapping[str, int], vocab: Vocab | None = None
                 ) -> str:
    """Why a record holds no title, in one line, for the title the council asks about: the
    one most often awarded (`awarded`: holders per title), the basic title of its kind rather
    than a distinction; then the one it came closest to (fewest unmet prerequisites, gates and
    quota cuts); then the first decided. What stopped it: each unmet prerequisite, gate, cut."""
    decisions = [d for d in r.decisions if not d.awarded]
    if not decisions:
        return "không có danh hiệu nào được xét"

    def order(d: TitleDecision) -> tuple[int, int]:
        return -awarded.get(d.title, 0), (sum(1 for p in d.prerequisites if not p.met)
                                          + len(d.gated_by)
                                          + (1 if d.quota is not None and d.quota.cut else 0))

    d = min(decisions, key=order)  # min keeps the first of equals: the decision order
    vocab = vocab or Vocab()
    gates = {h.item: h.label for h in r.hits if h.section == "gates"}
    reasons = [f"chưa đạt điều kiện {conditions.said(p)}" for p in d.prerequisites if not p.met]
    reasons += [f"bị chặn bởi {gates.get(g) or g}" for g in d.gated_by]
    if d.quota is not None and d.quota.cut:
        reasons.append(f"vượt hạn mức (hạng {d.quota.rank}, {d.quota.places} suất, "
                       f"{vocab.scope(d.quota.scope, r.kind)})")
    return f"{d.label}: {'; '.join(reasons) or 'không được công nhận'}"


def holders_by_cluster(result: Result, title: str, kind: Kind
                       ) -> list[tuple[str, list[Holder]]]:
    """`title_holders` per cluster (of a person's unit), clusters in Vietnamese order. Holders
    of a title without a quota are placed by score within their cluster."""
    clusters = unit_clusters(result)
    groups: dict[str, list[Holder]] = {}
    for h in title_holders(result, title, kind):
        groups.setdefault(cluster_of(h.record, clusters), []).append(h)
    out = []
    for cluster in sorted(groups, key=collation_key):
        holders = groups[cluster]
        if all(h.scope == "" for h in holders):
            holders = [replace(h, rank=i + 1) for i, h in enumerate(holders)]
        out.append((cluster, holders))
    return out


def _title_sections(result: Result, shown: int | None, vocab: Vocab) -> list[str]:
    out = []
    for s in title_summaries(result):
        group_label = "Đơn vị" if s.kind == "individual" else "Cụm"
        headers = ["Hạng", "Mã", "Tên", group_label, "Điểm"]
        numeric = [True, False, False, False, True]
        if s.cut is not None:
            headers.insert(0, "Phạm vi hạn mức")
            numeric.insert(0, False)
        line = f"Được công nhận: {s.awarded}"
        if s.cut is not None:
            line += f"; không được do vượt hạn mức: {s.cut}"
        parts = [_clean(f"{s.label}, {KIND_LABELS[s.kind]}"), line]
        for cluster, holders in holders_by_cluster(result, s.id, s.kind):
            rows = [[str(h.rank), h.record.id, h.record.name, h.record.parent,
                     show_number(h.record.score)] for h in holders[:shown]]
            if s.cut is not None:
                rows = [[vocab.scope(h.scope, s.kind), *row]
                        for h, row in zip(holders, rows, strict=False)]
            parts += ["", _clean(f"{_cluster_name(cluster)}: {len(holders)}"),
                      _table(headers, rows, numeric)]
            if shown is not None and len(holders) > shown:
                parts.append(f"… và {len(holders) - shown} {KIND_LABELS[s.kind]} khác "
                             "(--full để xem tất cả)")
        if not s.awarded:
            parts.append(_NO_ROWS)
        out.append("\n".join(parts))
    return out


def _member_sections(result: Result, vocab: Vocab) -> list[str]:
    out = []
    for unit_id, unit_name, members in member_groups(result):
        rows = [[str(r.rank), r.id, r.name, show_number(r.score), vocab.short_titles(r.titles)]
                for r in members]
        table = _table(["Hạng", "Mã", "Họ và tên", "Điểm", "Danh hiệu"], rows,
                       [True, False, False, True, False])
        heading = f"{unit_name} ({unit_id})" if unit_name else f"Đơn vị {unit_id}"
        out.append(f"{_clean(heading)}\n{table}")
    return out


def _budget_section(result: Result, vocab: Vocab) -> list[str]:
    if result.base_salary is None:
        return []
    budget = reward_budget(result)
    money = vocab.money
    rows = [[vocab.title(t), money(a)] for t, a in budget.per_title.items()]
    rows.append(["Cộng", money(budget.total)])
    clusters = [[c, money(a)] for c, a in budget.per_cluster.items()]
    out = [_clean(f"Dự toán tiền thưởng: {result.reward_rule}"),
           _table(["Danh hiệu", "Thành tiền"], rows, [False, True]),
           _table(["Khối/cụm thi đua", "Thành tiền"], clusters, [False, True])]
    if budget.not_paid:
        kept = [[vocab.title(t), money(a)] for t, a in budget.not_paid.items()]
        kept.append(["Cộng", money(sum(budget.not_paid.values(), Decimal(0)))])
        out += [_clean("Không chi do cùng thành tích (mỗi thành tích chỉ nhận mức thưởng cao "
                       "nhất, NĐ 91/2017/NĐ-CP Điều 66 khoản 2 điểm c):"),
                _table(["Danh hiệu", "Không chi"], kept, [False, True])]
    return out


def render_tables(result: Result, individual_tables: bool = False,
                  shown: int | None = None, vocab: Vocab | None = None) -> str:
    """Render the ranked cluster tables and title lists as plain text for a terminal.

    First a summary per cluster and title, then each cluster's units with the reason of any
    unit that scores well but holds no title, then each title's holders per cluster. With
    `shown`, at most that many holders per title and cluster, and a line counting the others
    (what a terminal shows; the files hold every row). With `individual_tables`, each unit's
    individuals follow, in rank order. Titles, scopes and amounts are shown through `vocab`
    (default: the result's own labels, in Vietnamese): labels, never the rule set's codes.
    """
    vocab = vocab or Vocab.of(result)
    sections = [_header(result), *_summary_section(result), *_cluster_sections(result, vocab),
                *_title_sections(result, shown, vocab), *_budget_section(result, vocab)]
    if individual_tables:
        sections += _member_sections(result, vocab)
    return "\n\n".join(sections) + "\n"
