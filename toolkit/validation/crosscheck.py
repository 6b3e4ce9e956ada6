"""The same agreement seen from two datasets of a catalog: both sides must agree.

A catalog holds one dataset per city and one per network, so a fact between two of its parties can
be recorded twice: the 2014 Bogotá–Mexico City memorandum in both cities' datasets, Quito's
membership of C40 in Quito's dataset and in the networks dataset. Rows of two datasets are linked
by a fixed rule (see the README, "The same agreement in two datasets"), never by a guess on the
compared values:

- memberships (``agreement_type`` ``membership``): the same local party and the same counterpart;
- any other agreement: the two local parties are each other's main counterpart (each dataset
  records it from its own city's side), or the same local party and counterpart with the same
  ``agreement_type`` and year of signature (a city's role in a network, in the city's dataset and
  in the network's);
- the rows sharing a ``claim_group`` with a linked row are claims about the same fact.

When the two parties have one such fact on each side, the two are linked whatever their type and
dates say; when they have several, facts are linked by the same type and year of signature. Two
linked facts agree when one claim of each side agrees on ``agreement_type``, ``date_signed`` (at the
coarser of the two ``date_precision``: a year agrees with any day of that year), ``start_date``,
``end_date`` and ``status`` (``unknown`` or an empty cell agrees with anything). A difference the
sources really have is declared by recording the other side's version as a separate claim in the
row's ``claim_group``.

The check runs across datasets, outside the per-table engines: it reads the agreements of every
dataset of the catalog (the ones not selected with ``--dataset`` or ``--changed-since`` too) and
reports only on the selected datasets' rows, once per disagreement: on the row of the first
selected dataset in catalog order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from toolkit.catalog.model import Catalog, Dataset, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.validation.rawcsv import read_table

__all__ = ["check_catalog"]

# The fields a table needs to take part: the shipped agreements schema's names.
PARTY, COUNTERPART, TYPE = "local_party_id", "counterpart_id", "agreement_type"
SIGNED, PRECISION, START, END, STATUS = "date_signed", "date_precision", "start_date", "end_date", "status"
ID, GROUP = "agreement_id", "claim_group"
MEMBERSHIP = "membership"
UNKNOWN_STATUS = "unknown"
_NEEDED = {ID, PARTY, COUNTERPART, TYPE}
_USED = {*_NEEDED, SIGNED, PRECISION, START, END, STATUS, GROUP}
_PRECISION_ES = {"year": "año", "month": "mes", "day": "día"}


@dataclass(frozen=True)
class _Row:
    dataset: str
    path: str
    resource: str
    row: int  # frictionless row number
    line: int
    cells: dict[str, str]
    columns: dict[str, int]

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


def check_catalog(catalog: Catalog) -> list[Finding]:
    """The findings of two linked rows of different datasets that disagree; reported on the
    catalog's selected datasets (``catalog.datasets``), the others read from its folder."""
    selected = [ds.slug for ds in catalog.datasets]
    every = list(catalog.datasets) + _unselected(catalog)
    order = {ds.slug: i for i, ds in enumerate(sorted(every, key=lambda d: d.slug))}
    facts = {ds.slug: _facts(list(_rows(ds))) for ds in every}  # once per dataset, not per pair
    findings: list[Finding] = []
    slugs = sorted(facts, key=order.__getitem__)
    for a_index, first in enumerate(slugs):
        for second in slugs[a_index + 1 :]:
            if first not in selected and second not in selected:
                continue
            for left, right in _linked(facts[first], facts[second]):
                if _agree(left, right):
                    continue
                here, there = (left, right) if first in selected else (right, left)
                findings.append(_finding(here[0], there[0]))
    return findings


def _unselected(catalog: Catalog) -> list[Dataset]:
    """The catalog's other datasets (not selected for this run), loaded without their findings."""
    if catalog.folder is None:
        return []
    from toolkit.catalog.model import load_catalog

    have = {ds.slug for ds in catalog.datasets}
    folders = [
        p.name
        for p in sorted(catalog.folder.iterdir())
        if p.is_dir() and p.name not in have and any((p / n).is_file() for n in _DESCRIPTORS)
    ]
    if not folders:
        return []
    other, _findings = load_catalog(catalog.folder, only=folders)
    return other.datasets


_DESCRIPTORS = ("datapackage.yaml", "datapackage.yml", "datapackage.json")


def _rows(ds: Dataset) -> Iterable[_Row]:
    for spec in ds.resources:
        if spec.schema is None or not set(spec.field_names) >= _NEEDED or not spec.path.is_file():
            continue
        shown = display_path(spec.path)
        table, _pre = read_table(spec.path, shown, {}, spec.field_names)
        if table is None:
            continue
        missing = set((spec.schema or {}).get("missingValues", [""]))
        columns = {name: i for i, name in enumerate(table.header) if name in _USED}  # not all 21
        for i, raw in enumerate(table.rows):
            cells = {
                name: raw[j].strip() for name, j in columns.items() if j < len(raw) and raw[j] not in missing
            }
            if cells.get(PARTY) and cells.get(COUNTERPART) and cells.get(ID):
                yield _Row(ds.slug, shown, spec.name, i + 2, table.lines[i], cells, columns)


