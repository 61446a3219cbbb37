"""`scoring score`: the main job. Inputs in, ranked results out in the chosen format.

The pipeline (`api`, with pandas behind the readers) and `--stream`'s processes are imported
when the command runs, not when `scoring` starts: `scoring --help` and the other commands do
not pay for them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from scoring.base.choices import BINARY_FORMATS, SCORE_FORMATS, TERMINAL_ROWS
from scoring.base.errors import UsageError
from scoring.base.files import MANIFEST
from scoring.base.i18n import N_, _, language
from scoring.cli.group import SHOWN_WARNINGS, cli, echo_warnings
from scoring.cli.progress import progress_bars
from scoring.outputs.atomic import check_apart, check_targets, is_stdout
from scoring.outputs.render import format_for
from scoring.run.options import Options


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", type=click.Path(path_type=Path), default=None,
              help=N_("Rule set folder (default: the newest under rules/ not after the data's "
                      "year)."))
@click.option("--format", "fmt", type=click.Choice(SCORE_FORMATS), default=None,
              help=N_("Output format (default: from the output's extension, else table)."))
@click.option("-o", "--output", "outputs", multiple=True,
              help=N_("Write to this file ('-' for stdout). A manifest.json beside it lists every "
                      "output of the run; repeat -o for several formats in one folder "
                      "(-o ketqua/ketqua.xlsx -o ketqua/ketqua.json)."))
@click.option("--force", is_flag=True, help=N_("Overwrite existing output files."))
@click.option("--allow-incomplete", is_flag=True,
              help=N_("Score even when a judged criterion has no value in any round; the records "
                      "concerned are marked provisional."))
@click.option("-q", "--quiet", is_flag=True,
              help=N_("No progress bars and no 'wrote' line on stderr (warnings still show)."))
@click.option("--seal", is_flag=True,
              help=N_("Mark the output folder sealed: a published result that is never written "
                      "again and whose every byte `scoring verify` checks."))
@click.option("--history", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=N_("Folder of past years (earlier JSON outputs, titles.csv, initiatives.csv, "
                      "unit_aliases.csv) for titles that need them, such as CSTĐ cấp tỉnh."))
@click.option("--stream", is_flag=True,
              help=N_("Score a few units at a time on every core, holding only a part of the "
                      "batch in memory (for batches of hundreds of thousands of people and "
                      "more): the same JSON output, written to -o FILE.json."))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help=N_("Processes for --stream (default: the cores available)."))
@click.option("--decision-date", default=None, metavar="YYYY-MM-DD",
              help=N_("Date of the decision conferring the titles: the rewards use the base "
                      "salary in force on it (default: the rule set's decision_date)."))
@click.option("--full", is_flag=True,
              help=N_("On the terminal, every holder of each title (default: a summary and the "
                      "first {rows} per cluster). Files always hold every row."))
@click.option("--raw", is_flag=True,
              help=N_("CSV for scripts: the rule set's codes and ids as headers and values, "
                      "plain numbers, true/false (default: labels, yes/no and amounts as people "
                      "read them). The JSON output always holds the codes."))
def score(inputs: tuple[Path, ...], rules: Path | None, fmt: str | None,
          outputs: tuple[str, ...], force: bool, allow_incomplete: bool, quiet: bool, seal: bool,
          history: Path | None, stream: bool, workers: int | None,
          decision_date: str | None, full: bool, raw: bool) -> None:
    """Score INPUTS (a folder of CSV files, XLSX workbooks or JSON) and rank the candidates.

    \b
    Examples:
      scoring score fixtures/quang-ngai-2021
      scoring score submissions/*.xlsx --rules rules/2026 -o results.xlsx
      scoring score fixtures/quang-ngai-2021 --format json -o -
      scoring score fixtures/quang-ngai-2026 -o published/2026/results.json --seal
      scoring score nop/ -o ketqua/ketqua.xlsx -o ketqua/ketqua.json
      scoring score fixtures/history/inputs/2025 --history fixtures/history
      scoring score nation/ --rules rules/2026 -o out/results.json --stream
    """
    from scoring import api
    from scoring.explanations.vocab import Vocab
    from scoring.outputs.manifest import created_now
    from scoring.outputs.table import render_tables
    from scoring.run.publish import no_other_run, publish
    from scoring.streaming.stream import run_stream

    output = _one_output(outputs, fmt, stream)
    fmt = format_for(fmt, output)
    to_stdout = not outputs or (output is not None and is_stdout(Path(output)))
    if fmt in BINARY_FORMATS and to_stdout:
        raise UsageError.one("--output", _("{format} output needs a file: -o results.{format}")
                             .format(format=fmt))
    if seal and to_stdout:
        raise UsageError.one("--seal", _("a sealed result is a folder: give -o "
                                         "FOLDER/results.json"))
    if workers is not None and not stream:
        raise UsageError.one("--workers", _("--workers is for --stream"))
    written = {fmt} if len(outputs) <= 1 else {format_for(None, o) for o in outputs}
    if raw and "csv" not in written:
        raise UsageError.one("--raw", _("--raw is for the CSV output: -o results.csv or "
                                        "--format csv (the JSON output always holds the "
                                        "codes)"))
    asked = Options(rules=rules, history=history, allow_incomplete=allow_incomplete,
                    decision_date=decision_date, raw=raw)
    options = asked.recorded(fmt)  # as the manifest records them
    if stream:
        if fmt != "json" or to_stdout:
            raise UsageError.one("--stream", _("--stream writes the JSON output to a file: "
                                               "-o results.json (other formats and the "
                                               "terminal table hold the whole result in "
                                               "memory)"))
        target = Path(str(output))
        check_apart([target], _given(inputs, rules, history))
        no_other_run(target.parent, [target], force)
        # Not locked for the whole run: its forked workers would inherit the lock. The write
        # at the end takes it and checks the targets again (`write_atomic_many`).
        with progress_bars(quiet) as progress:
            done = run_stream(list(inputs), target, replace(asked, progress=progress),
                              options=options,
                              created=created_now(), force=force, seal=seal,
                              workers=workers or 0, shown_warnings=SHOWN_WARNINGS)
        echo_warnings(done.warnings, done.warnings_count)
        if not quiet:
            wrote = (_("wrote {files} ({individuals} individuals, {units} units, scored in "
                       "{parts}) and sealed the folder") if seal else
                     _("wrote {files} ({individuals} individuals, {units} units, scored in "
                       "{parts})"))
            parts = (_("1 part") if done.parts == 1 else
                     _("{count} parts").format(count=done.parts))
            click.echo(wrote.format(files=output, individuals=done.individuals,
                                    units=done.units, parts=parts), err=True)
        return
    targets = [Path(o) for o in outputs] if not to_stdout else []
    formats = {t: format_for(None, str(t)) if len(targets) > 1 else fmt for t in targets}
    if targets:  # refused now rather than after a long run; checked again when written
        check_apart(targets, _given(inputs, rules, history))
        check_targets(targets, force)
    with progress_bars(quiet) as progress:
        r = api.score(list(inputs), replace(asked, progress=progress))
    manifest = api.describe(r, fmt, asked)  # with the history folder's files, once read
    options = manifest["options"]
    echo_warnings(r.result.warnings)
    if to_stdout:
        if fmt == "table" and not full:
            vocab = Vocab.of(r.result, r.compiled, language())
            text = render_tables(r.result, shown=TERMINAL_ROWS, vocab=vocab).encode("utf-8")
        else:
            text = api.render(fmt, r, manifest)
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return
    publish(r, manifest, options, targets, formats, seal=seal, force=force,
            history=history)
    if not quiet:
        wrote = (_("wrote {files} ({individuals} individuals, {units} units) and sealed the "
                   "folder") if seal else
                 _("wrote {files} ({individuals} individuals, {units} units)"))
        click.echo(wrote.format(files=", ".join(map(str, targets)),
                                individuals=len(r.result.individuals),
                                units=len(r.result.units)), err=True)


def _given(inputs: tuple[Path, ...], rules: Path | None, history: Path | None) -> list[Path]:
    """Every path the run reads: inputs, the rule set's folder and the history folder."""
    return [*inputs, *([rules] if rules else []), *([history] if history else [])]


def _one_output(outputs: tuple[str, ...], fmt: str | None, stream: bool) -> str | None:
    """The one output (or None: the terminal, or several files); several -o are checked:
    files, in one folder, each with its own name and a format its extension tells."""
    if len(outputs) <= 1:
        return outputs[0] if outputs else None
    if any(is_stdout(Path(o)) for o in outputs):
        raise UsageError.one("--output", _("'-' (standard output) cannot be one of several -o"))
    if fmt:
        raise UsageError.one("--format", _("with several -o each file's extension gives its "
                                           "format: leave out --format"))
    if stream:
        raise UsageError.one("--stream", _("--stream writes one JSON output: give one -o"))
    folders = {os.path.abspath(Path(o).parent) for o in outputs}
    if len(folders) > 1:
        raise UsageError.one("--output", _("several -o of one run go in one folder, which one "
                                           "{manifest} describes (found {count} folders)")
                             .format(manifest=MANIFEST, count=len(folders)))
    names = [Path(o).name for o in outputs]
    if len(set(names)) < len(names):
        raise UsageError.one("--output", _("the same file is given twice with -o"))
    for o in outputs:
        format_for(None, o)
    return None
