"""The installed version of scoring, which every manifest records.

Read from the installed package's metadata when first asked for, not when scoring starts:
`importlib.metadata` takes a tenth of a second to load, which `scoring --help` and `scoring
check` would pay for a number they never show.
"""

from functools import cache


@cache
def version() -> str:
    """The version pip installed (an editable install's too); `0.0.0+source` when scoring runs
    from a source tree that was never installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("scoring")
    except PackageNotFoundError:
        return "0.0.0+source"
