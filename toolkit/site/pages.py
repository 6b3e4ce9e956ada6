"""Fill the context of every page of the catalog site from the catalog, its rows and its packages.

Links are worked out here, relative to the page that holds them, so the site works under any
sub-path and from a folder opened from disk; only canonical, hreflang and Open Graph URLs are
absolute (built from the catalog's ``base_url``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from toolkit.catalog.metadata import CatalogMeta, DatasetMeta, Download, schema_org, script_json
from toolkit.catalog.model import Catalog
from toolkit.catalog.remote import private_url
from toolkit.report.findings import Report, group, location
from toolkit.report.messages import CODES
from toolkit.site import charts
from toolkit.site import versions as site_versions
from toolkit.site.context import (
    FORMAT_NAMES,
    KIND_TEXT,
    LANGS,
    PREVIEW_CHARS,
    PREVIEW_ROWS,
    Alternate,
    Card,
    Cell,
    Chart,
    DatasetPage,
    DeadLink,
    Facet,
    Fact,
    FieldDoc,
    FileDoc,
    FindingGroup,
    IndexPage,
    Link,
    PageMeta,
    PartnerPage,
    PartnersPage,
    QualityPanel,
    ReportPage,
    ResourceDoc,
    Snippet,
    Table,
    absolute,
    markdown,
    page_path,
    rel,
)
from toolkit.site.data import (
    AGREEMENTS,
    FACETS,
    FUNDING,
    PARTNERS,
    DatasetData,
    Facets,
    PartnerRefs,
    amount_of,
    country_name,
    fmt_amount,
    fmt_bytes,
    fmt_date,
    fmt_int,
    http_url,
    label,
    one_claim_per_fact,
    org_id_list_url,
    partner_name,
    safe_name,
    split_list,
    subdivision_name,
    wikidata_url,
)
from toolkit.site.evidence import Evidence
from toolkit.site.linkhealth import DatasetLinks, LinkHealth, LinkState, long_date
from toolkit.site.quality import LEVELS, Quality, share
from toolkit.site.texts import FREQUENCIES, INSTALL_COMMAND, LICENCE_NOTES, pick, texts

# ── the builder ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class Pages:
    """Everything needed to make any page; one per build."""

    catalog: Catalog
    data: list[DatasetData]
    report: Report
    facets: Facets
    partners: dict[str, PartnerRefs]
    meta: CatalogMeta
    downloads: dict[str, list[Download]]  # slug (and the combined package's) → files
    combined: str | None
    assets: dict[str, str]  # asset name → path relative to the site root, with its content hash
    map_dir: Path
    evidence: dict[str, Evidence] = field(default_factory=dict)  # slug → what its validation checked
    verified: dict[str, bool] = field(default_factory=dict)  # slug → published files match the evidence
    quality: dict[str, Quality] = field(default_factory=dict)  # slug → its quality figures
    links: LinkHealth | None = None  # what check-links last found, from its cache
    kind_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # source kind → (es, en)
    versions: site_versions.Versions = field(default_factory=lambda: site_versions.Versions("no-git"))

    def by_slug(self, slug: str) -> DatasetData:
        return next(d for d in self.data if d.slug == slug)

    def dmeta(self, slug: str) -> DatasetMeta:
        return next(m for m in self.meta.datasets if m.slug == slug)

    # ── common ──

    def page_meta(
        self,
        kind: str,
        lang: str,
        args: tuple[str, ...],
        title: str,
        description: str,
        crumbs: list[tuple[str, str]] | None = None,
        jsonld: Any = None,
    ) -> PageMeta:
        t = texts(lang)
        path = page_path(kind, lang, *args)
        other = "en" if lang == "es" else "es"
        base = self.meta.base_url
        machine = [
            Link(t["machine_ttl"], rel(path, "catalog.ttl")),
            Link(t["machine_jsonld"], rel(path, "catalog.jsonld")),
            Link(t["machine_datajson"], rel(path, "data.json")),
            Link(t["machine_sitemap"], rel(path, "sitemap.xml")),
        ]
        return PageMeta(
            lang=lang,
            path=path,
            title=title,
            description=" ".join(description.split())[:300],
            canonical=absolute(base, path),
            alternates=[Alternate(lg, absolute(base, page_path(kind, lg, *args))) for lg in LANGS],
            switch=Link(t["switch_to"], rel(path, page_path(kind, other, *args))),
            home=rel(path, page_path("index", lang)),
            partners=rel(path, page_path("partners", lang)),
            assets={name: rel(path, target) for name, target in self.assets.items()},
            machine=machine,
            site_title=self.meta.title[lang],
            site_url=self.meta.base_url,
            breadcrumbs=[Link(lbl, rel(path, target)) for lbl, target in crumbs or []],
            og_type="article" if kind == "dataset" else "website",
            jsonld=Markup(script_json(jsonld)) if jsonld is not None else None,
        )

    def status(self, slug: str, lang: str) -> str:
        """ "Valid" only for a dataset with no errors whose published files are the bytes validated."""
        t = texts(lang)
        if not self.verified.get(slug) or not self.report.for_dataset(slug).valid:
            return t["not_verified"]
        n = len(self.report.for_dataset(slug).warnings)
        if n == 0:
            return t["valid"]
        return t["valid_warning"] if n == 1 else t["valid_warnings"].format(n=n)

    def licence(self, slug: str) -> tuple[str, str]:
        m = self.dmeta(slug)
        return m.licence_id, m.licence_title or m.licence_id

    # ── index and filter pages ──

    def facet_value_label(self, facet: str, value: str, lang: str) -> str:
        if facet == "city":
            return self.by_slug(value).city
        if facet == "country":
            return country_name(value.upper(), lang)
        if facet == "partner_type":
            return label(self.catalog, "partner_types", value, lang)
        if facet == "agreement_type":
            return label(self.catalog, "agreement_types", value, lang)
        return value

    def card(self, d: DatasetData, path: str, lang: str) -> Card:
        t = texts(lang)
        m = self.dmeta(d.slug)
        words = [d.title(lang), d.city, d.description(lang), *m.keywords.get(lang, [])]
        words += [partner_name(r, pid, lang) for pid, r in d.partner_index.items()]
        return Card(
            slug=d.slug,
            title=d.title(lang),
            href=rel(path, page_path("dataset", lang, d.slug)),
            city=d.city,
            publisher=self.meta.publisher_name,
            summary=_first_sentence(d.description(lang)),
            agreements=len(d.rows(AGREEMENTS)),
            funding=len(d.rows(FUNDING)),
            partners=len(d.counterparts()),
            modified=m.modified,
            licence=self.licence(d.slug)[0],
            status=self.status(d.slug, lang),
            status_href=rel(path, page_path("report", lang, d.slug)),
            verified=bool(self.verified.get(d.slug)) and self.report.for_dataset(d.slug).valid,
            filters={f: " ".join(self.facets.of(d.slug, f)) for f in FACETS},
            search=" ".join(" ".join(words).lower().split()),
        )
        del t

    def index(self, lang: str, facet: str | None = None, value: str | None = None) -> IndexPage:
        t = texts(lang)
        args: tuple[str, ...] = (facet, value) if facet and value else ()
        kind = "filter" if args else "index"
        active = None
        if facet and value:
            active = t["filtered_by"].format(
                facet=t["facet_" + facet], value=self.facet_value_label(facet, value, lang)
            )
        title = active or self.meta.title[lang]
        crumbs = [(t["home"], page_path("index", lang))] if args else []
        meta = self.page_meta(kind, lang, args, title, self.meta.description[lang], crumbs)
        path = meta.path
        chosen = (
            sorted(self.facets.datasets[facet][value]) if facet and value else [d.slug for d in self.data]
        )
        cards = [self.card(self.by_slug(s), path, lang) for s in chosen]
        facets = []
        for f in FACETS:
            values = self.facets.values(f)
            if not values:
                continue
            links = [
                Link(
                    self.facet_value_label(f, v, lang),
                    rel(path, page_path("filter", lang, f, v)),
                    current=(f == facet and v == value),
                    count=len(self.facets.datasets[f][v]),
                )
                for v in values
            ]
            if f not in ("year",):
                links.sort(key=lambda lk: lk.label.casefold())
            options = [(v, self.facet_value_label(f, v, lang)) for v in values]
            if f != "year":
                options.sort(key=lambda o: o[1].casefold())
            facets.append(Facet(f, t["facet_" + f], links, options))
        every = [r for d in self.data for r in d.rows(AGREEMENTS)]
        partner_ids = {pid for d in self.data for pid in d.counterparts()}
        countries = {
            r.get("country") for d in self.data for r in d.counterparts().values() if r.get("country")
        }
        figures = [
            (fmt_int(len(self.data), lang), t["fig_datasets"]),
            (fmt_int(len({d.city for d in self.data}), lang), t["fig_cities"]),
            (fmt_int(len(every), lang), t["fig_agreements"]),
            (fmt_int(sum(len(d.rows(FUNDING)) for d in self.data), lang), t["fig_funding"]),
            (fmt_int(len(partner_ids), lang), t["fig_partners"]),
            (fmt_int(len(countries), lang), t["fig_countries"]),
        ]
        table = None
        if facet and value:
            rows = self.facets.rows[facet][value]
            table = self.agreements_table([(s, "", r) for s, r in rows], path, lang, t["filter_rows"], False)
        combined = []
        if self.combined:
            combined = [
                Link(f"{d.name} · {fmt_bytes(d.bytes, lang)}", rel(path, d.path))
                for d in self.downloads[self.combined]
                if d.kind in ("zip", "xlsx", "sqlite")
            ]
        return IndexPage(
            meta, figures, cards, facets, active, rel(path, page_path("index", lang)), table, combined
        )

    # ── tables shared by partner and filter pages ──

    def partner_link(self, slug: str, pid: str, path: str, lang: str) -> Cell:
        row = self.by_slug(slug).partner(pid)
        return Cell(partner_name(row, pid, lang), rel(path, page_path("partner", lang, pid)))

    def agreements_table(
        self, rows: list[tuple[str, str, dict[str, str]]], path: str, lang: str, caption: str, with_role: bool
    ) -> Table:
        t = texts(lang)
        head = [t["dataset"], t["agreement"], t["partner"], t["type"], t["date"], t["status"], t["source"]]
        if with_role:
            head.insert(1, t["role"])
        out = []
        for slug, role, r in sorted(
            rows, key=lambda x: (x[2].get("date_signed") or "9999", x[0], x[2].get("agreement_id", ""))
        ):
            title = (
                (r.get("title_en") if lang == "en" else None)
                or r.get("title_es")
                or r.get("agreement_id", "")
            )
            src = http_url(r.get("source_url"))
            cells = [
                Cell(self.by_slug(slug).city, rel(path, page_path("dataset", lang, slug))),
                Cell(title),
                self.partner_link(slug, r.get("counterpart_id", ""), path, lang),
                Cell(label(self.catalog, "agreement_types", r.get("agreement_type", ""), lang)),
                Cell(
                    fmt_date(r.get("date_signed", ""), r.get("date_precision")), sort=r.get("date_signed", "")
                ),
                Cell(label(self.catalog, "statuses", r.get("status", ""), lang)),
                Cell(_host(src) if src else "", src),
            ]
            if with_role:
                cells.insert(1, Cell(t["role_" + role]))
            out.append(cells)
        return Table(caption, head, out, [False] * len(head), sortable=True)

    def funding_table(
        self, rows: list[tuple[str, str, dict[str, str]]], path: str, lang: str, caption: str
    ) -> Table:
        t = texts(lang)
        head = [t["dataset"], t["role"], t["title"], t["funder"], t["amount"], t["date"], t["source"]]
        out = []
        for slug, role, r in sorted(
            rows, key=lambda x: (x[2].get("value_date") or "9999", x[0], x[2].get("funding_id", ""))
        ):
            amount = amount_of(r)
            src = http_url(r.get("source_url"))
            out.append(
                [
                    Cell(self.by_slug(slug).city, rel(path, page_path("dataset", lang, slug))),
                    Cell(t["role_" + role]),
                    Cell((r.get("title_en") if lang == "en" else None) or r.get("title_es") or ""),
                    self.partner_link(slug, r.get("provider_id", ""), path, lang),
                    Cell(
                        f"{fmt_amount(amount, lang)} {r.get('currency', '')}".strip()
                        if amount is not None
                        else "—",
                        sort=f"{amount:020.2f}" if amount is not None else "",
                    ),
                    Cell(
                        fmt_date(r.get("value_date", ""), r.get("date_precision")),
                        sort=r.get("value_date", ""),
                    ),
                    Cell(_host(src) if src else "", src),
                ]
            )
        numeric = [False, False, False, False, True, False, False]
        return Table(caption, head, out, numeric, sortable=True)

    # ── partners ──

    def partner(self, pid: str, lang: str) -> PartnerPage:
        t = texts(lang)
        refs = self.partners[pid]
        first_slug, first = refs.records[0] if refs.records else (None, None)
        name = partner_name(first, pid, lang)
        crumbs = [(t["home"], page_path("index", lang)), (t["partners_title"], page_path("partners", lang))]
        meta = self.page_meta("partner", lang, (pid,), name, f"{t['partner']}: {name}", crumbs)
        path = meta.path
        facts = []
        if first:
            if first.get("partner_type"):
                facts.append(
                    Fact(t["partner_type"], label(self.catalog, "partner_types", first["partner_type"], lang))
                )
            if first.get("country"):
                where = country_name(first["country"], lang)
                if first.get("subdivision"):
                    where += f" ({subdivision_name(first['subdivision'])})"
                facts.append(Fact(t["country"], where))
            if http_url(first.get("website")):
                facts.append(Fact(t["website"], first["website"], http_url(first["website"])))
            # An identifier any city's partners table gives (the first one's may be empty).
            qid = next((str(r["wikidata_qid"]) for _, r in refs.records if r.get("wikidata_qid")), "")
            if qid:
                facts.append(Fact(t["wikidata"], qid, wikidata_url(qid)))
            org = next((str(r["org_identifier"]) for _, r in refs.records if r.get("org_identifier")), "")
            if org:
                facts.append(Fact(t["org_identifier"], org, org_id_list_url(org)))
        facts.append(
            Fact(t["appears_in"], ", ".join(sorted({self.by_slug(s).city for s, _ in refs.records})))
        )
        names = None
        if len({partner_name(r, pid, lang) for _, r in refs.records}) > 1:
            names = Table(
                t["names_in"],
                [t["dataset"], t["partner"]],
                [[Cell(self.by_slug(s).city), Cell(partner_name(r, pid, lang))] for s, r in refs.records],
                [False, False],
            )
        del first_slug
        return PartnerPage(
            meta,
            name,
            facts,
            names,
            self.agreements_table(refs.agreements, path, lang, t["agreements_title"], True),
            self.funding_table(refs.funding, path, lang, t["funding_title"]),
        )

    def partners_index(self, lang: str) -> PartnersPage:
        t = texts(lang)
        crumbs = [(t["home"], page_path("index", lang))]
        meta = self.page_meta("partners", lang, (), t["partners_title"], t["partners_intro"], crumbs)
        by_type: dict[str, list[Link]] = defaultdict(list)
        for pid, refs in self.partners.items():
            if not refs.records:
                continue
            row = refs.records[0][1]
            n = len(refs.agreements) + len(refs.funding)
            by_type[label(self.catalog, "partner_types", row.get("partner_type", "other"), lang)].append(
                Link(partner_name(row, pid, lang), rel(meta.path, page_path("partner", lang, pid)), count=n)
            )
        groups = [(k, sorted(v, key=lambda lk: lk.label.casefold())) for k, v in sorted(by_type.items())]
        return PartnersPage(meta, groups)

    # ── report ──

    def report_page(self, slug: str, lang: str) -> ReportPage:
        t = texts(lang)
        d = self.by_slug(slug)
        sub = self.report.for_dataset(slug)
        title = f"{t['report_title']}: {d.title(lang)}"
        crumbs = [(t["home"], page_path("index", lang)), (d.title(lang), page_path("dataset", lang, slug))]
        meta = self.page_meta("report", lang, (slug,), title, t["report_intro"], crumbs)
        profiles = ", ".join(d.ds.profiles) or t["no_profile"]
        stages = [
            t["stage_metadata"],
            t["stage_structure"],
            t["stage_domain"],
            t["stage_profile"].format(profiles=profiles),
        ]
        tables = Table(
            t["report_tables"],
            [t["file"], t["rows_title"]],
            [
                [Cell(f"{slug}/{spec.path.name}"), Cell(fmt_int(len(d.rows(spec.name)), lang))]
                for spec in d.ds.resources
            ],
            [False, True],
        )
        files = []
        for file, codes in group(sub.findings).items():
            groups = []
            for code, found in codes.items():
                spec = CODES.get(code)
                groups.append(
                    FindingGroup(
                        title=(spec.title_es if lang == "es" else spec.title_en) if spec else code,
                        code=code,
                        severity=found[0].severity,
                        severity_label=t["severity_" + found[0].severity],
                        items=[(location(f, lang), f.message(lang), f.hint(lang)) for f in found],
                    )
                )
            files.append((file, groups))
        ev = self.evidence.get(slug)
        facts = []
        if ev is not None:
            facts = [
                Fact(t["evidence_date"], ev.date),
                Fact(t["evidence_toolkit"], f"ciudades {ev.toolkit}"),
                Fact(t["evidence_engine"], ev.engine),
                Fact(t["evidence_standard"], ev.standard or "—", note=ev.standard_pin or None),
                Fact(t["evidence_match"], t["yes"] if self.verified.get(slug) else t["no"]),
            ]
        evidence_files = Table(
            t["evidence_files"],
            [t["file"], "SHA-256"],
            [[Cell(f"{slug}/{f.name}"), Cell(f.sha256)] for f in (ev.files if ev else ())],
            [False, False],
        )
        return ReportPage(
            meta,
            title,
            rel(meta.path, page_path("dataset", lang, slug)),
            self.status(slug, lang),
            sub.valid and bool(self.verified.get(slug)),
            stages,
            tables,
            files,
            facts,
            evidence_files,
            rel(meta.path, page_path("evidence", lang, slug)),
        )

    # ── dataset ──

    def dataset(self, slug: str, lang: str) -> DatasetPage:
        t = texts(lang)
        d = self.by_slug(slug)
        m = self.dmeta(slug)
        crumbs = [(t["home"], page_path("index", lang))]
        meta = self.page_meta(
            "dataset",
            lang,
            (slug,),
            d.title(lang),
            d.description(lang),
            crumbs,
            jsonld=schema_org(self.meta, m, lang),
        )
        path = meta.path
        desc = d.ds.descriptor
        facts = [
            Fact(t["publisher"], self.meta.publisher_name, http_url(self.meta.publisher_url)),
            Fact(t["licence"], m.licence_title or m.licence_id, http_url(m.licence_url)),
            Fact(t["version"], m.version),
            Fact(t["last_update"], m.modified),
        ]
        if m.created:
            facts.append(Fact(t["created"], m.created))
        if m.frequency:
            facts.append(
                Fact(t["frequency"], pick(FREQUENCIES.get(m.frequency, (m.frequency, m.frequency)), lang))
            )
        if m.country:
            where = ", ".join(
                x for x in (m.city, subdivision_name(m.subdivision or ""), country_name(m.country, lang)) if x
            )
            facts.append(
                Fact(t["spatial"], where, note=" · ".join(x for x in (m.subdivision, m.country) if x))
            )
        if m.temporal:
            facts.append(Fact(t["temporal"], f"{m.temporal[0]} {t['to']} {m.temporal[1]}"))
        if m.keywords.get(lang):
            facts.append(Fact(t["keywords"], ", ".join(m.keywords[lang])))
        if m.homepage and http_url(m.homepage):
            facts.append(Fact(t["homepage"], m.homepage, http_url(m.homepage)))
        note = LICENCE_NOTES.get(m.licence_id)
        files = [self.file_doc(f, path, lang) for f in self.downloads.get(slug, [])]
        dp = m.download("datapackage")
        zipped = m.download("zip")
        res_name = next((r.name for r in d.ds.resources), "agreements")
        snippets = []
        if zipped and dp:
            # A site served from this machine or a private network (a base URL such as
            # http://127.0.0.1:8000/) is only reachable with allow_private, so its snippet says so.
            private = ", allow_private=True" if private_url(zipped.url) else ""
            snippets = [
                Snippet(t["install_toolkit"], "bash", f"# {t['install_note']}\n{INSTALL_COMMAND}"),
                Snippet(
                    t["load_toolkit"],
                    "python",
                    f'import toolkit\n\nframes = toolkit.load("{zipped.url}"{private})\n'
                    f'{res_name} = frames["{res_name}"]\nprint({res_name}.head())',
                ),
                Snippet(
                    t["load_frictionless"],
                    "python",
                    f'from frictionless import Package\n\npackage = Package("{dp.url}")\n'
                    f'{res_name} = package.get_resource("{res_name}").to_pandas()',
                ),
                Snippet(
                    t["load_r"],
                    "r",
                    f'library(frictionless)\n\npackage <- read_package("{dp.url}")\n'
                    f'{res_name} <- read_resource(package, "{res_name}")',
                ),
            ]
        sources = [
            Link(str(s.get("title") or s.get("path")), http_url(s.get("path")) or "")
            for s in desc.get("sources") or []
            if isinstance(s, dict)
        ]
        url = m.urls[lang]
        consulted = f"{t['consulted']} [{t['cite_date']}]"
        acronym = self.meta.publisher_name
        citations = [
            (t["cite_libre_uso"], f"{d.title(lang)}, {acronym}, {url}, {consulted}."),
            (
                t["cite_apa"],
                f"{self.meta.publisher_name}. ({m.modified[:4]}). {d.title(lang)} "
                f"({t['version_word']} {m.version}) [{t['dataset_kind']}]. {url}",
            ),
        ]
        return DatasetPage(
            meta=meta,
            title=d.title(lang),
            city=d.city,
            description=markdown(d.description(lang)),
            facts=facts,
            licence_note=pick(note, lang) if note else None,
            status=self.status(slug, lang),
            verified=bool(self.verified.get(slug)) and self.report.for_dataset(slug).valid,
            report_href=rel(path, page_path("report", lang, slug)),
            charts=self.charts(d, lang),
            resources=[self.resource_doc(d, spec.name, path, lang) for spec in d.ds.resources],
            files=files,
            snippets=snippets,
            sources=sources,
            citations=citations,
            quality=self.quality_table(slug, lang),
            quality_href=rel(path, page_path("quality", lang, slug)),
            badge_href=rel(path, page_path("badge", lang, slug)),
            badge_alt=self.badge_words(slug, lang),
            badge_embed=(
                f'<a href="{absolute(self.meta.base_url, path)}">'
                f'<img src="{absolute(self.meta.base_url, page_path("badge", lang, slug))}" '
                f'alt="{escape(self.badge_words(slug, lang))}"></a>'
            ),
            panel=self.panel(slug, lang, path),
            versions=site_versions.section(m, self.versions, lambda f: self.file_doc(f, path, lang), lang),
        )

    def badge_state(self, slug: str, lang: str) -> tuple[str, str]:
        """The badge's message and state: valid (with the version), N errors, or not verified."""
        n = len(self.report.for_dataset(slug).errors)
        return badge_message(n, bool(self.verified.get(slug)), self.dmeta(slug).version, lang)

    def badge_words(self, slug: str, lang: str) -> str:
        return f"{texts(lang)['badge_label']}: {self.badge_state(slug, lang)[0]}"

    def badge(self, slug: str, lang: str) -> str:
        """The SVG badge of a dataset, for other sites to embed."""
        message, state = self.badge_state(slug, lang)
        return charts.badge(texts(lang)["badge_label"], message, state)

    def quality_table(self, slug: str, lang: str) -> Table | None:
        """The quality figures of a dataset as a table, one row per table of data."""
        q = self.quality.get(slug)
        if q is None:
            return None
        t = texts(lang)
        rows = []
        for tq in q.tables:
            conf = [
                Cell(_percent(share(tq.confidence[level], tq.rows), lang) if tq.confidence else "—")
                for level in LEVELS
            ]
            rows.append(
                [
                    Cell(tq.name),
                    Cell(fmt_int(tq.rows, lang)),
                    Cell(_percent(share(tq.optional_filled, tq.optional_cells), lang)),
                    *conf,
                    Cell("—" if tq.open_claims is None else fmt_int(tq.open_claims, lang)),
                ]
            )
        head = [
            t["quality_table"],
            t["rows_title"],
            t["quality_optional"],
            t["quality_high"],
            t["quality_medium"],
            t["quality_low"],
            t["quality_claims"],
        ]
        return Table(t["quality_title"], head, rows, [False] + [True] * 6)

    def panel(self, slug: str, lang: str, path: str) -> QualityPanel | None:
        """Link health, sources by kind, freshness and open claims of a dataset, with their chart."""
        q = self.quality.get(slug)
        if q is None or self.links is None:
            return None
        t = texts(lang)
        dl = self.links.for_dataset(slug)
        counts = dl.counts()
        total = len(dl.links)
        unchecked = None
        if counts["unchecked"] and dl.dates is not None:
            key = "links_unchecked_one" if counts["unchecked"] == 1 else "links_unchecked_many"
            unchecked = t[key].format(n=fmt_int(counts["unchecked"], lang), total=fmt_int(total, lang))
        facts = []
        if q.sources:
            urls = sum(v["urls"] for v in q.sources.values())
            for kind, v in q.sources.items():
                if v["urls"]:
                    label = pick(self.kind_labels.get(kind, (kind, kind)), lang)
                    facts.append(
                        Fact(
                            f"{t['sources_title']}: {label.lower()}",
                            t["sources_value"].format(
                                urls=fmt_int(v["urls"], lang),
                                share=_percent(share(v["urls"], urls), lang),
                                cells=fmt_int(v["cells"], lang),
                            ),
                        )
                    )
        if q.freshness is not None:
            fr = q.freshness
            frequency = pick(
                FREQUENCIES.get(fr.frequency or "", (fr.frequency or "", fr.frequency or "")), lang
            )
            modified = long_date(fr.modified, lang) if fr.modified else "—"
            if fr.due:
                words = t["fresh_due"].format(
                    modified=modified, frequency=frequency.lower(), due=long_date(fr.due, lang)
                )
            elif fr.frequency:
                words = t["fresh_unscheduled"].format(modified=modified, frequency=frequency.lower())
            else:
                words = t["fresh_undeclared"].format(modified=modified)
            facts.append(Fact(t["fresh_title"], words))
        claims = t["claims_value_one" if q.open_claims == 1 else "claims_value"]
        facts.append(Fact(t["claims_title"], claims.format(n=fmt_int(q.open_claims, lang))))
        return QualityPanel(
            links_summary=_links_summary(dl, lang),
            links_checked=dl.dates is not None or not dl.links,
            links_unchecked=unchecked,
            moved=[self._dead_link(link, lang) for link in dl.links if link.status == "moved"],
            dead=[self._dead_link(link, lang) for link in dl.links if link.status in ("gone", "failing")],
            links_href=rel(path, page_path("links", lang)),
            facts=facts,
            chart=self._panel_chart(q, dl, lang),
        )

    def _dead_link(self, link: LinkState, lang: str) -> DeadLink:
        t = texts(lang)
        by_table: dict[str, list[int]] = defaultdict(list)
        for c in link.cited:
            if c.line not in by_table[c.resource]:  # a row may cite it in two fields
                by_table[c.resource].append(c.line)
        rows = "; ".join(
            t["links_line"].format(table=table, line=lines[0])
            if len(lines) == 1
            else t["links_lines"].format(table=table, lines=", ".join(str(n) for n in lines))
            for table, lines in by_table.items()
        )
        if link.status == "moved":
            detail, target = t["links_now_at"], link.final_url
        else:
            detail, target = pick((link.detail_es, link.detail_en), lang), link.archive
        return DeadLink(link.url, http_url(link.url), detail, target, rows)

    def _panel_chart(self, q: Quality, dl: DatasetLinks, lang: str) -> Chart | None:
        t = texts(lang)
        if not q.sources or not any(v["urls"] for v in q.sources.values()):
            return None
        kinds = [
            charts.Bar(
                pick(self.kind_labels.get(kind, (kind, kind)), lang),
                v["urls"],
                f"{pick(self.kind_labels.get(kind, (kind, kind)), lang)}: {fmt_int(v['urls'], lang)}",
            )
            for kind, v in q.sources.items()
        ]
        groups = [(t["sources_title"], kinds)]
        if dl.dates is not None:
            counts = dl.counts()
            states = [
                charts.Bar(t[f"link_{s}"], n, f"{t[f'link_{s}']}: {fmt_int(n, lang)}")
                for s, n in counts.items()
                if n or s != "unchecked"
            ]
            groups.append((t["panel_links_group"], states))
        ident = f"panel-{lang}"
        rows = [
            [Cell(group), Cell(b.label), Cell(fmt_int(int(b.value), lang), sort=f"{int(b.value):09d}")]
            for group, bars in groups
            for b in bars
        ]
        return _grouped_chart(
            ident,
            t["panel_chart"],
            t["panel_chart_desc"],
            groups,
            lambda v: fmt_int(int(v), lang),
            [t["panel_chart_desc"], t["sources_rule"]],
            [t["panel_kind"], t["panel_what"], t["panel_pages"]],
            rows,
            [False, False, True],
        )

    def file_doc(self, f: Download, path: str, lang: str) -> FileDoc:
        return FileDoc(
            f.name,
            rel(path, f.path),
            FORMAT_NAMES.get(f.kind, f.kind.upper()),
            pick(KIND_TEXT.get(f.kind, (f.kind, f.kind)), lang),
            fmt_bytes(f.bytes, lang),
            f.bytes,
            f.sha256,
        )

    def resource_doc(self, d: DatasetData, name: str, path: str, lang: str) -> ResourceDoc:
        t = texts(lang)
        spec = d.ds.resource(name)
        assert spec is not None
        schema = spec.schema or {}
        fields = [f for f in schema.get("fields", []) if isinstance(f, dict)]
        rows = d.rows(name)
        partner_fields = _partner_fields(schema)
        head = [f["name"] for f in fields]
        numeric = [f.get("type") in ("number", "integer") for f in fields]
        preview = []
        for r in rows[:PREVIEW_ROWS]:
            cells = []
            for f in fields:
                value = r.get(f["name"], "")
                if f["name"] in partner_fields and value:
                    ids = split_list(value) if f.get("listSeparator") else [value]
                    cells.append(Cell("; ".join(ids), rel(path, page_path("partner", lang, ids[0]))))
                elif f.get("format") == "uri" and http_url(value):
                    cells.append(Cell(_shorten(_host(value), 40), http_url(value), full=value))
                else:
                    short = _shorten(value, PREVIEW_CHARS)
                    cells.append(Cell(short, full=value if short != value else None))
            preview.append(cells)
        files = [self.file_doc(f, path, lang) for f in self.downloads.get(d.slug, []) if f.resource == name]
        csv_file = next((f for f in files if f.format == "CSV"), None)
        docs = [self.field_doc(f, lang) for f in fields]
        keys = []
        if schema.get("primaryKey"):
            pk = schema["primaryKey"]
            keys.append(f"{t['primary_key']}: {', '.join(pk) if isinstance(pk, list) else pk}")
        for fk in schema.get("foreignKeys") or []:
            ref = fk.get("reference", {})
            source, target = ", ".join(fk.get("fields", [])), ", ".join(ref.get("fields", []))
            keys.append(f"{source} → {ref.get('resource')}.{target}")
        title = str(
            (spec.descriptor.get("title_en") if lang == "en" else None)
            or spec.descriptor.get("title")
            or name
        )
        return ResourceDoc(
            name=name,
            anchor=f"tabla-{safe_name(name)}" if lang == "es" else f"table-{safe_name(name)}",
            title=title,
            description=str(schema.get("description_en" if lang == "en" else "description") or ""),
            rows=len(rows),
            preview=Table(f"{t['preview']}: {title}", head, preview, numeric, sortable=True),
            preview_note=t["preview_note"].format(
                n=min(PREVIEW_ROWS, len(rows)), total=fmt_int(len(rows), lang)
            ),
            csv_href=csv_file.href if csv_file else None,
            fields=docs,
            keys=keys,
            files=files,
        )

    def field_doc(self, f: dict[str, Any], lang: str) -> FieldDoc:
        t = texts(lang)
        c = f.get("constraints") or {}
        notes = []
        if c.get("required"):
            notes.append(t["required"])
        if c.get("unique"):
            notes.append(t["unique"])
        if c.get("maxLength"):
            notes.append(t["max_length"].format(n=c["maxLength"]))
        if "minimum" in c:
            notes.append(t["minimum"].format(n=c["minimum"]))
        if c.get("pattern"):
            notes.append(f"{t['pattern']} {c['pattern']}")
        if f.get("listSeparator"):
            notes.append(t["list_of"].format(sep=f["listSeparator"]))
        if f.get("format") and f.get("format") != "default":
            notes.append(str(f["format"]))
        values: list[tuple[str, str]] = []
        cl = self.catalog.codelists.get(str(f.get("codelist", "")))
        if cl is not None:
            values = [(str(code), cl.labels[code][0 if lang == "es" else 1]) for code in cl.codes]
        return FieldDoc(
            name=str(f["name"]),
            title=str((f.get("title_en") if lang == "en" else None) or f.get("title") or ""),
            type=str(f.get("type", "string")),
            constraints=notes,
            description=str(
                (f.get("description_en") if lang == "en" else None) or f.get("description") or ""
            ),
            values=values,
        )

    # ── charts ──

    def charts(self, d: DatasetData, lang: str) -> list[Chart]:
        t = texts(lang)
        out = []
        agreements, left_out = one_claim_per_fact(d.rows(AGREEMENTS))
        if agreements:
            years = Counter(int(r["date_signed"][:4]) for r in agreements if r.get("date_signed"))
            undated = len(agreements) - sum(years.values())
            ident = f"timeline-{lang}"
            desc = t["chart_timeline_desc"].format(start=min(years, default=""), end=max(years, default=""))
            out.append(
                Chart(
                    ident,
                    t["chart_timeline"],
                    charts.timeline(dict(years), ident=ident, title=t["chart_timeline"], desc=desc),
                    [desc]
                    + ([t["chart_undated"].format(n=undated)] if undated else [])
                    + ([t["chart_claims"].format(n=left_out)] if left_out else []),
                    Table(
                        t["chart_timeline"],
                        [t["year"], t["count"]],
                        [[Cell(str(y)), Cell(str(n))] for y, n in sorted(years.items())],
                        [False, True],
                    ),
                )
            )
        funding, funding_left_out = one_claim_per_fact(d.rows(FUNDING))
        if funding:
            sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
            missing = 0
            for r in funding:
                amount = amount_of(r)
                if amount is None or not r.get("currency"):
                    missing += 1
                    continue
                sums[r["currency"]][r.get("provider_id", "")].append(amount)
            groups = []
            rows = []
            for cur in sorted(sums, key=lambda c: (-len(sums[c]), c)):
                bars = []
                for pid, amounts in sorted(sums[cur].items(), key=lambda kv: (-sum(kv[1]), kv[0])):
                    name = partner_name(d.partner(pid), pid, lang)
                    total = sum(amounts)
                    note = f"{name}: {fmt_amount(total, lang)} {cur} ({len(amounts)} {t['flows'].lower()})"
                    bars.append(charts.Bar(name, total, note))
                    rows.append(
                        [
                            Cell(name),
                            Cell(cur),
                            Cell(fmt_amount(total, lang), sort=f"{total:020.2f}"),
                            Cell(str(len(amounts))),
                        ]
                    )
                groups.append((cur, bars))
            ident = f"funding-{lang}"
            out.append(
                _grouped_chart(
                    ident,
                    t["chart_funding"],
                    t["chart_funding_desc"],
                    groups,
                    lambda v: fmt_amount(v, lang),
                    [t["chart_funding_desc"]]
                    + ([t["chart_no_amount"].format(n=missing)] if missing else [])
                    + ([t["chart_claims"].format(n=funding_left_out)] if funding_left_out else []),
                    [t["funder"], t["currency"], t["amount"], t["flows"]],
                    rows,
                    [False, False, True, True],
                )
            )
        counterparts = d.counterparts()
        if counterparts:
            by_country = Counter(r["country"] for r in counterparts.values() if r.get("country"))
            no_country = len(counterparts) - sum(by_country.values())
            names = {code: country_name(code, lang) for code in by_country}
            ident = f"map-{lang}"
            svg = charts.world_map(
                dict(by_country),
                names,
                map_dir=self.map_dir,
                ident=ident,
                title=t["chart_map"],
                desc=t["chart_map_desc"],
                legend=t["legend"],
            )
            out.append(
                Chart(
                    ident,
                    t["chart_map"],
                    svg,
                    [t["chart_map_desc"]]
                    + ([t["chart_no_country"].format(n=no_country)] if no_country else []),
                    Table(
                        t["chart_map"],
                        [t["country"], t["count"]],
                        [
                            [Cell(names[c]), Cell(str(n))]
                            for c, n in sorted(by_country.items(), key=lambda kv: (-kv[1], names[kv[0]]))
                        ],
                        [False, True],
                    ),
                )
            )
        return out


