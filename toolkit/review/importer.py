"""The import: a filled workbook (or a foreign CSV) back to the canonical CSV its schema describes.

The import turns a contributor's work into the catalog's CSV (UTF-8, commas, ISO dates, decimal
points) and says, cell by cell (``B7``), what it could not convert. Nothing is dropped: a cell that
cannot be converted is copied as it is and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.catalog.model import display_path
from toolkit.errors import ToolkitError, UsageError
from toolkit.errors import shown as escaped
from toolkit.report.findings import Finding, column_letter, make_finding, words
from toolkit.review.workbook import SchemaInfo, load_schema, refuse_overwrite, write_atomically

# Limits for workbooks we open: an .xlsx is a zip, and a zip can expand to far more than it weighs.
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 10_000
MAX_BLANK_RUN = 10_000  # consecutive empty rows after which a sheet's table is taken to have ended


@dataclass(frozen=True)
class Change:
    """One value the import rewrote: where it is in the source, and what it was and became."""

    line: int  # the physical line of a CSV, or the row of a sheet
    column: str  # the source column's letter
    field: str | None
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class ImportResult:
    """What an import wrote, every value it changed, and what it could not convert."""

    source: Path
    into: Path
    sheet: str | None
    rows: int = 0
    blank_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None
    append: bool = False
    written: bool = False
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def converted(self) -> int:
        return len(self.changes)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self, lang: str) -> dict[str, Any]:
        """The shape ``ciudades import --json`` prints."""
        return {
            "source": display_path(self.source),
            "into": display_path(self.into),
            "sheet": self.sheet,
            "ok": self.ok,
            "written": self.written,
            "append": self.append,
            "rows": self.rows,
            "blank_rows": self.blank_rows,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "date_order": self.date_order,
            "changes": [c.to_dict() for c in self.changes],
            "findings": [f.to_dict(lang) for f in self.findings],
        }


_MONTHS = {
    **dict.fromkeys(("enero", "ene", "january", "jan"), 1),
    **dict.fromkeys(("febrero", "feb", "february"), 2),
    **dict.fromkeys(("marzo", "mar", "march"), 3),
    **dict.fromkeys(("abril", "abr", "april", "apr"), 4),
    **dict.fromkeys(("mayo", "may"), 5),
    **dict.fromkeys(("junio", "jun", "june"), 6),
    **dict.fromkeys(("julio", "jul", "july"), 7),
    **dict.fromkeys(("agosto", "ago", "august", "aug"), 8),
    **dict.fromkeys(("septiembre", "setiembre", "sep", "sept", "set", "september"), 9),
    **dict.fromkeys(("octubre", "oct", "october"), 10),
    **dict.fromkeys(("noviembre", "nov", "november"), 11),
    **dict.fromkeys(("diciembre", "dic", "december", "dec"), 12),
}
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_NAMED = re.compile(
    r"^(\d{1,2})(?:\s+de\s+|[\s/.-]+)([a-z]+)\.?(?:\s+de\s+|\s+del\s+|[\s/.,-]+)(\d{4})$"
)
_DATE_NAMED_US = re.compile(r"^([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_BOOLEAN = {
    **dict.fromkeys(("true", "verdadero", "si", "sí", "yes", "1"), True),
    **dict.fromkeys(("false", "falso", "no", "0"), False),
}


class _Unconverted(Exception):
    """A cell that cannot be converted; carries why and how to fix it, in (es, en)."""

    def __init__(
        self,
        detail: tuple[str, str],
        fix: tuple[str, str],
        code: str = "import-unconverted",
        expected: tuple[str, str] | None = None,
    ):
        super().__init__(detail[1])
        self.detail = detail
        self.fix = fix
        self.code = code
        self.expected = expected  # what the field takes, when its type alone does not say it


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn"
    ).strip()


_DATE_FIX = (
    "escribe la fecha como AAAA-MM-DD (p. ej. 2016-11-30).",
    "write the date as YYYY-MM-DD (e.g. 2016-11-30).",
)
DATE_ORDERS = ("dmy", "mdy")
_MONTH_NAMES = [
    ("enero", "January"),
    ("febrero", "February"),
    ("marzo", "March"),
    ("abril", "April"),
    ("mayo", "May"),
    ("junio", "June"),
    ("julio", "July"),
    ("agosto", "August"),
    ("septiembre", "September"),
    ("octubre", "October"),
    ("noviembre", "November"),
    ("diciembre", "December"),
]


def _make_date(y: int, m: int, d: int) -> str:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        raise _Unconverted(("ese día no existe", "that day does not exist"), _DATE_FIX) from None


def _numeric_date(a: int, b: int, y: int, order: str | None) -> str:
    """``a/b/y`` as a date: day first or month first as ``order`` says; without an order, only
    when one reading is impossible (``30/11/2016``) or both are the same day (``03/03/2025``)."""
    if order is None:
        if a > 12 and b <= 12:
            order = "dmy"
        elif b > 12 and a <= 12:
            order = "mdy"
        elif a == b or a > 12:
            order = "dmy"  # one reading, or none: the day check below says which
        else:
            es = f"el {a} de {_MONTH_NAMES[b - 1][0]} o el {b} de {_MONTH_NAMES[a - 1][0]} de {y}"
            en = f"{a} {_MONTH_NAMES[b - 1][1]} or {b} {_MONTH_NAMES[a - 1][1]} {y}"
            raise _Unconverted(
                (es, en), ("", ""), code="import-ambiguous-date", expected=("una fecha", "a date")
            )
    d, m = (a, b) if order == "dmy" else (b, a)
    if m > 12:
        said = "día/mes/año" if order == "dmy" else "mes/día/año"
        said_en = "day/month/year" if order == "dmy" else "month/day/year"
        raise _Unconverted(
            (f"leída como {said}, no hay mes {m}", f"read as {said_en}, there is no month {m}"),
            _DATE_FIX,
        )
    return _make_date(y, m, d)


def _parse_date(text: str, order: str | None = None) -> str:
    folded = _fold(text)
    if m := _DATE_ISO.match(folded) or _DATE_YMD.match(folded):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DATE_DMY.match(folded):
        return _numeric_date(int(m[1]), int(m[2]), int(m[3]), order)
    for pattern, day_first in ((_DATE_NAMED, True), (_DATE_NAMED_US, False)):
        if m := pattern.match(folded):
            day, name = (m[1], m[2]) if day_first else (m[2], m[1])
            if name not in _MONTHS:
                raise _Unconverted(
                    (f"«{name}» no es un nombre de mes", f"'{name}' is not a month name"), _DATE_FIX
                )
            return _make_date(int(m[3]), _MONTHS[name], int(day))
    raise _Unconverted(("no es una fecha reconocible", "it is not a recognisable date"), _DATE_FIX)


_NUMBER_FIX = (
    "escribe solo dígitos, con punto decimal y sin separador de miles (p. ej. 1500000.50).",
    "write digits only, with a decimal point and no thousands separator (e.g. 1500000.50).",
)
_GROUPED = re.compile(r"^\d{1,3}(?:([.,' \u2019])\d{3})+(?:([.,])(\d+))?$")


def _parse_number(text: str) -> str:
    s = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    sign = ""
    if s[:1] in "+-" and s[:1]:
        sign, s = ("-" if s[0] == "-" else ""), s[1:].strip()
    if re.fullmatch(r"\d+", s):
        return sign + s
    single = re.fullmatch(r"(\d+)([.,])(\d+)", s)
    if single:
        whole, sep, frac = single.groups()
        if len(frac) == 3 and 1 <= len(whole) <= 3 and whole != "0":
            reading = (
                f"{whole}{frac} con «{sep}» de miles, o {whole}.{frac} con «{sep}» decimal",
                f"{whole}{frac} with '{sep}' for thousands, or {whole}.{frac} with '{sep}' as decimal mark",
            )
            raise _Unconverted(reading, _NUMBER_FIX, code="import-ambiguous")
        return f"{sign}{whole}.{frac}"
    grouped = _GROUPED.match(s)
    if grouped:
        thousands, decimal, frac = grouped.groups()
        if decimal is None or decimal != thousands:
            whole = re.sub(r"[.,' \u2019]", "", s.split(decimal)[0] if decimal else s)
            return f"{sign}{whole}" + (f".{frac}" if decimal else "")
    raise _Unconverted(("no es un número reconocible", "it is not a recognisable number"), _NUMBER_FIX)


def _plain_float(x: float) -> str:
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = repr(x)
    if "e" in text or "E" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
    return text


def _convert(
    value: Any, f: dict[str, Any] | None, info: SchemaInfo | None, date_order: str | None = None
) -> str:
    """One cell to its canonical text for field ``f``; raises :class:`_Unconverted`."""
    if value is None:
        return ""
    kind = (f or {}).get("type", "string")
    if isinstance(value, bool):
        if kind == "boolean" or kind == "string":
            return "true" if value else "false"
        raise _Unconverted(("es un valor verdadero/falso", "it is a true/false value"), _NUMBER_FIX)
    if isinstance(value, dt.datetime):
        if kind == "datetime":
            return value.isoformat(timespec="seconds")
        if value.time() != dt.time(0) and kind == "date":
            raise _Unconverted(
                ("la celda tiene hora además de fecha", "the cell has a time as well as a date"), _DATE_FIX
            )
        if kind in ("date", "string"):
            return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
        raise _Unconverted(("es una fecha", "it is a date"), _NUMBER_FIX)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        text = str(value) if isinstance(value, int) else _plain_float(value)
        if kind == "integer" and "." in text:
            raise _Unconverted(("no es un número entero", "it is not a whole number"), _NUMBER_FIX)
        if kind in ("date", "datetime"):
            raise _Unconverted(("es un número, no una fecha", "it is a number, not a date"), _DATE_FIX)
        if kind == "boolean" and text in ("0", "1"):
            return "true" if text == "1" else "false"
        return _check_text(text, f, info) if kind == "string" and f is not None else text
    text = str(value).strip()
    if not text or f is None:
        return text
    missing = (info.data.get("missingValues") if info else None) or [""]
    if text in missing:
        return text
    if kind in ("date",):
        return _parse_date(text, date_order)
    if kind in ("number", "integer"):
        number = _parse_number(text)
        if kind == "integer" and "." in number:
            whole, frac = number.split(".")
            if frac.strip("0"):
                raise _Unconverted(("no es un número entero", "it is not a whole number"), _NUMBER_FIX)
            number = whole
        return number
    if kind == "boolean":
        truth = _BOOLEAN.get(_fold(text), _BOOLEAN.get(text.lower()))
        if truth is None:
            raise _Unconverted(
                ("no es sí/no ni true/false", "it is not yes/no or true/false"),
                ("escribe true (sí) o false (no).", "write true (yes) or false (no)."),
            )
        return "true" if truth else "false"
    return _check_text(text, f, info) if kind == "string" else text


def _check_text(text: str, f: dict[str, Any], info: SchemaInfo | None) -> str:
    """A text cell as the field takes it: a country or currency name becomes its ISO code, a
    codelist label its code; anything still outside the codes, the enum or the pattern raises
    :class:`_Unconverted`, so that no value the field refuses is passed on in silence."""
    if not text or info is None or text in (info.data.get("missingValues") or [""]):
        return text
    sep = f.get("listSeparator")
    parts = [p.strip() for p in text.split(sep)] if sep else [text]
    system = f.get("codeSystem")
    if system in ("iso3166-1-alpha2", "iso3166-1-alpha3"):
        parts = [_country_code(p, 2 if system.endswith("2") else 3) for p in parts]
    elif system == "iso4217":
        parts = [_currency_code(p) for p in parts]
    allowed = info.allowed(f)
    if allowed:
        parts = [_to_code(p, f, info, allowed) for p in parts]
    text = (sep or "").join(parts)
    pattern = (f.get("constraints") or {}).get("pattern")
    if isinstance(pattern, str):
        try:
            fits = re.fullmatch(pattern, text) is not None
        except re.error:
            fits = True  # a pattern Python cannot read is the schema's problem, reported by validate
        if not fits:
            raise _Unconverted(
                ("ninguna conversión automática lo logra", "no automatic conversion achieves it"),
                _field_words(f),
                expected=(
                    f"un valor con el formato de «{f['name']}»",
                    f"a value in the format of '{f['name']}'",
                ),
            )
    return text


def _field_words(f: dict[str, Any]) -> tuple[str, str]:
    """What ``f`` asks for, in words (its description and example), never a regular expression."""
    es = str(f.get("description") or f.get("title") or f["name"]).strip().rstrip(".")
    en = str(f.get("description_en") or f.get("title_en") or es).strip().rstrip(".")
    if f.get("example") not in (None, ""):
        es += f"; por ejemplo, {f['example']}"
        en += f"; for example, {f['example']}"
    es, en = (t[:1].lower() + t[1:] if t[1:2].islower() else t for t in (es, en))
    return f"el campo «{f['name']}» pide: {es}.", f"the field '{f['name']}' asks for: {en}."


def _to_code(text: str, f: dict[str, Any], info: SchemaInfo, allowed: list[str]) -> str:
    """Codes stay codes; a label typed instead (in Spanish or English, any case) becomes its code."""
    if text in allowed:
        return text
    by_label: dict[str, str] = {_fold(code): code for code in allowed}
    cl = info.codelists.get(f.get("codelist") or "")
    if cl is not None:
        for code in cl.codes:
            for label in cl.labels[code]:
                by_label.setdefault(_fold(str(label)), str(code))
    code = by_label.get(_fold(text))
    if code is not None:
        return code
    shown_codes = ", ".join(allowed[:15]) + (", …" if len(allowed) > 15 else "")
    sep = f.get("listSeparator")
    several = (f" (varios, separados por «{sep}»)", f" (several, separated by '{sep}')") if sep else ("", "")
    name = f.get("codelist")
    listed = (
        (f"la lista «{name}»", f"the list '{name}'")
        if name
        else ("los valores permitidos", "the allowed values")
    )
    raise _Unconverted(
        ("no es un código ni un nombre de esa lista", "it is neither a code nor a label of that list"),
        (
            f"usa estos códigos{several[0]}: {shown_codes}.",
            f"use these codes{several[1]}: {shown_codes}.",
        ),
        expected=(f"un código de {listed[0]}", f"a code of {listed[1]}"),
    )


_CURRENCY_SIGNS = {
    "us$": "USD",
    "u$s": "USD",
    "usd$": "USD",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "r$": "BRL",
    "s/": "PEN",
    "s/.": "PEN",
    "mx$": "MXN",
    "col$": "COP",
}


@functools.cache
def _country_names(kind: int) -> dict[str, str]:
    """Folded country names (English and Spanish, short, common and official) and codes of either
    length, to the ISO 3166-1 code of length ``kind``."""
    import gettext

    import pycountry

    try:
        catalogue: gettext.NullTranslations = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=["es"]
        )
    except OSError:  # pragma: no cover - pycountry ships its Spanish catalogue
        catalogue = gettext.NullTranslations()
    spanish = catalogue.gettext
    out: dict[str, str] = {}
    for c in pycountry.countries:
        code = c.alpha_2 if kind == 2 else c.alpha_3
        names = [c.alpha_2, c.alpha_3, c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")]
        names += [spanish(n) for n in names[2:] if n]
        for n in names:
            if n:
                out.setdefault(_fold(n), code)
    return out


def _country_code(text: str, kind: int) -> str:
    code = _country_names(kind).get(_fold(text))
    if code is None:
        example = "PE para Perú, ES para España" if kind == 2 else "PER para Perú, ESP para España"
        example_en = "PE for Peru, ES for Spain" if kind == 2 else "PER for Peru, ESP for Spain"
        raise _Unconverted(
            ("no es un país que se reconozca", "it is not a recognisable country"),
            (
                f"escribe el código ISO 3166-1 alfa-{kind} del país ({example}).",
                f"write the country's ISO 3166-1 alpha-{kind} code ({example_en}).",
            ),
            expected=(
                f"un código de país ISO 3166-1 alfa-{kind}",
                f"an ISO 3166-1 alpha-{kind} country code",
            ),
        )
    return code


@functools.cache
def _currency_names() -> dict[str, str]:
    import pycountry

    out = {_fold(c.alpha_3): c.alpha_3 for c in pycountry.currencies}
    for c in pycountry.currencies:
        out.setdefault(_fold(c.name), c.alpha_3)
    return {**out, **_CURRENCY_SIGNS}


def _currency_code(text: str) -> str:
    code = _currency_names().get(_fold(text))
    if code is None:
        raise _Unconverted(
            ("no es una moneda que se reconozca", "it is not a recognisable currency"),
            (
                "escribe el código ISO 4217 de la moneda (p. ej. USD para «US$», MXN, EUR).",
                "write the currency's ISO 4217 code (e.g. USD for 'US$', MXN, EUR).",
            ),
            expected=("un código de moneda ISO 4217", "an ISO 4217 currency code"),
        )
    return code


def _check_workbook(path: Path) -> None:
    """Refuse what is not a workbook, and workbooks that would expand to absurd sizes."""
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise UsageError(
            f"«{path}» pesa {size // 1_048_576} MB; el máximo es {MAX_WORKBOOK_BYTES // 1_048_576} MB.",
            f"'{path}' weighs {size // 1_048_576} MB; the maximum is {MAX_WORKBOOK_BYTES // 1_048_576} MB.",
        )
    if not zipfile.is_zipfile(path):
        raise UsageError(
            f"«{path}» no es un libro .xlsx (los .xls antiguos hay que guardarlos antes como .xlsx o .csv).",
            f"'{path}' is not an .xlsx workbook (save old .xls files as .xlsx or .csv first).",
        )
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1_048_576), default=0)
    if len(infos) > MAX_ZIP_ENTRIES or total > MAX_UNCOMPRESSED_BYTES or worst > MAX_COMPRESSION_RATIO:
        raise UsageError(
            f"Se rechazó «{path}»: al descomprimirse ocuparía {total // 1_048_576} MB en {len(infos)} "
            "partes, demasiado para un libro de datos (¿un archivo dañado o malicioso?).",
            f"Refused '{path}': it would expand to {total // 1_048_576} MB in {len(infos)} parts, too much "
            "for a data workbook (a damaged or malicious file?).",
        )


def _header_map(
    header: list[Any], info: SchemaInfo
) -> tuple[list[dict[str, Any] | None], list[tuple[int, str]], list[str]]:
    """Each source column's field (by name, or by its Spanish or English title); unknown columns; and
    fields no column provides."""
    lookup: dict[str, dict[str, Any]] = {}
    for spec in info.fields:
        for key in (spec["name"], spec.get("title"), spec.get("title_en")):
            if key:
                lookup.setdefault(_fold(str(key)), spec)
    mapped: list[dict[str, Any] | None] = []
    unknown: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        f: dict[str, Any] | None = lookup.get(_fold(text)) if text else None
        if f is not None and f["name"] in seen:
            f = None
        if f is None and text:
            unknown.append((i, text))
        if f is not None:
            seen.add(f["name"])
        mapped.append(f)
    missing = [f["name"] for f in info.fields if f["name"] not in seen]
    return mapped, unknown, missing


def _read_workbook(
    path: Path, sheet: str | None, info: SchemaInfo
) -> tuple[str, list[list[Any]], list[list[bool]]]:
    """The chosen sheet's rows (values; formulas as their text, never computed) and which cells hold
    formulas."""
    from openpyxl import load_workbook

    _check_workbook(path)
    try:
        return _read_sheet(load_workbook, path, sheet, info)
    except (ToolkitError, _StoppedReading):
        raise
    except Exception as ex:  # a damaged or hand-made file: openpyxl fails in many different ways
        shown = display_path(path)
        if _entities_refused(ex):
            raise UsageError(
                f"Se rechazó «{shown}»: su XML declara entidades (DTD), algo que un libro .xlsx normal "
                "nunca trae y que sirve para ataques como «billion laughs» o la lectura de archivos "
                "locales (XXE).",
                f"Refused '{shown}': its XML declares entities (a DTD), which a normal .xlsx workbook "
                "never has and which serve attacks such as 'billion laughs' or reading local files (XXE).",
            ) from None
        detail = f"{type(ex).__name__}: {str(ex)[:200]}"
        raise UsageError(
            f"No se pudo leer «{shown}» como libro .xlsx ({detail}); ábrelo en una hoja de cálculo y "
            "guárdalo de nuevo como .xlsx, o expórtalo como CSV.",
            f"Could not read '{shown}' as an .xlsx workbook ({detail}); open it in a spreadsheet and "
            "save it again as .xlsx, or export it as CSV.",
        ) from None


def _entities_refused(ex: BaseException) -> bool:
    """Whether defusedxml refused a DTD or an entity somewhere in the chain of ``ex``."""
    from defusedxml import DefusedXmlException

    seen: set[int] = set()
    current: BaseException | None = ex
    while current is not None and id(current) not in seen:
        if isinstance(current, DefusedXmlException):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _sheet_size_from_start(self: Any) -> None:
    """``ReadOnlyWorksheet._get_size`` that stops where the data starts.

    openpyxl looks for ``<dimension>`` listening to *end* events, so a sheet without one (any
    hand-made or hostile file) is parsed whole just to learn that; with 1M formatted rows that
    takes minutes. The answer is the same: the element comes before ``<sheetData>`` or not at all.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    src = self._get_source()
    try:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == DATA_TAG:
                return
            if element.tag == DIMENSION_TAG and element.get("ref"):
                bounds = SheetDimension.from_tree(element).boundaries
                if bounds is not None:
                    self._min_column, self._min_row, self._max_column, self._max_row = bounds
                return
    finally:
        src.close()


