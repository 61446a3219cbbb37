"""The safe YAML loader of rule files (and `dataset.yaml`): PyYAML's SafeLoader, narrowed.

Why a custom YAML loader: rule files come from many hands, so tags other than the safe ones are
refused (and of those, only text, numbers, yes/no, null, lists and mappings: a date is read as
the text it is), anchors/aliases are refused (they are the billion-laughs vector and `extends`
already gives reuse), nesting is bounded (PyYAML composes recursively), numbers are exact
decimals (0.15 must stay 0.15) of a sane magnitude (a `max: 1e99999999` would otherwise hang
whatever prints it), and every mapping keeps the line of each key so that every error can say
`file:line`. The file size limit is `limits.Limits.rule_file_bytes`.

Why two parsers: PyYAML's pure-Python scanner takes seconds on a rule set with many examples,
and a council re-runs its rule sets dozens of times while tuning them. When PyYAML carries
libyaml, its C parser reads the events and everything above (composing with the checks below,
constructing) is the same Python code. PyYAML's parser stays the reference: any failure is read
again with it, so every message, and its line, is PyYAML's (libyaml words its syntax errors
differently). Where the two parsers read the same text differently (libyaml accepts tabs and
`?` where PyYAML refuses them, skips a byte-order mark inside the text, reads a bare `!` tag as
text where PyYAML reads null, accepts `|#`), the text goes to PyYAML's parser alone: `_DIVERGES`
finds those shapes, and `tests/rulesets/test_safeyaml.py` compares the two on real and fuzzed
files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypeVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from scoring.base import limits
from scoring.base.errors import RuleError
from scoring.base.i18n import _
from scoring.rulesets import schema_text

MAX_YAML_DEPTH = 50  # rule files nest about 8 deep; PyYAML recurses once per level
# Numbers in rule files are points, shares, months and amounts of money: their magnitude stays
# within 10^-MAX_EXPONENT .. 10^MAX_EXPONENT (whole numbers up to 15 digits).
MAX_EXPONENT = 15


class LocDict(dict[str, Any]):
    """A mapping read from YAML that remembers its file and the line of each key."""

    file: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        return f"{self.file}:{line}"


class LocList(list[Any]):
    file: str = ""
    line: int = 0


def out_of_range(value: Decimal, shown: str) -> str | None:
    """Why a rule file's number (written `shown`) is unusable (not finite, absurdly large or
    small), or None."""
    if not value.is_finite():
        return _("{value} is not a finite number").format(value=shown)
    if value and not -MAX_EXPONENT <= value.adjusted() < MAX_EXPONENT:
        return _("{value} is out of range: numbers in rule files lie between 10^-{exponent} and "
                 "10^{exponent}").format(value=shown, exponent=MAX_EXPONENT)
    return None


def _sane_number(value: Decimal, text: str, node: yaml.Node) -> Decimal:
    why = out_of_range(value, repr(text[:40]))
    if why is not None:
        raise yaml.MarkedYAMLError(None, None, why, node.start_mark)
    return value


_STANDARD = "tag:yaml.org,2002:"
_NODE_OF_TAG: dict[str, type[yaml.Node]] = {
    f"{_STANDARD}map": yaml.MappingNode, f"{_STANDARD}omap": yaml.SequenceNode,
    f"{_STANDARD}pairs": yaml.SequenceNode, f"{_STANDARD}set": yaml.MappingNode,
    f"{_STANDARD}seq": yaml.SequenceNode,
}
# The standard tags (others, such as !!python/…, are refused by name when constructed).
_KNOWN_TAGS = frozenset(f"{_STANDARD}{name}" for name in (
    "map", "omap", "pairs", "set", "seq", "str", "int", "float", "bool", "null", "timestamp",
    "binary"))
# An explicit scalar tag whose value would not be read as that type without it: the values
# each tag accepts, by the type they are read as untagged (a whole number is a float too).
_CHECKED_SCALARS: dict[str, tuple[str, ...]] = {
    f"{_STANDARD}bool": (f"{_STANDARD}bool",),
    f"{_STANDARD}null": (f"{_STANDARD}null",),
    f"{_STANDARD}int": (f"{_STANDARD}int",),
    f"{_STANDARD}float": (f"{_STANDARD}float", f"{_STANDARD}int"),
}


class _Checks(Composer, SafeConstructor, Resolver):
    """Composing and constructing that refuse aliases, deep nesting and exotic types; numbers
    are checked. The events come from either parser (`_Loader`, `_FastLoader`)."""

    file = ""
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        events: Any = self  # the parser's half of the loader: Parser or CParser
        if events.check_event(yaml.AliasEvent):
            event = events.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, _("anchors and aliases (*name) are not allowed in rule files"),
                event.start_mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                event = events.peek_event()
                raise yaml.MarkedYAMLError(
                    None, None, _("nested more than {depth} levels deep").format(
                        depth=MAX_YAML_DEPTH),
                    event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Every value, with an explicit tag checked against what it tags: PyYAML's own
        constructors trust the tag, so `!!map 30` or `!!bool maybe` ended in a traceback, and
        `!!null 3` silently read as nothing (a maximum of 3 gone without a word)."""
        tag = node.tag
        wanted = _NODE_OF_TAG.get(tag, yaml.ScalarNode)
        if tag in _KNOWN_TAGS and not isinstance(node, wanted):
            raise yaml.MarkedYAMLError(None, None, _(
                "the tag !!{tag} does not fit this value: remove the tag").format(
                    tag=tag.removeprefix(_STANDARD)), node.start_mark)
        if isinstance(node, yaml.ScalarNode) and tag in _CHECKED_SCALARS:
            implicit = self.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, node.value, (True, False))
            if implicit not in _CHECKED_SCALARS[tag]:
                raise yaml.MarkedYAMLError(None, None, _(
                    "{value!r} is not a value of the tag !!{tag}: remove the tag, or write "
                    "the value it names").format(value=node.value[:40],
                                                 tag=tag.removeprefix(_STANDARD)),
                    node.start_mark)
        return super().construct_object(node, deep)

    def construct_yaml_float(self: Self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise yaml.MarkedYAMLError(
                None, None, _("{text!r} is not a finite number").format(text=text),
                node.start_mark
            ) from None
        return _sane_number(value, text, node)

    def construct_yaml_int(self: Self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        if len(text.lstrip("+-0")) > MAX_EXPONENT + 2:  # before int(): it refuses 4300 digits
            _sane_number(Decimal("1E99"), text, node)
        value = super().construct_yaml_int(node)
        _sane_number(Decimal(value), text, node)
        return value

    def construct_as_text(self: Self, node: yaml.ScalarNode) -> Any:
        return str(self.construct_scalar(node))

    def construct_refused(self: Self, node: yaml.Node) -> Any:
        raise yaml.MarkedYAMLError(None, None, _("the type {type!r} is not allowed in rule "
                                                 "files (text, numbers, true/false, lists and "
                                                 "mappings)").format(
                                                     type=node.tag.rsplit(":", 1)[-1]),
                                   node.start_mark)

    def construct_loc_mapping(self: Self, node: yaml.MappingNode) -> Iterator[LocDict]:
        result = LocDict()
        result.file, result.line, result.key_lines = self.file, node.start_mark.line + 1, {}
        yield result
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool) or isinstance(key, bool):
                raise yaml.MarkedYAMLError(None, None, _("keys must be text"),
                                           key_node.start_mark)
            key = str(key)
            if key in result:
                raise yaml.MarkedYAMLError(
                    None, None, _("duplicated key {key!r}").format(key=key), key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1

    def construct_loc_sequence(self: Self, node: yaml.SequenceNode) -> Iterator[LocList]:
        result = LocList()
        result.file, result.line = self.file, node.start_mark.line + 1
        yield result
        result.extend(self.construct_object(child, deep=True) for child in node.value)


class _Loader(_Checks, yaml.SafeLoader):
    """The checks over PyYAML's pure-Python parser: the reference, and every message's source."""


_Either = TypeVar("_Either", "_Loader", "_CLoader")


def _register(loader: type[_Either]) -> None:
    loader.add_constructor("tag:yaml.org,2002:float", loader.construct_yaml_float)
    loader.add_constructor("tag:yaml.org,2002:int", loader.construct_yaml_int)
    loader.add_constructor("tag:yaml.org,2002:timestamp", loader.construct_as_text)
    for tag in ("binary", "set", "omap", "pairs"):
        loader.add_constructor(f"tag:yaml.org,2002:{tag}", loader.construct_refused)
    loader.add_constructor("tag:yaml.org,2002:map", loader.construct_loc_mapping)
    loader.add_constructor("tag:yaml.org,2002:seq", loader.construct_loc_sequence)


_register(_Loader)

try:
    from yaml import CSafeLoader
except ImportError:  # PyYAML built without libyaml: the pure-Python parser alone
    _FastLoader: type[_CLoader] | None = None
else:
    class _CLoader(_Checks, CSafeLoader):
        """The same checks over libyaml's events (its composer, which neither refuses aliases
        nor bounds the nesting, is not used)."""

        def __init__(self, stream: str) -> None:
            CSafeLoader.__init__(self, stream)
            Composer.__init__(self)

    _register(_CLoader)
    _FastLoader = _CLoader

# Text the two parsers may read differently (see the module's doc): a tab, a `?`, a byte-order
# mark, a bare `!` tag, a block scalar's header running into a comment. Rule files hold none of
# them (`!=` in a condition is not a bare `!`); a file that does is read by PyYAML alone.
_DIVERGES = re.compile(r"[\t?\ufeff]|!(?![^\s\]},])|[|>][-+0-9]*#")


def read_yaml(path: Path, shown: str) -> Any:
    """Read one YAML file with the safe loader above; every failure is a located RuleError."""
    return parse_yaml(read_bytes(path, shown), shown)


def read_bytes(path: Path, shown: str) -> bytes:
    """A rule file's bytes, or a located RuleError.

    The size is checked before reading (a rule file over the limit, 1 MB by default, is refused
    whatever it holds), so a mistaken path to a huge file costs nothing.
    """
    limit = limits.current().rule_file_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise RuleError.one(shown, _("rule file is {size} bytes; the limit is {limit}")
                                .format(size=size, limit=limit))
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise RuleError.one(shown, _("cannot read rule file: {reason}").format(
            reason=e.strerror)) from None
    if len(data) > limit:
        raise RuleError.one(shown, _("rule file is over {limit} bytes, the limit").format(
            limit=limit))
    return data


def parse_yaml(data: bytes, shown: str) -> Any:
    """Parse YAML bytes with the safe loader above (also used for `dataset.yaml`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RuleError.one(shown, _("must be UTF-8 (byte {byte} is not)").format(
            byte=e.start)) from None
    if _FastLoader is not None and not _DIVERGES.search(text):
        fast = _FastLoader(text)
        fast.file = shown
        try:
            return fast.get_single_data()
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for PyYAML's message
        finally:
            fast.dispose()
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a control character: PyYAML's reader refuses it
        row = text.count("\n", 0, e.position) + 1
        raise RuleError.one(f"{shown}:{row}", schema_text.yaml_problem(
            f"unacceptable character #x{e.character:04x}: {e.reason}")) from None
    loader.file = shown
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RuleError.one(f"{shown}{line}", schema_text.yaml_problem(
            str(e.problem or e.context))) from None
    except yaml.YAMLError as e:
        raise RuleError.one(shown, _("invalid YAML: {reason}").format(reason=e)) from None
    except RecursionError:  # the depth limit above should make this unreachable
        raise RuleError.one(shown, _("nested more than {depth} levels deep").format(
            depth=MAX_YAML_DEPTH)) from None
    finally:
        loader.dispose()