def _grouped_chart(
    ident: str,
    title: str,
    desc: str,
    groups: list[tuple[str, list[charts.Bar]]],
    value_text: Callable[[float], str],
    notes: list[str],
    headers: list[str],
    rows: list[list[Cell]],
    numeric: list[bool],
) -> Chart:
    """A chart of grouped bars with its notes and the same figures as a table."""
    svg = charts.grouped_bars(groups, ident=ident, title=title, desc=desc, value_text=value_text)
    return Chart(ident, title, svg, notes, Table(title, headers, rows, numeric))


def _partner_fields(schema: dict[str, Any]) -> set[str]:
    """Fields whose values are partner IDs: foreign keys to the partners table, or list references."""
    out: set[str] = set()
    for fk in schema.get("foreignKeys") or []:
        if fk.get("reference", {}).get("resource") == PARTNERS:
            out.update(fk.get("fields") or [])
    for f in schema.get("fields") or []:
        if isinstance(f, dict) and (f.get("references") or {}).get("resource") == PARTNERS:
            out.add(f["name"])
    if schema.get("name") == PARTNERS:
        out.add("partner_id")
    return out


def _shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).netloc
    return host[4:] if host.startswith("www.") else host


def _first_sentence(text_: str) -> str:
    flat = " ".join(text_.split())
    cut = flat.find(". ")
    return flat if cut < 0 or cut > 240 else flat[: cut + 1]


