"""The web application: routes, the access token, CSRF, uploads and the one loaded run.

Security model (a test tries each, tests/web/test_web.py):
- bound to 127.0.0.1 by the `serve` command; requests whose Host is not the loopback address
  the server was started on are refused (no DNS rebinding);
- every request needs the access token: given once in the address printed at start
  (`?token=…`), then kept in an HttpOnly, SameSite=Strict cookie; without it: 403;
- every state change is a POST carrying the page's CSRF token, and a POST whose Origin is another
  site is refused;
- uploads are limited in count (MAX_UPLOAD_FILES) and in size per file by the same limit as the
  command line's inputs (`scoring.base.limits`), and kept under a fresh temporary folder;
- every path a form names is resolved inside the folder the server was started on;
- templates escape everything (Jinja2 autoescape); no script at all is served, and the
  Content-Security-Policy forbids scripts and any resource from elsewhere.

Language: every text goes through the catalogue (`scoring.base.i18n`), per request: the switch on
every page (a POST with the CSRF token) keeps the choice in a cookie, and each request (and the
scoring thread it starts) speaks it through `i18n.use_language`, so the command line and other
requests are untouched. Without a choice the page speaks the process's language.
"""

from __future__ import annotations

import contextvars
import csv
import io
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scoring import api
from scoring.base.errors import ScoringError
from scoring.base.i18n import N_, _, language, normalise, reset_language, use_language
from scoring.base.limits import current
from scoring.base.text import collation_key, match_key, nfc
from scoring.checks.diff import compare, effect
from scoring.checks.ruletest import run_examples
from scoring.evaluation.budget import reward_budget
from scoring.evaluation.result import RecordResult, Result
from scoring.explanations.explanation import explain, find_record
from scoring.explanations.text import Heading, Items, Para, Table
from scoring.explanations.text import blocks as explanation_blocks
from scoring.inputs.names import is_rounds
from scoring.inputs.records import RawTable
from scoring.inputs.rounds import COLUMNS, parse_rounds
from scoring.language.show import format_number
from scoring.outputs.manifest import build_manifest, created_now
from scoring.outputs.report import criterion_groups, render_html
from scoring.rulesets.extends import available_years, find_rules_root
from scoring.rulesets.schema import KINDS
from scoring.run.app import Run
from scoring.run.options import Options
from scoring.run.publish import publish

MAX_UPLOAD_FILES = 50  # workbooks dropped at once
MAX_DEPTH = 4  # folders listed below the served one
PAGE_SIZE = 200  # rows of a results table per page; the filters and pages reach every row
UPLOADS = "tai-len"  # where dropped workbooks are kept, inside the served folder
INPUT_SUFFIXES = (".csv", ".xlsx", ".xls", ".json")
EXPORTS = {"xlsx": ("results.xlsx", "application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet"),
           "csv": ("results.csv", "text/csv; charset=utf-8"),
           "json": ("results.json", "application/json"),
           "html": ("bao-cao.html", "text/html; charset=utf-8"),
           "report-en": ("report-en.html", "text/html; charset=utf-8")}
COOKIE = "scoring_token_{port}"  # cookies are per host, not per port: one per server
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
LANG_COOKIE = "scoring_lang_{port}"
GROUP_KEY = re.compile(r"^\s*([A-Z]|[IVXLC]+|\d+)[.)]\s+")  # "A. Thực hiện…" → "A", as the report
# The page a form's answer is shown again by, for the language switch on that answer.
GET_PAGE = {"/load": "/load", "/round": "/changes", "/seal": "/export", "/verify": "/export"}
KIND_LABELS = {"individual": N_("Individuals"), "unit": N_("Units")}
STAGES = {"reading": N_("reading the files"), "evaluating": N_("scoring group by group")}


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Job:
    """A scoring run in a background thread, so the page can show its progress."""

    label: str
    stage: str = ""
    done: int = 0
    total: int = 0
    finished: bool = False
    thread: threading.Thread | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total


@dataclass
class Loaded:
    """What is loaded: the paths given to `run`, the rule choice, and its run."""

    paths: list[Path]
    shown: str
    rules: Path | None
    run: Run
    round_folder: Path  # where a new round file is created when none was read
    allow_incomplete: bool = False  # judged criteria without a round: provisional scores


