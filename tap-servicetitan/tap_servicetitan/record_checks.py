"""Values the loader could not store, caught before a record leaves the tap.

target-postgres makes a column of each top-level property from the schema
(integer: bigint, number: numeric, boolean: boolean, date-time string:
timestamp, string: text) and hands the values to PostgreSQL as they are. A
value of another kind fails there, mid-COPY, in a traceback that names
neither the stream, the record nor the field. :class:`RecordCheck` looks at
those scalar properties of every record first (what is checked is computed
once per stream from its schema):

- a value the column cannot hold (an id ``"abc"``, an amount ``"12,50"``, a
  date ``"yesterday"``) fails the run with one line
  naming the stream, the record id and the field, before any of the
  record's page is checkpointed (the rerun reads the page again);
- a value the column admits as it is (a number in a text field, digits as
  a string in an integer field, ``"true"`` in a boolean field) is loaded and
  warned about once per stream and field;
- a key field that is null or missing (a review without ``externalId``) gets
  a surrogate value, so the record is loaded (a key column cannot hold
  null): ``null-`` and 16 hex digits of a hash for text keys, minus a 60-bit
  hash for integer keys (real ids are positive). The hash is of the fields
  the stream names as what identifies its records (``surrogate_basis``: a
  review's platform, author and date; an ad report row's day and campaign
  names), else of the whole record, so the same record gets the same value
  on every run, even once changed. Warned once per stream and field, naming
  a record;
- decimal strings in number fields, the API's usual form of money, become
  exact numbers; ``NaN`` and infinities (``"Infinity"`` in ad statistics),
  which have no JSON form, become null, with a warning naming the stream,
  a record id and the field, once per stream and field.

Nested objects and arrays (jsonb columns, which take any JSON) are walked
only for their number fields, so that nested money is emitted as numbers the
same way: decimal strings become exact numbers, non-finite ones null (warned
as above); any other value stays as it is, with a warning (a jsonb column
stores it).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
import typing as t

import orjson

from tap_servicetitan.errors import ServiceTitanError
from tap_servicetitan.pagination import json_kind
from tap_servicetitan.tenant import TENANT_FIELD

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: What PostgreSQL reads as a boolean (compared lower-case and stripped).
BOOLEAN_TEXT = frozenset({"t", "true", "f", "false", "y", "yes", "n", "no", "on", "off", "1", "0"})
INTEGER_TEXT = re.compile(r"\s*[+-]?\d{1,18}\s*")
SHOWN_CHARS = 40


class BadRecordError(ServiceTitanError):
    """A record holds a value the loader cannot store."""


def _types(spec: dict) -> frozenset[str]:
    kind = spec.get("type", ())
    return frozenset((kind,) if isinstance(kind, str) else kind)


class RecordCheck:
    """The scalar properties of one stream's schema, by the column each becomes."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.keys = tuple(stream.primary_keys or ())
        #: Key fields of the API's records (``tenant_id`` is the tap's, stamped later).
        self.record_keys = tuple(key for key in self.keys if key != TENANT_FIELD)
        self.integers: list[str] = []
        self.numbers: list[str] = []
        self.booleans: list[str] = []
        self.stamps: list[str] = []
        self.texts: list[str] = []
        for name, spec in stream.schema.get("properties", {}).items():
            kinds = _types(spec) - {"null"}
            if kinds == {"integer"}:
                self.integers.append(name)
            elif kinds == {"number"}:
                self.numbers.append(name)
            elif kinds == {"boolean"}:
                self.booleans.append(name)
            elif kinds == {"string"} and spec.get("format") == "date-time":
                self.stamps.append(name)
            elif kinds == {"string"}:
                self.texts.append(name)
        #: Top-level object/array properties -> the tree of their nested number fields.
        self.nested = {
            name: tree
            for name, spec in stream.schema.get("properties", {}).items()
            if (tree := number_tree(spec))
        }
        self._warned: set[str] = set()

    def check(self, row: dict[str, t.Any]) -> None:
        """Raise :class:`BadRecordError` for a value the loader cannot store; fix money strings.

        The usual record only meets ``type(...) is`` tests.
        """
        for name in self.record_keys:
            if row.get(name) is None:
                row[name] = self._surrogate_key(row, name)
        for name in self.integers:
            value = row.get(name)
            if value is not None and type(value) is not int:
                self._integer(row, name, value)
        for name in self.numbers:
            value = row.get(name)
            kind = type(value)
            if value is not None and kind is not int and kind is not float:
                row[name] = self._number(row, name, value)
        for name in self.booleans:
            value = row.get(name)
            if value is not None and type(value) is not bool:
                self._boolean(row, name, value)
        for name in self.stamps:
            value = row.get(name)
            if value is not None:
                self._stamp(row, name, value)
        for name in self.texts:
            value = row.get(name)
            if value is not None and type(value) is not str:
                self._text(row, name, value)
        for name, tree in self.nested.items():
            value = row.get(name)
            if value is not None:
                self._nested(row, name, value, tree)

    # The unusual values

    def _surrogate_key(self, row: dict, name: str) -> str | int:
        """A key value for a record whose key field ``name`` is null: a hash of the record."""
        basis = getattr(self.stream, "surrogate_basis", ())
        identity = {path: dotted_value(row, path) for path in basis} if basis else row
        digest = hashlib.sha256(
            orjson.dumps(
                identity, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
            )
        ).hexdigest()
        value: str | int = (
            -(int(digest[:15], 16) + 1) if name in self.integers else f"null-{digest[:16]}"
        )
        key = f"{name}\0key"
        if key not in self._warned:
            self._warned.add(key)
            self.stream.logger.warning(
                "Stream '%s', record id %s: key field '%s' is null; loaded with the surrogate "
                "value %r (a hash of the record), later such records of the field are not "
                "reported",
                self.stream.name,
                self.record_id(row),
                name,
                value,
            )
        return value

    def _integer(self, row: dict, name: str, value: t.Any) -> None:
        if isinstance(value, str) and INTEGER_TEXT.fullmatch(value):
            self._warn(row, name, value, "an integer")
            return
        self._fail(row, name, f"is {_shown(value)}, not an integer")

    def _number(self, row: dict, name: str, value: t.Any) -> t.Any:
        if isinstance(value, decimal.Decimal):
            return value
        if isinstance(value, str):
            try:
                number = decimal.Decimal(value)
            except decimal.InvalidOperation:
                pass
            else:
                if number.is_finite():
                    return number
                self._warn_null(row, name, value)
                return None
        self._fail(row, name, f"is {_shown(value)}, not a number")
        return None

    def _nested(self, row: dict, path: str, value: t.Any, tree: NumberTree) -> None:
        """Nested number fields of ``value`` (an object or array) as exact numbers."""
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    self._nested(row, f"{path}[]", item, tree)
            return
        if not isinstance(value, dict):
            return
        for name, sub in tree.items():
            inner = value.get(name)
            if inner is None:
                continue
            where = f"{path}.{name}"
            if sub is not NUMBER:
                self._nested(row, where, inner, sub)
                continue
            kind = type(inner)
            if kind is int or kind is float or kind is decimal.Decimal:
                continue
            number = None
            if kind is str:
                try:
                    number = decimal.Decimal(inner)
                except decimal.InvalidOperation:
                    number = None
            if number is None:
                self._warn(row, where, inner, "a number")
            elif number.is_finite():
                value[name] = number
            else:
                self._warn_null(row, where, inner)
                value[name] = None

    def _boolean(self, row: dict, name: str, value: t.Any) -> None:
        if isinstance(value, (str, int)) and str(value).strip().lower() in BOOLEAN_TEXT:
            self._warn(row, name, value, "a boolean")
            return
        self._fail(row, name, f"is {_shown(value)}, not a boolean")

    def _stamp(self, row: dict, name: str, value: t.Any) -> None:
        if type(value) is str:
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return
        self._fail(row, name, f"is {_shown(value)}, not an ISO 8601 date-time")

    def _text(self, row: dict, name: str, value: t.Any) -> None:
        if isinstance(value, (dict, list)):
            self._fail(row, name, f"is {_shown(value)}, not a string")
        self._warn(row, name, value, "a string")

    # Messages

    def record_id(self, row: dict) -> str:
        values = [row.get(key) for key in self.keys] or [None]
        return ", ".join(_shown_id(value) for value in values)

    def _fail(self, row: dict, name: str, what: str) -> t.NoReturn:
        stream = self.stream.name
        if name in self.keys:
            hint = (
                "ServiceTitan must correct the record; until then, deselect the stream "
                f"(remove '{stream}.*' from the extractor's select) to load the others"
            )
        else:
            hint = (
                f"to load the stream without the field: meltano select tap-servicetitan "
                f"--exclude {stream} {name}"
            )
        msg = (
            f"stream '{stream}', record id {self.record_id(row)}: field '{name}' {what}, "
            f"so PostgreSQL cannot store it; the run stops before the loader sees the record "
            f"(its page is read again by the next run); {hint}"
        )
        raise BadRecordError(msg)

    def _warn_null(self, row: dict, name: str, value: t.Any) -> None:
        self._warn_once(
            f"{name}\0null", row, name, value, ", a number JSON cannot hold; loaded as null"
        )

    def _warn(self, row: dict, name: str, value: t.Any, declared: str) -> None:
        self._warn_once(
            name,
            row,
            name,
            value,
            f" where the schema says {declared}; loaded as it is (its column admits it)",
        )

    def _warn_once(self, key: str, row: dict, name: str, value: t.Any, outcome: str) -> None:
        """One warning per stream, field and kind of drift, naming the first record."""
        if key in self._warned:
            return
        self._warned.add(key)
        self.stream.logger.warning(
            "Stream '%s', record id %s: field '%s' is %s%s, later such values of the field "
            "are not reported",
            self.stream.name,
            self.record_id(row),
            name,
            _shown(value),
            outcome,
        )


NUMBER: t.Final = True
#: Nested number fields: name -> NUMBER, or the tree of an object or array's items.
NumberTree = dict[str, t.Any]


def number_tree(spec: dict) -> NumberTree:
    """The number fields nested in an object or array schema (empty for others)."""
    kinds = _types(spec)
    if "array" in kinds:
        return number_tree(spec.get("items") or {})
    if "object" not in kinds:
        return {}
    tree: NumberTree = {}
    for name, inner in (spec.get("properties") or {}).items():
        if _types(inner) - {"null"} == {"number"}:
            tree[name] = NUMBER
        elif sub := number_tree(inner):
            tree[name] = sub
    return tree


def dotted_value(record: dict, path: str) -> t.Any:
    """``record``'s value at ``campaign.name``; None where a step is absent or not an object."""
    value: t.Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _shown(value: t.Any) -> str:
    """A value as a message shows it: its JSON kind, and the value, shortened."""
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "..."
    return f"the {json_kind(value)} {text}"


def _shown_id(value: t.Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text[:SHOWN_CHARS]
