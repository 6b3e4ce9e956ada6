"""The domain checks, the privacy scan and the cdmx profile on blocks of columns, vectorised.

The findings of ``domain``, ``privacy`` and ``profiles.cdmx`` on a whole table in memory: a
vectorised test first clears most cells (only cells the exact check would accept or, for the profile
and the privacy scan, that it could not report), then the exact check runs on the distinct values left.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from toolkit.catalog.model import Catalog, ResourceSpec
from toolkit.validation import domain, privacy, profiles
from toolkit.validation.fast.cells import _EPOCH, arrow, bools, iso_days, missing_mask, numbers, pc, spans

Pending = tuple[int, str, str | None, dict[str, Any]]  # record index, code, field, parameters
# A URL ``domain.url_problem`` accepts: this start, then printable ASCII to the end (see _urls_ok).
_URL_START = r"^https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#]|$)"
_DATE_LIKE_SUPERSET = r"^[^\pL\pN]*\pN{1,2}[/.-](?:\pN{1,2}|\pL+)[/.-]\pN{2,4}[^\pL\pN]*$"
_NUMBER_SUPERSET = "[,' $€£¥]"
# A superset of the cells ``privacy.py`` may flag as personal data, for RE2: an e-mail's local part,
# @, domain and dot; a letter (or &) before six digits (CURP, RFC); a phone number (at the start or
# after a character not in \w / . = -: + or ( or a digit, then ten digits with at most two separators
# between two). Any non-ASCII character may stand for a letter, digit or separator: Unicode classes in
# RE2's counted repetitions are far too slow. Without ``^`` (``_RUN_SUPERSET``) it searches runs of
# cells joined together, for all but a phone number at a cell's start.
_X = r"[^\x00-\x7F]"
_DIGIT = rf"(?:[0-9]|{_X})"
_PHONE = rf"[+(]?{_DIGIT}(?:(?:[\t-\r\x1c-\x20.()-]|{_X}){{0,2}}{_DIGIT}){{9}}"
_RUN_SUPERSET = (
    r"[A-Za-z0-9._%+-]@[A-Za-z0-9.-]+\.[A-Za-z]{2}"
    rf"|(?:[A-Za-z&]|{_X}){_DIGIT}{{6}}"
    rf"|[^A-Za-z0-9_/.=-]{_PHONE}"
)
_PERSONAL_SUPERSET = rf"{_RUN_SUPERSET}|^{_PHONE}"
# A cell's first byte: 1, it may start a formula (``privacy.looks_like_formula``); 2, a phone number.
_FIRST_BYTE = np.zeros(256, dtype=np.uint8)
_FIRST_BYTE[[ord(c) for c in privacy._FORMULA_START]] = 1
_FIRST_BYTE[list(b"+(0123456789") + list(range(128, 256))] += 2
# pyarrow compiles an RE2 pattern on every call: on an array of at most this many cells, the exact
# check (cached over the run) costs less than asking a superset first, which only ever narrows it.
SMALL = 256
_RUN = 32  # cells run together for a first search of personal data
_cached = functools.lru_cache(maxsize=200_000)  # an exact check, computed once per value of a run


def _grouped(arr: Any, size: int) -> Any:
    """A string array whose item ``g`` is cells ``g*size`` to ``g*size+size-1`` of ``arr`` run
    together (its buffer shared, not copied): a regular expression with no anchors that finds no
    match in an item finds none in any of its cells, at a small part of the cost per cell."""
    offsets, data = spans(arr)
    edges = np.append(offsets[:-1:size], offsets[-1])
    return pa.Array.from_buffers(
        pa.large_string(), len(edges) - 1, [None, pa.py_buffer(edges), pa.py_buffer(data)]
    )


def _hits(columns: list[Any], personal: list[bool]) -> list[Any]:
    """For each text column, a mask of the cells that may be flagged: in a small block, those that
    may start a formula or that :data:`_PERSONAL_SUPERSET` matches; in a larger one, for the
    ``personal`` columns only, those of the runs of ``_RUN`` cells :data:`_RUN_SUPERSET` matches.
    One search of all the columns: pyarrow compiles the pattern on each call."""
    n = len(columns[0])
    if n <= SMALL:
        size, pattern = 1, rf"^[=+\-@\t\r]|{_PERSONAL_SUPERSET}"
    else:
        size, pattern, columns = _RUN, _RUN_SUPERSET, [c for c, p in zip(columns, personal, strict=True) if p]
    runs = [_grouped(c, size) for c in columns]  # views of one type, joined below
    if not runs:
        return []
    hits = bools(pc.match_substring_regex(pa.concat_arrays(runs), pattern))
    return [np.repeat(h, size)[:n] for h in np.split(hits, np.cumsum([len(r) for r in runs])[:-1])]


def _suspects(col: Any, mask: Any, hits: Any) -> Any:
    """Positions of the cells of ``col`` (among those ``mask`` keeps) that ``privacy.py`` may flag,
    given its :func:`_hits`. In a large block: those that may start a formula and, with ``hits``,
    those of the runs hit or that may start a phone number, narrowed by :data:`_PERSONAL_SUPERSET`."""
    offsets, data = spans(col)
    if len(col) <= SMALL:
        return np.flatnonzero(hits & mask & (offsets[1:] > offsets[:-1]))
    if not len(data):
        return np.zeros(0, dtype=np.int64)
    # Each cell's first byte (an empty cell's is the next cell's, or none: it is dropped below).
    codes = _FIRST_BYTE.take(np.take(data, offsets[:-1], mode="clip"))  # .take: a third of [ ]
    if hits is not None:
        codes |= hits * np.uint8(4)
    maybe = np.flatnonzero(codes & (1 if hits is None else 7))
    maybe = maybe[mask[maybe] & (offsets[maybe + 1] > offsets[maybe])]
    if hits is not None and len(maybe) > SMALL:  # each cell but formulas to the whole pattern
        keep = codes[maybe] & 1 > 0
        sub = pc.take(col, arrow(maybe[~keep]))
        keep[~keep] = bools(pc.match_substring_regex(sub, _PERSONAL_SUPERSET))
        maybe = maybe[keep]
    return maybe


def _urls_ok(col: Any) -> Any:
    """A mask of the cells of a string array that :data:`_URL_START` matches and whose every byte
    is printable ASCII (``[!-~]``): RE2 stops at the end of a URL's host, the bytes are read once."""
    offsets, data = spans(col)
    odd = np.flatnonzero(data[offsets[0] : offsets[-1]] - np.uint8(33) > 93) + offsets[0]
    ok = bools(pc.match_substring_regex(col, _URL_START))
    ok[np.searchsorted(offsets, odd, side="right") - 1] = False
    return ok