__all__ = ["Pages"]


def _percent(value: float | None, lang: str) -> str:
    """A share as a percentage with one decimal, the way each language writes it; "—" for none."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}"
    return f"{text.replace('.', ',')} %" if lang == "es" else f"{text}%"


def _links_summary(dl: DatasetLinks, lang: str) -> str:
    """ "Fuentes comprobadas el 1 dic 2026: 250 de 275 responden." (and how many moved, are gone, fail)."""
    t = texts(lang)
    if not dl.links:
        return t["links_none"]
    dates = dl.dates
    if dates is None:
        return t["links_never"]
    counts = dl.counts()
    checked = len(dl.links) - counts["unchecked"]
    if dates[0] == dates[1]:
        when = t["links_checked_on"].format(date=long_date(dates[0], lang))
    else:
        when = t["links_checked_between"].format(
            first=long_date(dates[0], lang), last=long_date(dates[1], lang)
        )
    key = "links_answer_one" if dl.working == 1 else "links_answer_many"
    answer = t[key].format(n=fmt_int(dl.working, lang), total=fmt_int(checked, lang))
    parts = [
        t[f"links_{status}_{'one' if counts[status] == 1 else 'many'}"].format(
            n=fmt_int(counts[status], lang)
        )
        for status in ("moved", "gone", "failing")
        if counts[status]
    ]
    text = f"{when}: {answer}."
    if parts:
        listed = ", ".join(parts[:-1]) + f" {t['and']} " + parts[-1] if len(parts) > 1 else parts[0]
        text += f" {listed[0].upper()}{listed[1:]}."
    return text


def badge_message(errors: int, verified: bool, version: str, lang: str) -> tuple[str, str]:
    """A badge's message and state: ``N errors`` (bad) before anything else, then ``not verified``
    (unknown) when the published files are not the validated ones, else ``valid`` (ok); with the version."""
    t = texts(lang)
    if errors:
        words = t["badge_error"] if errors == 1 else t["badge_errors"].format(n=fmt_int(errors, lang))
        return f"{words} · v{version}", "bad"
    if not verified:
        return f"{t['badge_unverified']} · v{version}", "unknown"
    return f"{t['badge_valid']} · v{version}", "ok"
