"""The installed version of scoring, which every manifest records."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scoring")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