def _day(days: Any) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(days))


@functools.cache
def _array(codes: Callable[[], frozenset[str]]) -> Any:
    """The codes ``codes()`` gives, as an array for ``pc.is_in`` (built once: 2 ms for subdivisions)."""
    return pa.array(sorted(codes()), pa.string())


def _per_value(values: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` of each distinct value of a pyarrow string array, spread back over it; on a small
    array, of each cell (``fn`` is cached by value: cheaper then than a hashing kernel)."""
    if len(values) <= SMALL:
        return [fn(v) for v in values.to_pylist()]
    codes = pc.dictionary_encode(values, null_encoding="encode")  # one hashing: values and positions
    results = [fn(v) for v in codes.dictionary.to_pylist()]
    return np.fromiter(results, dtype=object, count=len(results))[numbers(codes.indices)]


class DomainCheck:
    """Domain checks (and optionally the cdmx profile) for one table, block by block."""

    def __init__(
        self,
        spec: ResourceSpec,
        catalog: Catalog,
        header: list[str],
        list_values: Callable[[str, str], set[str] | None],
        *,
        profile: bool = False,
        today: dt.date | None = None,
    ) -> None:
        self.spec, self.catalog = spec, catalog
        # Each label's column: the first of duplicates, as ``list.index`` finds it.
        self.columns: dict[str | None, int] = {label: i for i, label in reversed(list(enumerate(header)))}
        self.schema = spec.schema or {}
        self.fields = self.schema.get("fields", [])
        self.missing = [str(v) for v in self.schema.get("missingValues", [""])]
        self.today = today or dt.date.today()
        # Days since 1970 past which a date may give a finding: the first and last in range, today.
        last = dt.date(self.today.year + domain.FUTURE_YEARS, 12, 31)
        self.days = [(day - _EPOCH).days for day in (domain.MIN_DATE, last, self.today)]
        self.profile = profile
        self.list_values = list_values
        self.claims: dict[str, dict[str, list[int]]] = {}
        self.url = _cached(domain.url_problem)
        self.iso_date = _cached(domain._parse_date)
        self.negative = _cached(lambda c: c.strip().startswith("-"))
        self.formatted = _cached(lambda c: bool(profiles._FORMATTED_NUMBER.search(c.strip())))
        self.date_like = _cached(lambda c: bool(profiles._DATE_LIKE.match(c.strip())))
        self.formula = _cached(privacy.looks_like_formula)
        self.personal = _cached(privacy.personal_data_kind)
        self.lists: dict[str, tuple[tuple[set[str] | None, set[str] | None, str], Any]] = {}

    def start(self) -> list[Pending]:
        """Findings about the table as a whole (row 1), before any block."""
        if self.fields and "source_url" not in [f.get("name") for f in self.fields]:
            return [(-1, "source-field-missing", None, {})]
        return []

    def block(
        self, column: Callable[[int], Any], n: int, first_row: int
    ) -> tuple[list[Pending], list[Pending], list[Pending]]:
        """Domain, profile and privacy findings of a block; ``column(i)`` gives header column ``i``
        for every record, null where the row has no such cell."""

        @functools.cache
        def present(name: str | None) -> tuple[Any, Any] | None:
            i = self.columns.get(name)
            if i is None:
                return None
            col = column(i)
            mask = ~missing_mask(col, self.missing)
            if col.null_count:  # cells a short row does not have
                mask &= bools(pc.is_valid(col))
            return col, mask

        @functools.cache  # a field's cells are read by several checks and its profile
        def values_of(name: str) -> tuple[Any, Any]:
            col, mask = present(name)  # type: ignore[misc]
            idx = np.flatnonzero(mask)
            return idx, pc.take(col, arrow(idx))

        @functools.cache
        def dates(name: str | None) -> tuple[Any, Any]:
            """Days since 1970 (and validity) for every record, parsed like ``domain._parse_date``."""
            got = present(name)
            if got is None:
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            col, mask = got
            ok, iso = iso_days(col)
            valid = mask & ok
            days = np.where(valid, iso, 0)  # a copy: iso_days's arrays are shared
            slow = np.flatnonzero(mask & ~ok)
            for k, day in zip(slow, _per_value(pc.take(col, arrow(slow)), self.iso_date), strict=True):
                if day is not None:
                    days[k], valid[k] = (day - _EPOCH).days, True
            return days, valid

        found: list[Pending] = []

        def add(k: Any, code: str, name: str, **kw: Any) -> None:
            found.append((int(k), code, name, kw))

        for f in self.fields:
            name, ftype = f.get("name"), f.get("type", "string")
            got = present(name)
            if ftype == "date" and f.get("format") in (None, "default") and got is not None:
                days, valid = dates(name)
                low, high, today = self.days
                odd = (days < low) | (days > high) | ((days > today) & bool(f.get("pastOnly")))
                start_days, start_valid = dates(f.get("notBefore"))
                for k in np.flatnonzero(valid & (odd | (start_valid & (days < start_days)))):
                    start = _day(start_days[k]) if start_valid[k] else None
                    text = got[0][int(k)].as_py()
                    for code, kw in domain.date_findings(f, text, _day(days[k]), start, self.today):
                        add(k, code, name, **kw)
            if f.get("format") == "uri" and got is not None:
                col, mask = got
                slow = np.flatnonzero(mask & ~_urls_ok(col))
                sub = pc.take(col, arrow(slow))
                for k, problem, text in zip(slow, _per_value(sub, self.url), sub.to_pylist(), strict=True):
                    if problem:
                        add(k, "url-invalid", name, value=text, detail=problem[0], detail_en=problem[1])
            if f.get("codeSystem") in domain.CODE_SYSTEMS and got is not None:
                codes, prop = domain.CODE_SYSTEMS[f["codeSystem"]]
                related = f.get(prop) if prop else None
                col, mask = got
                other = present(related)  # its cell in the same row, None where missing (domain._Cells.get)
                if not related:  # then a code of the system has no finding
                    mask = mask & ~bools(pc.is_in(col, value_set=_array(codes)))
                rows = np.flatnonzero(mask)
                for k, text in zip(rows, pc.take(col, arrow(rows)).to_pylist(), strict=True):
                    there = other[0][int(k)].as_py() if other is not None and other[1][k] else None
                    for code, kw in domain.code_findings(f, text, there):
                        add(k, code, name, **kw)
            currency_field = f.get("currencyField")
            if currency_field and got is not None:
                idx, vals = values_of(name)
                cur = present(currency_field)
                negative = np.zeros(len(idx), dtype=bool)
                if len(idx) and "minimum" not in (f.get("constraints") or {}):
                    slow = np.flatnonzero(~bools(pc.match_substring_regex(vals, "^[0-9]")))
                    negative[slow] = _per_value(pc.take(vals, arrow(slow)), self.negative)
                absent = np.ones(len(idx), dtype=bool) if cur is None else ~cur[1][idx]
                for i in np.flatnonzero(absent | negative):
                    text = vals[int(i)].as_py()
                    if absent[i]:
                        add(idx[i], "currency-missing", currency_field, value=text)
                    if negative[i]:
                        add(idx[i], "negative-amount", name, value=text)
            target = present(f.get("precisionOf"))
            if target is not None:
                here = got[1] if got is not None else np.zeros(n, dtype=bool)
                for k in np.flatnonzero(target[1] & ~here):
                    add(k, "date-precision-missing", name, other_field=f["precisionOf"])
            if f.get("listSeparator") and got is not None:
                self._lists(f, values_of(name), add)
            if f.get("claimGroup") and got is not None:
                idx, vals = values_of(name)
                seen = self.claims.setdefault(name, {})
                for k, text in zip(idx, vals.to_pylist(), strict=True):
                    seen.setdefault(text, [0, first_row + int(k)])[0] += 1  # count, first row
        profile = self._profile(present, values_of) if self.profile else []
        return found, profile, self._privacy(present, n <= SMALL)

    def _privacy(self, present: Callable[..., Any], small: bool) -> list[Pending]:
        """What ``privacy.check_resource`` finds in this block, in its order within a cell."""

        fields = []
        for f in self.fields:
            name = f.get("name", "")
            if f.get("type", "string") == "string" and present(name) is not None:
                personal = privacy.scans_for_personal_data(f)
                fields.append((name, personal and (small or not self._harmless(f, *present(name)))))
        if not fields:
            return []
        found: list[Pending] = []
        hits = _hits([present(name)[0] for name, _ in fields], [personal for _, personal in fields])
        for name, scan_personal in fields:
            col, mask = present(name)
            maybe = _suspects(col, mask, hits.pop(0) if small or scan_personal else None)
            sub = pc.take(col, arrow(maybe))
            formulas = _per_value(sub, self.formula)
            kinds = _per_value(sub, self.personal) if scan_personal else [None] * len(maybe)
            for pos, formula, kind, text in zip(maybe, formulas, kinds, sub.to_pylist(), strict=True):
                if formula:
                    found.append((int(pos), "formula-injection", name, {"value": text}))
                if kind:
                    es, en = privacy.KINDS[kind]
                    found.append(
                        (int(pos), "personal-data", name, {"value": text, "detail": es, "detail_en": en})
                    )
        return found

    def _harmless(self, f: dict[str, Any], col: Any, mask: Any) -> bool:
        """Whether no cell of ``col`` that ``mask`` keeps can hold personal data: each is at most five
        bytes (an e-mail takes six characters; a CURP, an RFC or a phone number six digits) or one of
        the field's text enum members (the structure checks' mask), none of them personal data."""
        offsets, _data = spans(col)
        rest = mask & (offsets[1:] - offsets[:-1] > 5)
        enum = f["constraints"].get("enum") if isinstance(f.get("constraints"), dict) else None
        members = [v for v in enum if isinstance(v, str)] if isinstance(enum, list) and rest.any() else []
        if members and not any(map(self.personal, members)):
            rest &= ~missing_mask(col, members)
        return not rest.any()

    def _lists(self, f: dict[str, Any], values: tuple[Any, Any], add: Callable[..., None]) -> None:
        """Codelist and reference findings of a list field, from its ``values_of``."""
        name, separator = f["name"], f["listSeparator"]
        if name not in self.lists:
            allowed, ref_values, reference = domain.codelist_codes(f, self.catalog), None, ""
            ref = f.get("references")
            if isinstance(ref, dict):
                target = ref.get("resource") or self.spec.name
                ref_values = self.list_values(target, ref.get("field", ""))
                reference = f"{target}.csv ({ref.get('field')})"
            known = [s for s in (allowed, ref_values) if s is not None]  # an item must be in each
            valid = pa.array(sorted(set.intersection(*known)), pa.string()) if known else None
            self.lists[name] = ((allowed, ref_values, reference), valid)
        lists, valid = self.lists[name]
        if valid is None:
            return
        idx, vals = values
        items = pc.split_pattern(vals, separator)
        parents = numbers(pc.list_parent_indices(items))
        bad = ~bools(pc.is_in(pc.list_flatten(items), value_set=valid))
        for pos in sorted(set(parents[bad].tolist())):  # np.unique would import numpy.ma
            for code, kw in domain.list_findings(f, vals[int(pos)].as_py(), *lists):
                add(idx[pos], code, name, **kw)

    def _profile(self, present: Callable[..., Any], values_of: Callable[..., Any]) -> list[Pending]:
        """What ``profiles.cdmx`` finds in the cells of this block."""
        found: list[Pending] = []
        rules = {"string": (_DATE_LIKE_SUPERSET, self.date_like, "cdmx-iso-date")}
        rules["number"] = rules["integer"] = (_NUMBER_SUPERSET, self.formatted, "cdmx-number-format")
        for f in self.fields:
            rule = rules.get(f.get("type", "string"))
            if rule is None or present(f.get("name", "")) is None:
                continue
            superset, check, code = rule
            idx, vals = values_of(f["name"])
            maybe = np.arange(len(vals))  # every cell of a small block (see SMALL)
            if len(vals) > SMALL:
                maybe = np.flatnonzero(bools(pc.match_substring_regex(vals, superset)))
            sub = pc.take(vals, arrow(maybe))
            for pos, hit, text in zip(maybe, _per_value(sub, check), sub.to_pylist(), strict=True):
                if hit:
                    found.append((int(idx[pos]), code, f["name"], {"value": text}))
        return found

    def finish(self) -> list[tuple[int, str, str, dict[str, Any]]]:
        """Claim groups named by a single row, as (row number, code, field, parameters)."""
        return [
            (row, "claim-group-single", name, {"value": text})
            for name, seen in self.claims.items()
            for text, (count, row) in seen.items()
            if count == 1
        ]