@dataclass
class State:
    root: Path
    token: str
    csrf: str
    rules: dict[str, Path]  # choice shown → rule set folder
    allowed_hosts: set[str] = field(default_factory=set)
    loaded: Loaded | None = None
    before: Result | None = None  # the result before the last round, to show what changed
    problems: list[str] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)
    job: Job | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Refused(Exception):
    """A request that breaks a constraint: answered with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def rule_choices(extra: Sequence[Path]) -> dict[str, Path]:
    """The rule sets to pick from: every year under rules/, then the folders given."""
    out: dict[str, Path] = {}
    root = find_rules_root(Path.cwd())
    if root is not None:
        for year in available_years(root):
            out[str(year)] = root / str(year)
    for folder in extra:
        out[str(folder)] = folder
    return out


def inside(root: Path, given: str) -> Path:
    """`given` (relative to `root`) resolved, refused when it leaves `root`."""
    if "\x00" in given:
        raise Refused(400, _("Not a valid path."))
    path = (root / given).resolve()
    if not path.is_relative_to(root.resolve()):
        raise Refused(403, _("The path {path!r} is outside the chosen folder.").format(
            path=given))
    return path


def input_folders(root: Path) -> list[str]:
    """Folders under `root` (itself included) holding input files, relative, sorted."""
    found = []
    for path in sorted([root, *(p for p in root.rglob("*") if p.is_dir())]):
        parts = path.relative_to(root).parts
        if len(parts) > MAX_DEPTH or any(p.startswith((".", "__")) for p in parts):
            continue
        if any(f.suffix.lower() in INPUT_SUFFIXES for f in path.iterdir() if f.is_file()):
            found.append(str(path.relative_to(root)) or ".")
    return found


def fmt(value: object) -> str:
    if isinstance(value, Decimal):
        return format_number(value)
    return "" if value is None else str(value)


def money(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("scoring.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = fmt
    env.filters["money"] = money
    env.filters["stage"] = lambda stage: _(STAGES[stage]) if stage in STAGES else stage
    env.globals["_"] = _
    env.globals["group_points"] = group_points
    return env


# ------------------------------------------------------------------------------ the run


def _score(state: State, job: Job, paths: list[Path], shown: str, rules: Path | None,
           round_folder: Path, allow_incomplete: bool = False) -> None:
    try:
        r = api.score(paths, Options(rules=rules, progress=job.progress,
                                     allow_incomplete=allow_incomplete))
    except Exception as e:  # shown on the page, never a silent stale result
        problems = ([str(p) for p in e.problems] if isinstance(e, ScoringError)
                    else [_("internal error: {error}").format(error=repr(e))])
        with state.lock:
            state.problems = problems
            if state.loaded is None or state.loaded.paths != paths:
                state.loaded = None  # never show the data loaded before as if it were this
    else:
        with state.lock:
            if state.loaded is not None and state.loaded.paths == paths:
                state.before = state.loaded.run.result
            else:
                state.before = None
            state.loaded = Loaded(paths, shown, rules, r, round_folder, allow_incomplete)
            state.problems = []
    finally:
        job.finished = True


def start(state: State, label: str, paths: list[Path], shown: str, rules: Path | None,
          round_folder: Path, allow_incomplete: bool = False) -> None:
    job = Job(label)
    # The thread speaks the language of the request that started it (a copy of its context).
    context = contextvars.copy_context()
    job.thread = threading.Thread(target=context.run, daemon=True,
                                  args=(_score, state, job, paths, shown, rules, round_folder,
                                        allow_incomplete))
    state.job = job
    job.thread.start()


def wait(state: State) -> None:
    """Wait for the running job (for tests and the command's shutdown)."""
    job = state.job
    if job is not None and job.thread is not None:
        job.thread.join()


# ---------------------------------------------------------------------------- round files


def round_file(loaded: Loaded) -> Path:
    """The CSV round file read with the inputs, else a new rounds.csv beside them.

    Refused (409) when the rounds read are in a workbook (a "Vòng chấm" sheet or workbook) or
    a JSON file: appending a row there would mean rewriting the secretary's file, and inputs
    are never rewritten; a second round file beside it would split the rounds in two places."""
    books = sorted({(t.file, t.sheet or "") for t in loaded.run.inputs.rounds
                    if not t.file.lower().endswith(".csv")})
    if books:
        file, sheet = books[0]
        raise Refused(409, _("The review rounds of these data are kept in {file} (sheet "
                             "{sheet}), not in a CSV file; the page appends rows only to a CSV "
                             "round file and never rewrites a workbook or a JSON file. Enter "
                             "the points there and load again, or keep the rounds in "
                             "rounds.csv instead.").format(file=file, sheet=sheet or "-"))
    for path in loaded.paths:
        if path.is_file() and is_rounds(path.name):
            return path
        if path.is_dir():
            for f in sorted(path.iterdir()):
                if f.is_file() and is_rounds(f.stem) and f.suffix.lower() == ".csv":
                    return f
    return loaded.round_folder / "rounds.csv"


FORMULA_START = ("=", "+", "@", "\t", "\r")


def append_round(path: Path, row: dict[str, str]) -> None:
    """Append one row to the round file, in its own column order; earlier rows untouched.

    A new file gets the English header. The file must be UTF-8 (with or without BOM)."""
    for name, value in row.items():
        if value.startswith(FORMULA_START) or "\n" in value or "\r" in value:
            raise Refused(400, _("The cell {name!r} cannot start with =, +, @ or hold a line "
                                 "break.").format(name=name))
    if not path.exists():
        header = list(COLUMNS)
        newline = "\n"
        prefix = ",".join(header) + newline
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise Refused(400, _("{file}: not UTF-8, cannot append to it.").format(
                file=path.name)) from e
        first = text.splitlines()[0] if text else ""
        known = {match_key(a): name for name, aliases in COLUMNS.items() for a in aliases}
        header = [known.get(match_key(h), "") for h in next(csv.reader([first]))] if first else []
        newline = "\r\n" if "\r\n" in text else "\n"
        prefix = "" if text.endswith(("\n", "\r")) or not text else newline
        if not first:
            header, prefix = list(COLUMNS), ",".join(COLUMNS) + newline
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerow([row.get(h, "") for h in header])
    with path.open("a", encoding="utf-8", newline="") as f:
        f.write(prefix + out.getvalue())


def check_round(loaded: Loaded, path: Path, row: dict[str, str]) -> None:
    """Refuse a row the next run would refuse, before it is written: the round tables read
    with the inputs and the new row go through `parse_rounds`, as the run will take them
    (unknown id, criterion or round, points out of range or off the step, a computed
    criterion without a reason, a second value for the same round)."""
    r = loaded.run
    shown = next((t.file for t in r.inputs.rounds if Path(t.file).name == path.name),
                 str(path))
    lines = len(path.read_text(encoding="utf-8-sig").splitlines()) if path.exists() else 1
    new = RawTable("unit", shown, tuple(COLUMNS), (tuple(row[c] for c in COLUMNS),),
                   first_row=lines + 1)
    parse_rounds([*r.inputs.rounds, new], r.compiled,
                 {"individual": {x.id for x in r.batch.individuals},
                  "unit": {u.id for u in r.batch.units}})


# ------------------------------------------------------------------------------- pages


def explanation_html(ex: Any) -> list[tuple[str, Any]]:
    """The explanation's blocks (the same as `scoring explain` prints) as template parts."""
    parts: list[tuple[str, Any]] = []
    for b in explanation_blocks(ex):
        if isinstance(b, Heading):
            parts.append(("heading", b))
        elif isinstance(b, Para):
            parts.append(("para", b))
        elif isinstance(b, Table):
            parts.append(("table", b))
        elif isinstance(b, Items):
            parts.append(("items", b))
    return parts


def grouped_criteria(kr: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The criteria of a kind of record in their groups, in rule-set order: (short key, group
    label, [(criterion id, label)]); a criterion without a group is a group of its own. The
    key is the label's leading "A." or "1." when every group has a distinct one (as the
    council's forms number them), else the whole label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in kr.criteria:
        groups.setdefault(c.group or f"\0{c.id}", []).append((c.id, c.label))
    labelled = [(key if not key.startswith("\0") else crits[0][1], crits)
                for key, crits in groups.items()]
    keys = [m.group(1) if (m := GROUP_KEY.match(label)) else "" for label, _c in labelled]
    if "" in keys or len(set(keys)) != len(keys):
        keys = [label for label, _c in labelled]
    return [(key, label, crits) for key, (label, crits) in zip(keys, labelled, strict=True)]


def group_points(r: RecordResult, crits: Sequence[tuple[str, str]]) -> Decimal:
    """The points of `r` in a group: the sum of its criteria's points."""
    return sum((r.point(cid) for cid, _label in crits), Decimal(0))


def cluster_of(result: Result) -> dict[str, str]:
    return {u.id: u.parent for u in result.units}


def filtered(result: Result, kind: str, q: str, cluster: str, unit: str, title: str
             ) -> list[RecordResult]:
    clusters = cluster_of(result)
    records = result.records("unit" if kind == "unit" else "individual")
    key = match_key(q)
    out = []
    for r in records:
        rc = r.parent if r.kind == "unit" else clusters.get(r.parent, "")
        ru = r.id if r.kind == "unit" else r.parent
        if key and key not in match_key(r.name) and key not in match_key(r.id):
            continue
        if cluster and rc != cluster:
            continue
        if unit and ru != unit:
            continue
        if title and title not in r.titles:
            continue
        out.append(r)
    return sorted(out, key=lambda r: (collation_key(r.parent), r.rank, r.id))


def changes(before: Result, after: Result) -> dict[str, Any]:
    """What a new round changed: scores, ranks and titles, for everyone affected."""
    e = effect(before, after, "", threshold=1)
    scores = []
    for kind in KINDS:
        after_by_id = {r.id: r for r in after.records(kind)}
        for a in before.records(kind):
            b = after_by_id.get(a.id)
            if b is not None and (a.score != b.score or a.rank != b.rank):
                scores.append((a, b))
    return {"titles": e.titles, "scores": scores}


def create_app(root: Path, token: str, rules: Sequence[Path] = (), host: str = "127.0.0.1",
               port: int = 8000) -> Starlette:
    """The application serving `root` (the folder a secretary picks inputs in)."""
    state = State(root.resolve(), token, secrets.token_urlsafe(24), rule_choices(rules))
    state.allowed_hosts = {f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")}
    env = _environment()

    lang_cookie = LANG_COOKIE.format(port=port)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        job = state.job
        here = GET_PAGE.get(request.url.path, request.url.path) if request.method == "POST" \
            else request.url.path + (f"?{request.url.query}" if request.url.query else "")
        body = env.get_template(template).render(
            csrf=state.csrf, loaded=state.loaded, path=request.url.path, here=here,
            lang=language(), kinds={k: _(v) for k, v in KIND_LABELS.items()},
            running=job is not None and not job.finished, **context)
        return Response(body, status, media_type="text/html; charset=utf-8")

    async def csrf_form(request: Request) -> Any:
        limits = current()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_UPLOAD_FILES * limits.file_bytes + 1_000_000:
            raise Refused(413, _("The request is too large."))
        form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=100,
                                  max_part_size=1_000_000)
        given = form.get("csrf")
        if not isinstance(given, str) or not secrets.compare_digest(given, state.csrf):
            raise Refused(403, _("The anti-forgery (CSRF) token is missing or wrong; reload the "
                                 "page."))
        for upload in form.getlist("files"):
            if isinstance(upload, UploadFile) and (upload.size or 0) > limits.file_bytes:
                raise Refused(413, _("{file}: over {limit} bytes, the command line's limit "
                                     "(SCORING_MAX_FILE_BYTES).").format(
                                         file=upload.filename, limit=money(
                                             Decimal(limits.file_bytes))))
        return form

    def text(form: Any, name: str) -> str:
        value = form.get(name, "")
        return nfc(value.strip()) if isinstance(value, str) else ""

    async def home(request: Request) -> Response:
        return RedirectResponse("/load", 303)

    async def choose_language(request: Request) -> Response:
        """The language switch: kept in a cookie, then back to the page it was pressed on."""
        form = await csrf_form(request)
        lang = normalise(text(form, "lang"))
        if lang is None:
            raise Refused(400, _("No language {lang!r}.").format(lang=text(form, "lang")))
        target = text(form, "next")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/load"  # only a page of this server
        response = RedirectResponse(target, 303)
        response.set_cookie(lang_cookie, lang, httponly=True, samesite="strict")
        return response

    async def load_page(request: Request) -> Response:
        loaded = state.loaded
        counts: list[tuple[str, str, int]] = []
        if loaded is not None:
            res = loaded.run.result
            people: dict[str, int] = {}
            for r in res.individuals:
                people[r.parent] = people.get(r.parent, 0) + 1
            counts = [(u.parent, f"{u.id} {u.name}", people.get(u.id, 0)) for u in res.units]
        return page(request, "load.html", folders=input_folders(state.root),
                    rules=state.rules, problems=state.problems, counts=counts,
                    root=str(state.root), max_files=MAX_UPLOAD_FILES,
                    max_bytes=current().file_bytes)

    async def load(request: Request) -> Response:
        form = await csrf_form(request)
        choice = text(form, "rules")
        if choice and choice not in state.rules:
            raise Refused(400, _("No rule set {name!r}.").format(name=choice))
        rules = state.rules[choice] if choice else None
        uploads = [u for u in form.getlist("files")
                   if isinstance(u, UploadFile) and u.filename]
        if uploads:
            # Kept in the served folder, a new subfolder each time (never overwriting), so the
            # round file written beside them and a sealed manifest's paths outlive the server.
            (state.root / UPLOADS).mkdir(exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"),
                                           dir=state.root / UPLOADS))
            for u in uploads:
                name = Path(str(u.filename).replace("\\", "/")).name
                if name.startswith(".") or Path(name).suffix.lower() not in INPUT_SUFFIXES:
                    shutil.rmtree(folder)
                    raise Refused(400, _("{file}: only {suffixes} files are taken.").format(
                        file=name, suffixes=", ".join(INPUT_SUFFIXES)))
                (folder / name).write_bytes(await u.read())
            shown = ", ".join(u.filename or "" for u in uploads)
            paths, round_folder = [folder], folder
        else:
            given = text(form, "folder") or "."
            path = inside(state.root, given)
            if not path.is_dir():
                raise Refused(404, _("No folder {folder!r}.").format(folder=given))
            paths, shown, round_folder = [path], given, path
        with state.lock:
            if state.job is not None and not state.job.finished:
                raise Refused(409, _("Scoring is running; wait for it to finish."))
            state.before = None
            start(state, _("Reading and scoring {shown}").format(shown=shown), paths, shown,
                  rules, round_folder, text(form, "allow_incomplete") == "yes")
        return RedirectResponse("/progress", 303)

    async def progress(request: Request) -> Response:
        job = state.job
        if job is None or job.finished:
            target = "/results" if state.loaded is not None and not state.problems else "/load"
            if state.before is not None:
                target = "/changes"
            return RedirectResponse(target, 303)
        return page(request, "progress.html", job=job)

    def need_loaded() -> Loaded:
        if state.loaded is None:
            raise Refused(409, _("No data loaded yet: open the Load data page."))
        return state.loaded

    async def results(request: Request) -> Response:
        if state.loaded is None:
            return RedirectResponse("/load", 303)
        loaded = state.loaded
        res = loaded.run.result
        p = request.query_params
        kind = p.get("kind", "unit")
        kind = kind if kind in KINDS else "unit"
        records = filtered(res, kind, p.get("q", ""), p.get("cluster", ""), p.get("unit", ""),
                           p.get("title", ""))
        criteria = [(c.id, c.label) for c in loaded.run.compiled.ruleset.kind(kind).criteria]
        groups = grouped_criteria(loaded.run.compiled.ruleset.kind(kind))
        titles = [(t, label) for t, label, k in res.titles if k == kind]
        kr = loaded.run.compiled.ruleset.kind(kind)
        spec = kr.inputs.get(kr.ratings.field) if kr.ratings is not None else None
        rating_labels = dict(spec.values or {}) if spec is not None else {}
        quota_rows = []
        for t, label in titles:
            rows = [(r, d) for r in records for d in r.decisions
                    if d.title == t and d.eligible and d.quota is not None]
            rows.sort(key=lambda rd: (rd[1].quota.scope if rd[1].quota else "",
                                      rd[1].quota.rank if rd[1].quota else 0))
            if rows:
                quota_rows.append((t, label, rows))
        pages = max(1, -(-len(records) // PAGE_SIZE))
        number = int(p["page"]) if p.get("page", "").isdigit() else 1
        number = min(max(number, 1), pages)
        shown = records[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        others = {k: v for k, v in p.items() if k != "page"}
        return page(request, "results.html", result=res, kind=kind, records=shown,
                    total=len(records), first=(number - 1) * PAGE_SIZE + 1,
                    page_number=number, pages=pages, others=others,
                    criteria=criteria, groups=groups, titles=titles,
                    all_titles={t: lbl for t, lbl, _kind in res.titles},
                    quota_rows=quota_rows, params=p, rating_labels=rating_labels,
                    clusters=sorted({u.parent for u in res.units}),
                    units=[(u.id, u.name) for u in res.units],
                    budget=reward_budget(res), warnings=res.warnings)

    async def record(request: Request) -> Response:
        loaded = need_loaded()
        res = loaded.run.result
        kind, rid = request.query_params.get("kind", ""), request.query_params.get("id", "")
        match = [r for r in res.records(kind if kind in KINDS else "unit") if r.id == rid]
        if not match:
            try:
                match = [find_record(res, rid)]
            except ScoringError as e:
                raise Refused(404, str(e)) from e
        rec = match[0]
        ex = explain(rec, res, loaded.run.compiled, loaded.run.batch)
        kr = loaded.run.compiled.ruleset.kind(rec.kind)
        items = [(c.id, c.label, c.judged is not None) for c in kr.criteria]
        items += [(a.id, a.label, a.judged is not None) for a in (*kr.bonus, *kr.deductions)]
        round_shown, round_refused = "", ""
        try:
            round_shown = str(round_file(loaded).relative_to(state.root))
        except Refused as e:
            round_refused = e.message
        return page(request, "record.html", rec=rec, parts=explanation_html(ex), items=items,
                    rounds=loaded.run.compiled.ruleset.rounds, round_shown=round_shown,
                    round_refused=round_refused, root=state.root)

    async def add_round(request: Request) -> Response:
        form = await csrf_form(request)
        loaded = need_loaded()
        row = {name: text(form, name) for name in COLUMNS}
        if not row["points"] or not row["criterion"] or not row["round"] or not row["id"]:
            raise Refused(400, _("An id, a criterion, a round and points are needed."))
        path = round_file(loaded)
        try:
            check_round(loaded, path, row)
        except ScoringError as e:
            return page(request, "changes.html", 400, diff=None, notice=[],
                        problems=[str(p) for p in e.problems])
        with state.lock:
            if state.job is not None and not state.job.finished:
                raise Refused(409, _("Scoring is running; wait for it to finish."))
            append_round(path, row)
            state.notice = [_("Appended one row to {file}: {id}, {criterion}, {round}, "
                              "{points}").format(file=path.name, id=row["id"],
                                                 criterion=row["criterion"],
                                                 round=row["round"], points=row["points"])]
            start(state, _("Scoring again with the new round"), loaded.paths, loaded.shown,
                  loaded.rules, loaded.round_folder, loaded.allow_incomplete)
        return RedirectResponse("/progress", 303)

    async def changed(request: Request) -> Response:
        loaded = need_loaded()
        diff = changes(state.before, loaded.run.result) if state.before is not None else None
        return page(request, "changes.html", diff=diff, notice=state.notice,
                    problems=state.problems)

    def manifest_for(loaded: Loaded, fmt_name: str, report: dict[str, object] | None = None
                     ) -> dict[str, Any]:
        """The manifest `scoring score` (or, with `report`, `scoring report`) builds."""
        asked = Options(rules=loaded.rules, allow_incomplete=loaded.allow_incomplete)
        if report is None:
            return api.describe(loaded.run, fmt_name, asked)
        rules = str(loaded.rules) if loaded.rules else None
        r = loaded.run
        return build_manifest(r.result, str(r.rules_folder), r.inputs.files,
                              {"format": fmt_name, "rules": rules, **report}, created_now())

    async def export(request: Request) -> Response:
        loaded = need_loaded()
        fmt_name = request.path_params["fmt"]
        if fmt_name not in EXPORTS:
            raise Refused(404, _("No format {format!r}.").format(format=fmt_name))
        r = loaded.run
        if fmt_name == "report-en":  # as `scoring report --lang en`
            manifest = manifest_for(loaded, "html", {"lang": "en", "previous": None})
            data = render_html(r.result, manifest, lang="en",
                               groups=criterion_groups(r.compiled))
        else:
            data = api.render(fmt_name, r, manifest_for(loaded, fmt_name))
        name, media = EXPORTS[fmt_name]
        return Response(data, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def export_page(request: Request) -> Response:
        need_loaded()
        return page(request, "export.html", exports=EXPORTS, verification=None, sealed=None,
                    root=str(state.root))

    async def seal(request: Request) -> Response:
        form = await csrf_form(request)
        loaded = need_loaded()
        folder = inside(state.root, text(form, "folder") or "ket-qua")
        manifest = manifest_for(loaded, "json")
        target = folder / "results.json"
        try:  # the command line's write path, with its guarantees (`scoring.run.publish`)
            publish(loaded.run, manifest, manifest["options"], [target], {target: "json"},
                    seal=True, force=False, history=None)
        except ScoringError as e:
            return page(request, "export.html", 409, exports=EXPORTS, verification=None,
                        sealed=None, problems=[str(p) for p in e.problems],
                        root=str(state.root))
        return page(request, "export.html", exports=EXPORTS, verification=None,
                    sealed=str(folder.relative_to(state.root)), root=str(state.root))

    async def verify(request: Request) -> Response:
        form = await csrf_form(request)
        need_loaded()
        folder = inside(state.root, text(form, "folder") or "ket-qua")
        try:
            v = api.verify(folder)
        except ScoringError as e:
            return page(request, "export.html", exports=EXPORTS, sealed=None,
                        verification=None, problems=[str(p) for p in e.problems],
                        root=str(state.root))
        return page(request, "export.html", exports=EXPORTS, sealed=None,
                    verification=(str(folder.relative_to(state.root)), v.identical,
                                  v.problems), root=str(state.root))

    async def rules_page(request: Request) -> Response:
        loaded = need_loaded()
        compiled = loaded.run.compiled
        outcomes = run_examples(compiled)
        other = request.query_params.get("compare", "")
        report, problems = None, []
        if other:
            if other not in state.rules:
                raise Refused(400, _("No rule set {name!r}.").format(name=other))
            try:
                report = compare(loaded.run.rules_folder, state.rules[other], loaded.paths,
                                 threshold=1)
            except ScoringError as e:
                problems = [str(p) for p in e.problems]
        return page(request, "rules.html", rs=compiled.ruleset, folder=loaded.run.rules_folder,
                    outcomes=outcomes, rules=state.rules, other=other, report=report,
                    problems=problems)

    routes = [
        Route("/", home), Route("/load", load_page), Route("/load", load, methods=["POST"]),
        Route("/language", choose_language, methods=["POST"]),
        Route("/progress", progress), Route("/results", results), Route("/record", record),
        Route("/round", add_round, methods=["POST"]), Route("/changes", changed),
        Route("/export", export_page), Route("/export/{fmt}", export),
        Route("/seal", seal, methods=["POST"]), Route("/verify", verify, methods=["POST"]),
        Route("/rules", rules_page),
        Mount("/static", StaticFiles(packages=[("scoring.web", "static")]), name="static"),
    ]
    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return page(request, "error.html", exc.status, message=exc.message)

    cookie_name = COOKIE.format(port=port)

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                    ) -> Response:
        chosen = use_language(normalise(request.cookies.get(lang_cookie)) or language())
        try:
            return await checked(request, call_next)
        finally:
            reset_language(chosen)

    async def checked(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                      ) -> Response:
        if request.headers.get("host", "") not in state.allowed_hosts:
            return PlainTextResponse(_("This host is not allowed."), 403)
        given = request.query_params.get("token")
        if given is not None and secrets.compare_digest(given, state.token):
            rest = request.url.remove_query_params("token")
            target = rest.path + (f"?{rest.query}" if rest.query else "")
            response: Response = RedirectResponse(target, 303)
            response.set_cookie(cookie_name, state.token, httponly=True, samesite="strict")
            return response
        cookie = request.cookies.get(cookie_name, "")
        if not secrets.compare_digest(cookie.encode(), state.token.encode()):
            return PlainTextResponse(_("The access token is needed: open the address with "
                                       "?token=… that scoring serve printed."), 403)
        if request.method not in ("GET", "HEAD", "POST"):
            return PlainTextResponse(_("This method is not allowed."), 405)
        origin = request.headers.get("origin")
        if request.method == "POST" and origin is not None and \
                origin.removeprefix("http://") not in state.allowed_hosts:
            return PlainTextResponse(_("A request from another site is refused."), 403)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer makes Origin null
        response.headers["Cache-Control"] = "no-store"
        return response

    app = Starlette(routes=routes, exception_handlers={Refused: refused},
                    middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)])
    app.state.web = state
    return app
