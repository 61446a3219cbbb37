"""`scoring serve`: the local web page for secretaries (needs the `web` extra)."""

from __future__ import annotations

from pathlib import Path

import click

from scoring.base.errors import UsageError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli


@cli.command()
@click.argument("folder", required=False, default=".",
                type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              help=N_("Port on 127.0.0.1."))
@click.option("--rules", "rules", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help=N_("A rule set folder to offer besides those under rules/ (repeatable)."))
@click.option("--open", "open_browser", is_flag=True, help=N_("Open the page in the browser."))
def serve(folder: Path, port: int, rules: tuple[Path, ...], open_browser: bool) -> None:
    """Serve a local web page to load, score, explain, review and export FOLDER's inputs.

    The page listens on 127.0.0.1 only and needs the access token printed below (open the
    address as printed). Every input, round file and output the page names stays inside
    FOLDER (dropped workbooks are kept under FOLDER/tai-len/); rule sets are those under
    rules/ and the ones given with --rules.

    \b
    Example:
      scoring serve fixtures
    """
    try:
        import uvicorn

        from scoring.web import create_app, new_token
    except ImportError as e:
        raise UsageError.one("serve", _("the web page needs the 'web' extra: "
                                        "pip install 'scoring[web]'")) from e
    token = new_token()
    host = "127.0.0.1"
    app = create_app(folder, token, list(rules), host, port)
    url = f"http://{host}:{port}/?token={token}"
    click.echo(_("scoring serve: {folder}\n  open {url}\n  Ctrl+C stops it").format(
        folder=folder.resolve(), url=url), err=True)
    if open_browser:
        import webbrowser  # not when scoring starts: it loads half the standard library

        webbrowser.open(url)
    uvicorn.run(app, host=host, port=port, log_level="warning")