# ── linking ──────────────────────────────────────────────────────────────────────────────────────


def _key(row: _Row) -> tuple[str, ...]:
    if row.get(TYPE) == MEMBERSHIP:
        return (MEMBERSHIP, row.get(PARTY), row.get(COUNTERPART))
    return ("pair", *sorted((row.get(PARTY), row.get(COUNTERPART))))


def _facts(rows: list[_Row]) -> dict[tuple[str, ...], list[list[_Row]]]:
    """Each key's facts: one row, or the row with the rows sharing its claim group (linked row
    first)."""
    groups: dict[str, list[_Row]] = {}
    for r in rows:
        if r.get(GROUP):
            groups.setdefault(r.get(GROUP), []).append(r)
    out: dict[tuple[str, ...], list[list[_Row]]] = {}
    for r in rows:
        facts = out.setdefault(_key(r), [])
        if r.get(GROUP) and any(r.get(GROUP) == f[0].get(GROUP) for f in facts):
            continue  # this claim group is already a fact of this key
        facts.append([r] + [o for o in groups.get(r.get(GROUP), []) if o is not r])
    return out


def _linked(
    left: dict[tuple[str, ...], list[list[_Row]]], right: dict[tuple[str, ...], list[list[_Row]]]
) -> Iterable[tuple[list[_Row], list[_Row]]]:
    """The facts of two datasets (see :func:`_facts`) that are linked."""
    for key, lefts in left.items():
        rights = right.get(key)
        if not rights:
            continue
        single = len(lefts) == 1 and len(rights) == 1
        for a in lefts:
            for b in rights:
                # Two cities record an agreement each from its own side (the local parties differ);
                # a city's role in a network, from the same side in the city's and the network's
                # dataset, is linked only by type and year: a city holds several roles over time.
                same_side = key[0] != MEMBERSHIP and a[0].get(PARTY) == b[0].get(PARTY)
                if (single and not same_side) or _signature(a) & _signature(b):
                    yield a, b


def _signature(fact: list[_Row]) -> set[tuple[str, str]]:
    return {(r.get(TYPE), r.get(SIGNED)[:4]) for r in fact if r.get(SIGNED)}


# ── comparing ────────────────────────────────────────────────────────────────────────────────────


def _agree(left: list[_Row], right: list[_Row]) -> bool:
    return any(not _differences(a, b) for a in left for b in right)


def _precision(row: _Row) -> int:
    """How many characters of ``date_signed`` the row vouches for."""
    return {"year": 4, "month": 7}.get(row.get(PRECISION), 10)


def _shown(row: _Row, name: str) -> tuple[str, str]:
    value = row.get(name)
    if name != SIGNED or not value:
        return value, value
    precision = row.get(PRECISION) or "day"
    size = _precision(row)
    word_es = _PRECISION_ES.get(precision.split("_")[0], precision)
    return f"{value[:size]} ({word_es})", f"{value[:size]} ({precision.split('_')[0]})"


def _date(row: _Row, name: str) -> bool:
    """Whether the row has a date in ``name`` (one that is not a date has its own finding)."""
    try:
        dt.date.fromisoformat(row.get(name))
    except ValueError:
        return False
    return True


def _differences(a: _Row, b: _Row) -> list[str]:
    """The fields on which ``a`` and ``b`` disagree (an empty cell disagrees with nothing)."""
    out = []
    if a.get(TYPE) != b.get(TYPE):
        out.append(TYPE)
    if _date(a, SIGNED) and _date(b, SIGNED):
        size = min(_precision(a), _precision(b))
        if a.get(SIGNED)[:size] != b.get(SIGNED)[:size]:
            out.append(SIGNED)
    for name in (START, END):
        if _date(a, name) and _date(b, name) and a.get(name) != b.get(name):
            out.append(name)
    statuses = {a.get(STATUS) or UNKNOWN_STATUS, b.get(STATUS) or UNKNOWN_STATUS}
    if UNKNOWN_STATUS not in statuses and len(statuses) == 2:
        out.append(STATUS)
    return out


def _finding(here: _Row, there: _Row) -> Finding:
    fields = _differences(here, there)
    detail_es, detail_en = [], []
    for name in fields:
        mine, theirs = _shown(here, name), _shown(there, name)
        detail_es.append(f"{name} «{mine[0]}» frente a «{theirs[0]}»")
        detail_en.append(f"{name} '{mine[1]}' vs '{theirs[1]}'")
    membership = here.get(TYPE) == MEMBERSHIP and there.get(TYPE) == MEMBERSHIP
    first = fields[0] if fields else TYPE
    return make_finding(
        "cross-dataset-mismatch",
        dataset=here.dataset,
        resource=here.resource,
        path=here.path,
        row=here.row,
        line=here.line,
        field=first,
        column=column_letter(here.columns[first] + 1) if first in here.columns else None,
        value=here.get(ID),
        here_path=here.path,
        other=there.get(ID),
        other_path=there.path,
        other_line=there.line,
        kind="la misma membresía" if membership else "el mismo acuerdo",
        kind_en="the same membership" if membership else "the same agreement",
        detail="; ".join(detail_es),
        detail_en="; ".join(detail_en),
    )
