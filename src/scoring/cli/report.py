"""`scoring report`: the council's HTML report, one self-contained file."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scoring.base.choices import REPORT_LANGS
from scoring.base.document import read_results
from scoring.base.errors import InputError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli, echo_warnings
from scoring.outputs.atomic import check_apart, is_stdout, write_atomic_many

if TYPE_CHECKING:
    from scoring.outputs.report.changes import Previous


def read_previous(path: Path) -> tuple[Previous, dict[str, str]]:
    """Last year's JSON output (either format), read, and its path and SHA-256 for the
    manifest."""
    from scoring.outputs.report.changes import parse_previous

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.one(str(path), _("cannot read: {reason}").format(
            reason=exc.strerror or exc)) from exc
    parsed = read_results(data, str(path))  # either format of the JSON output
    digest = hashlib.sha256(data).hexdigest()
    return parse_previous(parsed, str(path)), {"path": path.as_posix(), "sha256": digest}


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", type=click.Path(path_type=Path), default=None,
              help=N_("Rule set folder (default: the newest under rules/ not after the data's "
                      "year)."))
@click.option("-o", "--output", required=True,
              help=N_("The HTML file to write ('-' for stdout). A manifest.json is written "
                      "beside it."))
@click.option("--lang", type=click.Choice(REPORT_LANGS), default="vi", show_default=True,
              help=N_("Language of the report's own words (names and rules stay as written)."))
@click.option("--previous", type=click.Path(path_type=Path), default=None,
              help=N_("Last year's `score --format json` output, for the changes section."))
@click.option("--force", is_flag=True, help=N_("Overwrite existing output files."))
@click.option("--allow-incomplete", is_flag=True,
              help=N_("Report even when a judged criterion has no value in any round; the "
                      "records concerned are marked provisional."))
def report(inputs: tuple[Path, ...], rules: Path | None, output: str, lang: str,
           previous: Path | None, force: bool, allow_incomplete: bool) -> None:
    """Write the council's report on INPUTS as one self-contained HTML file.

    Ranked clusters with points per criterion group, proposals per title with quotas and cuts,
    each candidate's breakdown, score charts, changes since last year, and the signature block
    of the minutes. It opens offline and prints on A4.

    \b
    Examples:
      scoring report fixtures/quang-ngai-2021 -o out/report.html
      scoring report fixtures/quang-ngai-2021 --lang en -o out/report-en.html
      scoring report data/2022 --previous out/2021/results.json -o out/2022/report.html
    """
    from scoring.explanations.vocab import Vocab
    from scoring.outputs.manifest import build_manifest, created_now, manifest_bytes
    from scoring.outputs.report import criterion_groups, render_html
    from scoring.run.app import run

    r = run(list(inputs), rules, allow_incomplete=allow_incomplete)
    prev, prev_file = read_previous(previous) if previous is not None else (None, None)
    options: dict[str, object] = {"format": "html", "rules": str(rules) if rules else None,
                                  "lang": lang, "previous": prev_file}
    if allow_incomplete:  # recorded only when given, so earlier manifests stay valid
        options["allow_incomplete"] = True
    manifest = build_manifest(r.result, str(r.rules_folder), r.inputs.files, options,
                              created_now())
    echo_warnings(r.result.warnings)
    data = render_html(r.result, manifest, lang=lang, previous=prev,
                       groups=criterion_groups(r.compiled),
                       vocab=Vocab.of(r.result, r.compiled, lang))
    if is_stdout(output):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(output)
    check_apart([target], [*inputs, *(Path(p) for p, _, _ in r.inputs.files), r.rules_folder,
                           *([previous] if previous is not None else [])])
    write_atomic_many({target: data, target.parent / "manifest.json": manifest_bytes(manifest)},
                      force)
    click.echo(_("wrote {files} ({individuals} individuals, {units} units)").format(
        files=target, individuals=len(r.result.individuals), units=len(r.result.units)),
        err=True)