def _read_sheet(
    load_workbook: Callable[..., Any], path: Path, sheet: str | None, info: SchemaInfo
) -> tuple[str, list[list[Any]], list[list[bool]]]:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _sheet_size_from_start
    # openpyxl goes by the name's extension; a workbook saved under another name (a ".csv" that is
    # really an .xlsx) is handed over as bytes, which _check_workbook has bounded.
    known = path.suffix.lower() in (".xlsx", ".xlsm", ".xltx", ".xltm")
    wb = load_workbook(path if known else io.BytesIO(path.read_bytes()), read_only=True, data_only=False)
    try:
        names = [ws.title for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise UsageError(
                    f"El libro no tiene la hoja «{sheet}»; tiene: {', '.join(wb.sheetnames)}.",
                    f"The workbook has no sheet '{sheet}'; it has: {', '.join(wb.sheetnames)}.",
                )
            chosen = sheet
        else:
            field_names = {_fold(f["name"]) for f in info.fields}
            chosen = next((n for n in names if _fold(n) == _fold(info.name)), "")
            if not chosen:
                for name in names:
                    first = next(wb[name].iter_rows(max_row=1, values_only=True), ())
                    if any(_fold(str(c)) in field_names for c in first if c is not None):
                        chosen = name
                        break
            if not chosen:
                raise UsageError(
                    "Ninguna hoja del libro tiene en la primera fila los encabezados del esquema; "
                    "indica la hoja con --sheet.",
                    "No sheet of the workbook has the schema's headers in its first row; "
                    "name the sheet with --sheet.",
                )
        rows: list[list[Any]] = []
        formulas: list[list[bool]] = []
        blank_run = 0
        for row in wb[chosen].iter_rows():
            values = [c.value for c in row]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                # Spreadsheets format whole columns down to row 1,048,576: a long run of empty rows
                # ends the table, and reading on would take minutes for nothing.
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    del rows[len(rows) - blank_run + 1 :], formulas[len(formulas) - blank_run + 1 :]
                    raise _StoppedReading(chosen, rows, formulas, len(rows))
                rows.append([])
                formulas.append([])
                continue
            blank_run = 0
            rows.append(values)
            formulas.append([getattr(c, "data_type", None) == "f" for c in row])
    finally:
        wb.close()
    return chosen, rows, formulas


class _StoppedReading(Exception):
    """Carries what was read before a run of :data:`MAX_BLANK_RUN` empty rows."""

    def __init__(self, sheet: str, rows: list[list[Any]], formulas: list[list[bool]], last: int) -> None:
        super().__init__(sheet)
        self.sheet, self.rows, self.formulas, self.last = sheet, rows, formulas, last


def import_table(
    source: Path,
    into: Path,
    *,
    schema: str | Path | None = None,
    sheet: str | None = None,
    force: bool = False,
    date_order: str | None = None,
    append: bool = False,
) -> ImportResult:
    """Convert ``source`` (.xlsx or .csv) into the canonical CSV ``into`` following its schema.

    The schema is ``schema`` (a name or a file) or, by default, the one named like ``into``
    (``agreements.csv`` → ``schemas/agreements.schema.yaml``). Writes only ``into``, atomically,
    and only over an existing file with ``force``; with ``append``, adds the rows to the existing
    ``into`` instead, and only when every value was converted and no key is repeated. A day/month
    date such as ``03/12/2025`` is read only with ``date_order`` (``dmy`` or ``mdy``).
    """
    if not source.is_file():
        raise UsageError(f"No existe el archivo «{source}».", f"The file '{source}' does not exist.")
    if into.suffix.lower() != ".csv":
        raise UsageError(
            f"--into debe ser un archivo .csv, no «{into}».", f"--into must be a .csv file, not '{into}'."
        )
    if date_order is not None and date_order not in DATE_ORDERS:
        raise UsageError(
            f"--date-order debe ser dmy o mdy, no «{date_order}».",
            f"--date-order must be dmy or mdy, not '{date_order}'.",
        )
    if append and force:
        raise UsageError(
            "Usa --append (agrega filas a la tabla) o --force (la reemplaza), no ambos.",
            "Use --append (add rows to the table) or --force (replace it), not both.",
        )
    if append and not into.is_file():
        raise UsageError(
            f"«{into}» no existe: --append agrega filas a una tabla que ya existe. Sin --append, "
            "import la crea.",
            f"'{into}' does not exist: --append adds rows to a table that exists. Without --append, "
            "import creates it.",
        )
    if not append:
        refuse_overwrite(into, force)
    info = load_schema(schema if schema is not None else into.stem, near=into)
    existing = _ExistingTable.read(into, info) if append else None
    shown = display_path(source)
    result = ImportResult(source, into, None, date_order=date_order, append=append)
    formulas: list[list[bool]] = []
    stopped: _StoppedReading | None = None
    lines: list[int] | None = None  # physical line of each row of a CSV; a sheet's rows are its lines
    with source.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04" or source.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            sheet_name, rows, formulas = _read_workbook(source, sheet, info)
        except _StoppedReading as ex:
            stopped, sheet_name, rows, formulas = ex, ex.sheet, ex.rows, ex.formulas
        result.sheet = sheet_name
    elif source.suffix.lower() in (".csv", ".tsv", ".txt"):
        from toolkit.validation.rawcsv import read_table

        table, problems = read_table(source, shown, {}, [])
        if table is None:
            detail = problems[0].message_es if problems else "no se pudo leer"
            detail_en = problems[0].message_en if problems else "could not be read"
            raise UsageError(f"No se pudo leer «{shown}»: {detail}", f"Could not read '{shown}': {detail_en}")
        rows = [list(table.header), *[list(r) for r in table.rows]]
        lines = [1, *table.lines]
        result.encoding, result.delimiter = table.encoding, table.delimiter
    else:
        raise UsageError(
            f"«{source}» no es .xlsx ni .csv.", f"'{source}' is neither an .xlsx nor a .csv file."
        )
    if not rows:
        raise UsageError(f"«{shown}» está vacío.", f"'{shown}' is empty.")
    where = {"path": shown, "resource": result.sheet}
    if stopped is not None:
        result.findings.append(
            make_finding("import-stopped", line=stopped.last, row=stopped.last, value=MAX_BLANK_RUN, **where)
        )
    mapped, unknown, missing = _header_map(rows[0], info)
    for index, name in unknown:
        result.findings.append(
            make_finding(
                "import-column",
                line=1,
                row=1,
                column=column_letter(index + 1),
                value=name,
                detail=f"La columna «{name}» no está en el esquema; se agregó al final.",
                detail_en=f"The column '{name}' is not in the schema; it was added at the end.",
                **where,
            )
        )
    if missing:  # one finding for all of them: a short sheet is one thing to know, not ten
        names_es, names_en = ", ".join(f"«{n}»" for n in missing), ", ".join(f"'{n}'" for n in missing)
        several = len(missing) > 1
        result.findings.append(
            make_finding(
                "import-column",
                line=1,
                row=1,
                field=", ".join(missing),
                detail=f"Faltan las columnas {names_es}; se dejaron vacías."
                if several
                else f"Falta la columna {names_es}; se dejó vacía.",
                detail_en=f"The columns {names_en} are missing; they were left empty."
                if several
                else f"The column {names_en} is missing; it was left empty.",
                **where,
            )
        )
    out_header = [f["name"] for f in info.fields] + [name for _, name in unknown]
    position = {f["name"]: i for i, f in enumerate(mapped) if f is not None}
    position.update({name: i for i, name in unknown})
    width = len(rows[0])
    out_rows: list[list[str]] = []
    out_places: list[tuple[int, int]] = []  # (row, line) of each row written
    for r, row in enumerate(rows[1:], start=2):
        line = lines[r - 1] if lines is not None else r
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            result.blank_rows += 1
            continue
        out: list[str] = []
        for name in out_header:
            i: int | None = position.get(name)
            value = row[i] if i is not None and i < len(row) else None
            f = mapped[i] if i is not None and i < len(mapped) else None
            is_formula = bool(formulas and i is not None and i < len(formulas[r - 1]) and formulas[r - 1][i])
            if is_formula:
                result.findings.append(_cell_finding("import-formula", value, f, i, r, line, where))
                out.append(str(value))
                continue
            try:
                text = _convert(value, f, info, date_order)
            except _Unconverted as ex:
                text = "" if value is None else str(value)
                result.findings.append(_cell_finding(ex.code, value, f, i, r, line, where, ex))
            else:
                before = _as_text(value)
                if text != before and i is not None:
                    change = Change(line, column_letter(i + 1) or "", (f or {}).get("name"), before, text)
                    result.changes.append(change)
            out.append(text)
        for j in range(width, len(row)):  # cells beyond the header: kept in the report, not guessed
            if row[j] not in (None, ""):
                ref = f"{column_letter(j + 1)}{r}"
                result.findings.append(
                    make_finding(
                        "import-column",
                        line=line,
                        row=r,
                        column=column_letter(j + 1),
                        value=row[j],
                        detail=f"La celda {ref} está fuera de las columnas con encabezado; no se copió.",
                        detail_en=f"The cell {ref} is outside the columns with a header; it was not copied.",
                        **where,
                    )
                )
        out_rows.append(out)
        out_places.append((r, line))
    result.rows = len(out_rows)
    if existing is not None:
        letters = {name: column_letter(i + 1) or "" for name, i in position.items()}
        existing.check_keys(out_header, out_rows, out_places, letters, result, where)
        if result.ok:
            write_atomically(into, existing.appended(out_header, out_rows))
            result.written = True
        return result
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(out_header)
    writer.writerows(out_rows)
    write_atomically(into, buffer.getvalue().encode("utf-8"))
    result.written = True
    return result


def _as_text(value: Any) -> str:
    """A cell as its reader sees it, to tell whether the import changed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return _plain_float(value)
    return str(value)


@dataclass
class _ExistingTable:
    """The table ``--append`` adds to: its bytes as they are, its header and its keys."""

    path: Path
    data: bytes
    header: list[str]
    newline: str
    key: list[str]
    keys: dict[tuple[str, ...], int]  # each row's primary key → its line

    @classmethod
    def read(cls, path: Path, info: SchemaInfo) -> _ExistingTable:
        from toolkit.validation.rawcsv import read_table

        shown = display_path(path)
        table, problems = read_table(path, shown, {}, [])
        if table is None or table.encoding != "utf-8" or table.delimiter != ",":
            why = problems[0] if problems else None
            raise UsageError(
                f"No se pueden agregar filas a «{shown}»"
                + (f" ({why.message_es.rstrip('.')})" if why else "")
                + f": conviértela antes con: ciudades import {shown} --into {shown} --force",
                f"Cannot add rows to '{shown}'"
                + (f" ({why.message_en.rstrip('.')})" if why else "")
                + f": convert it first with: ciudades import {shown} --into {shown} --force",
            )
        data = path.read_bytes()
        first_end = data.find(b"\n")
        newline = "\r\n" if first_end > 0 and data[first_end - 1 : first_end] == b"\r" else "\n"
        pk = info.data.get("primaryKey") or []
        key = [pk] if isinstance(pk, str) else [str(k) for k in pk if isinstance(k, str)]
        keys: dict[tuple[str, ...], int] = {}
        if key and all(k in table.header for k in key):
            index = [table.header.index(k) for k in key]
            for row, line in zip(table.rows, table.lines, strict=True):
                value = tuple(row[i] if i < len(row) else "" for i in index)
                if any(value):
                    keys.setdefault(value, line)
        return cls(path, data, list(table.header), newline, key, keys)

    def check_keys(
        self,
        header: list[str],
        rows: list[list[str]],
        places: list[tuple[int, int]],
        letters: dict[str, str],
        result: ImportResult,
        where: dict[str, Any],
    ) -> None:
        """A finding for each new row whose key the table, or an earlier new row, already has;
        a usage error when the new rows have values in columns the table does not have."""
        extra = [
            name
            for c, name in enumerate(header)
            if name not in self.header and any(c < len(r) and r[c] for r in rows)
        ]
        if extra:
            target = display_path(self.path)
            raise UsageError(
                f"«{target}» no tiene las columnas {', '.join(extra)}, que traen datos; --append no "
                "agrega columnas. Agrégalas antes a la tabla, o importa sin --append.",
                f"'{target}' has no columns {', '.join(extra)}, which hold data; --append adds no "
                "columns. Add them to the table first, or import without --append.",
            )
        if not self.key or not all(k in header for k in self.key):
            return
        index = [header.index(k) for k in self.key]
        target = display_path(self.path)
        seen: dict[tuple[str, ...], int] = {}
        for row, (r, line) in zip(rows, places, strict=True):
            value = tuple(row[i] for i in index)
            if not any(value):
                continue
            if value in self.keys:
                detail = (f"la línea {self.keys[value]} de {target}", f"line {self.keys[value]} of {target}")
            elif value in seen:
                detail = (f"la línea {seen[value]} de este archivo", f"line {seen[value]} of this file")
            else:
                seen[value] = line
                continue
            result.findings.append(
                make_finding(
                    "import-duplicate",
                    line=line,
                    row=r,
                    column=letters.get(self.key[0]),
                    field=", ".join(self.key),
                    value=", ".join(value),
                    detail=detail[0],
                    detail_en=detail[1],
                    **where,
                )
            )

    def appended(self, header: list[str], rows: list[list[str]]) -> bytes:
        """The table's bytes unchanged, then the new rows in the table's own column order."""
        order = [header.index(name) if name in header else None for name in self.header]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=self.newline)
        writer.writerows([[row[i] if i is not None else "" for i in order] for row in rows])
        head = self.data
        if head and not head.endswith(b"\n"):
            head += self.newline.encode()
        return head + buffer.getvalue().encode("utf-8")


def _cell_finding(
    code: str,
    value: Any,
    f: dict[str, Any] | None,
    i: int | None,
    r: int,
    line: int,
    where: dict[str, Any],
    ex: _Unconverted | None = None,
) -> Finding:
    kind = (f or {}).get("type", "string")
    expected = {
        "date": ("una fecha AAAA-MM-DD", "a YYYY-MM-DD date"),
        "number": ("un número", "a number"),
        "integer": ("un número entero", "a whole number"),
        "boolean": ("true/false", "true/false"),
        "datetime": ("una fecha y hora", "a date and time"),
    }.get(kind, ("texto", "text"))
    if ex is not None and ex.expected is not None:
        expected = ex.expected
    detail = ex.detail if ex else ("", "")
    fix = ex.fix if ex else ("", "")
    return make_finding(
        code,
        line=line,
        row=r,
        column=column_letter((i or 0) + 1),
        field=(f or {}).get("name"),
        value=value,
        expected=expected[0],
        expected_en=expected[1],
        detail=detail[0],
        detail_en=detail[1],
        fix=fix[0],
        fix_en=fix[1],
        **where,
    )


_NOT_CONVERTED = ("import-unconverted", "import-ambiguous", "import-ambiguous-date")
_MAX_SHOWN = 60  # characters of a value in the text table of changes; --json has them whole


def _changes_table(result: ImportResult, es: bool) -> list[str]:
    """Every value the import changed, as an aligned table: where, field, before → after."""

    def quoted(text: str) -> str:
        text = escaped(text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…")
        return f"«{text}»" if es else f"'{text}'"

    if result.sheet:
        head = ["celda", "campo", "antes → después"] if es else ["cell", "field", "before → after"]
        body = [
            [f"{c.column}{c.line}", c.field or "", f"{quoted(c.before)} → {quoted(c.after)}"]
            for c in result.changes
        ]
    else:
        head = (
            ["línea", "columna", "campo", "antes → después"]
            if es
            else ["line", "column", "field", "before → after"]
        )
        body = [
            [str(c.line), c.column, c.field or "", f"{quoted(c.before)} → {quoted(c.after)}"]
            for c in result.changes
        ]
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head) - 1)]
    title = f"Celdas cambiadas ({len(body)}):" if es else f"Cells changed ({len(body)}):"
    return [title] + [
        "  " + "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in [head, *body]
    ]


def render_import(result: ImportResult, lang: str) -> str:
    """Each finding with its place (sheet and cell ``B7``, or file, line and column), the table of
    every value changed, then what was written."""
    es = lang == "es"
    w = words(lang)
    lines = []
    for f in result.findings:
        cell = f"{f.column or ''}{f.row or ''}"
        if result.sheet and not f.column:
            place = f"Hoja «{result.sheet}», fila {f.row}" if es else f"Sheet '{result.sheet}', row {f.row}"
        elif result.sheet:
            place = f"Hoja «{result.sheet}», celda {cell}" if es else f"Sheet '{result.sheet}', cell {cell}"
        else:
            place = f"{f.path} {w['line']} {f.line}" + (f", {w['col']} {f.column}" if f.column else "")
        if f.field and f.code != "import-column":
            place += f" ({f.field})"
        mark = "✗" if f.severity == "error" else "!"
        lines.append(f"{mark} {place}: {f.message(lang)}")
        lines.append(f"    → {w['fix']}: {f.hint(lang)}")
    if result.changes:
        lines.extend(_changes_table(result, es))
    source = f"{display_path(result.source)}" + (f" [{result.sheet}]" if result.sheet else "")
    if result.encoding == "utf-8-sig":
        lines.append("Marca de orden de bytes (BOM) quitada." if es else "Byte order mark (BOM) removed.")
    elif result.encoding and result.encoding not in ("utf-8",):
        lines.append(
            f"Codificación convertida: {result.encoding.upper()} → UTF-8."
            if es
            else f"Encoding converted: {result.encoding.upper()} → UTF-8."
        )
    if result.delimiter and result.delimiter != ",":
        sep = {"\t": "tab"}.get(result.delimiter, result.delimiter)
        lines.append(
            f"Separador convertido: «{sep}» → «,»." if es else f"Delimiter converted: '{sep}' → ','."
        )

    def n(count: int, one_es: str, many_es: str, one_en: str, many_en: str) -> str:
        if es:
            return f"{count} {one_es if count == 1 else many_es}"
        return f"{count} {one_en if count == 1 else many_en}"

    target = display_path(result.into)
    if result.append:
        rows = n(result.rows, "fila nueva", "filas nuevas", "new row", "new rows")
    else:
        rows = n(result.rows, "fila", "filas", "row", "rows")
    cells = n(result.converted, "celda cambiada", "celdas cambiadas", "cell changed", "cells changed")
    blank = n(
        result.blank_rows,
        "fila vacía omitida",
        "filas vacías omitidas",
        "blank row skipped",
        "blank rows skipped",
    )
    if not result.written:
        lines.append(
            f"✗ Nada se agregó a {target}: corrige lo indicado arriba y vuelve a importar con --append."
            if es
            else f"✗ Nothing was added to {target}: fix what is shown above and import again with --append."
        )
        return "\n".join(lines) + "\n"
    verb = {(True, True): "Agregado", (True, False): "Appended", (False, True): "Importado"}.get(
        (result.append, es), "Imported"
    )
    lines.append(f"{verb}: {source} → {target}: {rows}, {cells}, {blank}.")
    bad = sum(f.code in _NOT_CONVERTED for f in result.findings)
    if bad:
        what = n(
            bad, "celda sin convertir", "celdas sin convertir", "cell not converted", "cells not converted"
        )
        lines.append(
            f"✗ {what}: se copió tal cual; corrígela antes de validar."
            if es and bad == 1
            else f"✗ {what}: se copiaron tal cual; corrígelas antes de validar."
            if es
            else f"✗ {what}: copied as it is; fix it before validating."
            if bad == 1
            else f"✗ {what}: copied as they are; fix them before validating."
        )
    elif result.ok:
        lines.append("✓ Todo convertido." if es else "✓ Everything converted.")
    return "\n".join(lines) + "\n"
