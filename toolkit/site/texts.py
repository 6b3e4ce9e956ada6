"""Every word the catalog site shows, in Spanish and English.

Templates receive ``t``, the texts of the page's language; a key missing here fails the build
(the Jinja environment is strict), so no page can show an empty label.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # ── frame ──────────────────────────────────────────────────────────────────────────────────
    "lang_name": ("Español", "English"),
    "skip": ("Saltar al contenido", "Skip to content"),
    "home": ("Catálogo", "Catalog"),
    "nav": ("Navegación principal", "Main navigation"),
    "nav_partners": ("Contrapartes", "Partners"),
    "nav_data": ("Metadatos abiertos", "Open metadata"),
    "switch_to": ("English", "Español"),
    "switch_label": ("Read this page in English", "Leer esta página en español"),
    "breadcrumb": ("Ruta", "Breadcrumb"),
    "footer_about": (
        "Datos abiertos sobre la acción internacional de las ciudades. Cada fila cita su fuente pública.",
        "Open data on the international action of cities. Every row cites its public source.",
    ),
    "footer_machine": ("Para máquinas", "For machines"),
    "footer_code": ("Código y datos", "Code and data"),
    # ── index ──────────────────────────────────────────────────────────────────────────────────
    "summary": ("El catálogo en cifras", "The catalog in figures"),
    "datasets": ("Conjuntos de datos", "Datasets"),
    "fig_datasets": ("conjuntos de datos", "datasets"),
    "fig_cities": ("ciudades", "cities"),
    "fig_agreements": ("acuerdos y membresías", "agreements and memberships"),
    "fig_funding": ("flujos de financiamiento", "funding flows"),
    "fig_partners": ("contrapartes distintas", "distinct partners"),
    "fig_countries": ("países de las contrapartes", "partner countries"),
    "search": ("Buscar", "Search"),
    "search_hint": (
        "Escribe una ciudad, una contraparte o un tema",
        "Type a city, a partner or a subject",
    ),
    "filter": ("Filtrar", "Filter"),
    "filters": ("Filtros", "Filters"),
    "filters_links": ("Filtrar por", "Filter by"),
    "all": ("Todos", "All"),
    "clear": ("Quitar filtros", "Clear filters"),
    "showing": ("Se muestran {n} de {total} conjuntos de datos.", "Showing {n} of {total} datasets."),
    "none_match": (
        "Ningún conjunto de datos coincide con la búsqueda.",
        "No dataset matches the search.",
    ),
    "facet_city": ("Ciudad", "City"),
    "facet_country": ("País de la contraparte", "Partner country"),
    "facet_partner_type": ("Tipo de contraparte", "Partner type"),
    "facet_agreement_type": ("Tipo de acuerdo", "Agreement type"),
    "facet_year": ("Año de firma", "Year signed"),
    "filtered_by": ("Filtro: {facet} = {value}", "Filter: {facet} = {value}"),
    "filter_rows": ("Acuerdos que cumplen el filtro", "Agreements matching the filter"),
    "filter_funding": ("Financiamiento que cumple el filtro", "Funding matching the filter"),
    "back_all": ("Ver todo el catálogo", "See the whole catalog"),
    "download_all": ("Descargar todo el catálogo", "Download the whole catalog"),
    "download_all_note": (
        "Un solo paquete con las tablas de todas las ciudades, con una columna «dataset» al inicio.",
        "One package with every city's tables, with a leading 'dataset' column.",
    ),
    # ── cards and dataset facts ─────────────────────────────────────────────────────────────────
    "publisher": ("Publica", "Publisher"),
    "city": ("Ciudad", "City"),
    "agreements": ("acuerdos", "agreements"),
    "funding": ("financiamientos", "funding flows"),
    "partners": ("contrapartes", "partners"),
    "last_update": ("Última actualización", "Last updated"),
    "created": ("Creado", "Created"),
    "licence": ("Licencia", "Licence"),
    "version": ("Versión", "Version"),
    "frequency": ("Frecuencia de actualización", "Update frequency"),
    "spatial": ("Cobertura geográfica", "Spatial coverage"),
    "temporal": ("Cobertura temporal", "Temporal coverage"),
    "keywords": ("Palabras clave", "Keywords"),
    "homepage": ("Sitio de referencia", "Reference site"),
    "contributors": ("Elaborado por", "Prepared by"),
    "status": ("Validación", "Validation"),
    "valid": ("Válido", "Valid"),
    "valid_warnings": ("Válido, con {n} advertencias", "Valid, with {n} warnings"),
    "valid_warning": ("Válido, con 1 advertencia", "Valid, with 1 warning"),
    "see_report": ("Ver el informe de validación", "See the validation report"),
    "see_dataset": ("Ver el conjunto de datos", "See the dataset"),
    "about": ("Acerca de estos datos", "About these data"),
    "facts": ("Ficha", "Key facts"),
    "to": ("a", "to"),
    # ── dataset page sections ──────────────────────────────────────────────────────────────────
    "pictures": ("Los datos en imágenes", "The data in pictures"),
    "tables": ("Tablas", "Tables"),
    "downloads": ("Descargas", "Downloads"),
    "downloads_note": (
        "Cada archivo con su tamaño y su huella SHA-256, para comprobar que llegó completo "
        "(sha256sum -c SHA256SUMS).",
        "Each file with its size and SHA-256 fingerprint, to check it arrived whole "
        "(sha256sum -c SHA256SUMS).",
    ),
    "file": ("Archivo", "File"),
    "table_label": ("Tabla: {name}", "Table: {name}"),
    "dataset_files": ("Archivos del conjunto de datos", "Files of the dataset"),
    "format": ("Formato", "Format"),
    "size": ("Tamaño", "Size"),
    "sha256": ("SHA-256", "SHA-256"),
    "how_to_load": ("Cómo cargarlo", "How to load it"),
    "load_toolkit": ("Python con pandas (toolkit.load)", "Python with pandas (toolkit.load)"),
    "load_frictionless": ("Python con frictionless", "Python with frictionless"),
    "load_r": ("R", "R"),
    "sources": ("Fuentes", "Sources"),
    "sources_note": (
        "Las fuentes de las que salen las filas; cada fila cita además su propia fuente (source_url).",
        "The sources the rows come from; each row also cites its own source (source_url).",
    ),
    "cite": ("Cómo citarlo", "How to cite it"),
    "cite_libre_uso": ("Forma de la Licencia de Libre Uso MX", "Libre Uso MX licence form"),
    "cite_apa": ("Forma APA", "APA style"),
    "cite_date": ("AAAA-MM-DD", "YYYY-MM-DD"),
    "consulted": ("consultado el", "accessed on"),
    "dataset_kind": ("Conjunto de datos", "Data set"),
    "version_word": ("versión", "version"),
    # ── charts ─────────────────────────────────────────────────────────────────────────────────
    "chart_timeline": ("Acuerdos por año de firma", "Agreements by year signed"),
    "chart_timeline_desc": (
        "Número de acuerdos y membresías firmados cada año, de {start} a {end}.",
        "Number of agreements and memberships signed each year, from {start} to {end}.",
    ),
    "chart_undated": (
        "Sin fecha de firma conocida: {n} (no aparecen en la gráfica).",
        "With no known signing date: {n} (not in the chart).",
    ),
    "chart_funding": ("Financiamiento por financiador y moneda", "Funding by funder and currency"),
    "chart_funding_desc": (
        "Suma de los montos por financiador, por separado en cada moneda: montos en monedas distintas "
        "no se suman.",
        "Sum of amounts by funder, separately for each currency: amounts in different currencies are "
        "not added up.",
    ),
    "chart_claims": (
        "Cuando las fuentes discrepan sobre un mismo hecho (claim_group), se cuenta solo la versión de "
        "mayor confianza. Versiones alternativas fuera de la gráfica: {n}.",
        "Where sources disagree about one fact (claim_group), only the most reliable claim counts. "
        "Alternative claims left out of the chart: {n}.",
    ),
    "chart_no_amount": (
        "Flujos sin monto publicado: {n} (no aparecen en la gráfica).",
        "Flows with no published amount: {n} (not in the chart).",
    ),
    "chart_map": ("Contrapartes por país", "Partners by country"),
    "chart_map_desc": (
        "Número de contrapartes con sede en cada país. Mapa: Natural Earth 1:110m, proyección Equal Earth.",
        "Number of partners based in each country. Map: Natural Earth 1:110m, Equal Earth projection.",
    ),
    "chart_no_country": (
        "{n} contrapartes sin país (redes y organismos internacionales) no aparecen en el mapa.",
        "{n} partners with no country (international networks and bodies) are not on the map.",
    ),
    "chart_table": ("Ver los datos de la gráfica como tabla", "See the chart's data as a table"),
    "chart_none": ("No hay datos para esta gráfica.", "There are no data for this chart."),
    "year": ("Año", "Year"),
    "count": ("Número", "Count"),
    "funder": ("Financiador", "Funder"),
    "currency": ("Moneda", "Currency"),
    "amount": ("Monto", "Amount"),
    "flows": ("Flujos", "Flows"),
    "country": ("País", "Country"),
    "legend": ("Leyenda", "Legend"),
    "no_partners_here": ("sin contrapartes", "no partners"),
    # ── resources ──────────────────────────────────────────────────────────────────────────────
    "rows": ("filas", "rows"),
    "rows_title": ("Filas", "Rows"),
    "preview": ("Vista previa", "Preview"),
    "preview_note": (
        "Las primeras {n} de {total} filas. Pulsa un encabezado para ordenar.",
        "The first {n} of {total} rows. Press a heading to sort.",
    ),
    "preview_all": ("Todas las filas en CSV", "All rows as CSV"),
    "schema": ("Esquema", "Schema"),
    "schema_caption": ("Campos de la tabla «{name}»", "Fields of the table '{name}'"),
    "field": ("Campo", "Field"),
    "title": ("Título", "Title"),
    "type": ("Tipo", "Type"),
    "constraints": ("Restricciones", "Constraints"),
    "description": ("Descripción", "Description"),
    "values": ("Valores", "Values"),
    "required": ("obligatorio", "required"),
    "unique": ("único", "unique"),
    "pattern": ("patrón", "pattern"),
    "max_length": ("máx. {n} caracteres", "max. {n} characters"),
    "minimum": ("mínimo {n}", "minimum {n}"),
    "primary_key": ("Clave primaria", "Primary key"),
    "foreign_keys": ("Claves foráneas", "Foreign keys"),
    "list_of": ("lista separada por «{sep}»", "list separated by '{sep}'"),
    "codelist_values": ("{n} valores", "{n} values"),
    "resource_files": ("Archivos de esta tabla", "Files of this table"),
    "sort_by": ("Ordenar por {name}", "Sort by {name}"),
    # ── report ─────────────────────────────────────────────────────────────────────────────────
    "report_title": ("Informe de validación", "Validation report"),
    "report_intro": (
        "Resultado de «ciudades validate» sobre este conjunto de datos al construir el sitio.",
        "Result of 'ciudades validate' on this dataset when the site was built.",
    ),
    "report_checked": ("Qué se revisó", "What was checked"),
    "stage_metadata": (
        "Metadatos: el catálogo y el descriptor (propiedades obligatorias, versiones, fechas, licencias, "
        "fuentes, códigos ISO) y que cada archivo y esquema exista.",
        "Metadata: the catalog and the descriptor (required properties, versions, dates, licences, "
        "sources, ISO codes) and that every file and schema exists.",
    ),
    "stage_structure": (
        "Estructura y esquema, con frictionless: codificación, encabezados, tipos, restricciones, "
        "listas de códigos, claves primarias y foráneas.",
        "Structure and schema, with frictionless: encoding, headers, types, constraints, codelists, "
        "primary and foreign keys.",
    ),
    "stage_domain": (
        "Reglas del dominio: fechas coherentes, códigos ISO 3166 e ISO 4217, montos con moneda, "
        "direcciones web completas, cada tabla con fuentes.",
        "Domain rules: consistent dates, ISO 3166 and ISO 4217 codes, amounts with a currency, "
        "complete web addresses, every table sourced.",
    ),
    "stage_profile": (
        "Perfiles de política de datos declarados por el conjunto: {profiles}.",
        "Data-policy profiles the dataset declares: {profiles}.",
    ),
    "no_profile": ("ninguno", "none"),
    "report_tables": ("Tablas revisadas", "Tables checked"),
    "report_findings": ("Hallazgos", "Findings"),
    "not_verified": ("Sin verificar", "Not verified"),
    "evidence_title": ("Qué se validó", "What was validated"),
    "evidence_intro": (
        "La validación quedó registrada con la huella SHA-256 de cada archivo revisado. "
        "El sitio muestra «Válido» solo si los archivos publicados tienen exactamente esas huellas.",
        "The validation recorded the SHA-256 hash of every file it checked. The site shows "
        "'Valid' only when the published files have exactly those hashes.",
    ),
    "evidence_date": ("Fecha", "Date"),
    "evidence_toolkit": ("Herramienta", "Toolkit"),
    "evidence_engine": ("Motor de validación", "Validation engine"),
    "evidence_standard": ("Estándar y esquemas", "Standard and schemas"),
    "evidence_match": (
        "Los archivos publicados coinciden con los validados",
        "The published files match the validated ones",
    ),
    "evidence_files": ("Archivos validados", "Files validated"),
    "evidence_json": ("Registro en JSON", "Record as JSON"),
    "yes": ("Sí", "Yes"),
    "quality_title": ("Calidad", "Quality"),
    "quality_table": ("Tabla", "Table"),
    "quality_intro": (
        "Cifras calculadas de los datos al construir el sitio: filas de cada tabla, qué parte de los "
        "campos opcionales tiene valor, cuántas filas tienen confianza alta, media o baja, y cuántos "
        "hechos tienen afirmaciones en competencia (filas que comparten un grupo de afirmaciones).",
        "Figures computed from the data when the site was built: rows per table, how much of the "
        "optional fields is filled, how many rows have high, medium or low confidence, and how many "
        "facts have competing claims (rows that share a claim group).",
    ),
    "quality_optional": ("Campos opcionales con valor", "Optional fields filled"),
    "quality_high": ("Confianza alta", "High confidence"),
    "quality_medium": ("Confianza media", "Medium confidence"),
    "quality_low": ("Confianza baja", "Low confidence"),
    "quality_claims": ("Afirmaciones en competencia", "Competing claims"),
    "quality_json": ("Cifras en JSON", "Figures as JSON"),
    "badge_label": ("validación", "validation"),
    "badge_valid": ("válido", "valid"),
    "badge_unverified": ("sin verificar", "not verified"),
    "badge_error": ("1 error", "1 error"),
    "badge_errors": ("{n} errores", "{n} errors"),
    "badge_title": ("Insignia para insertar", "Badge to embed"),
    "badge_see": ("Ver la insignia (SVG)", "See the badge (SVG)"),
    "badge_intro": (
        "Una ciudad puede mostrar el estado de este conjunto de datos en su propio sitio con este "
        "código; la insignia cambia cada vez que se vuelve a publicar este sitio.",
        "A city can show the status of this dataset on its own site with this code; the badge "
        "changes every time this site is published again.",
    ),
    # ── the rest of the quality panel: links, sources, freshness ──────────────────────────────
    "links_title": ("Enlaces a las fuentes", "Links to the sources"),
    "links_checked_on": ("Fuentes comprobadas el {date}", "Sources checked on {date}"),
    "links_checked_between": (
        "Fuentes comprobadas entre el {first} y el {last}",
        "Sources checked between {first} and {last}",
    ),
    "links_answer_one": ("{n} de {total} responde", "{n} of {total} answers"),
    "links_answer_many": ("{n} de {total} responden", "{n} of {total} answer"),
    "links_moved_one": ("{n} se mudó a otra dirección", "{n} moved to another address"),
    "links_moved_many": ("{n} se mudaron a otra dirección", "{n} moved to another address"),
    "links_gone_one": ("{n} ya no existe", "{n} no longer exists"),
    "links_gone_many": ("{n} ya no existen", "{n} no longer exist"),
    "links_failing_one": ("{n} falla", "{n} is failing"),
    "links_failing_many": ("{n} fallan", "{n} are failing"),
    "and": ("y", "and"),
    "links_unchecked_one": (
        "{n} de {total} direcciones aún no se ha comprobado (se citó después de la última comprobación).",
        "{n} of {total} addresses has not been checked yet (it was cited after the last check).",
    ),
    "links_unchecked_many": (
        "{n} de {total} direcciones aún no se han comprobado (se citaron después de la última comprobación).",
        "{n} of {total} addresses have not been checked yet (they were cited after the last check).",
    ),
    "links_never": (
        "Los enlaces a las fuentes de este conjunto aún no se han comprobado. Para comprobarlos, ejecuta",
        "The links to the sources of this dataset have not been checked yet. To check them, run",
    ),
    "links_never_end": ("y vuelve a generar el sitio.", "and build the site again."),
    "links_none": (
        "Ninguna fila de este conjunto cita una página web.",
        "No row of this dataset cites a web page.",
    ),
    "links_moved": ("Se mudaron ({n})", "Moved ({n})"),
    "links_dead": ("No responden ({n})", "Not answering ({n})"),
    "links_now_at": ("ahora en", "now at"),
    "links_archive": ("buscarla en el archivo web", "look it up in the web archive"),
    "links_cited_by": ("citada en", "cited in"),
    "links_line": ("{table}, línea {line}", "{table}, line {line}"),
    "links_lines": ("{table}, líneas {lines}", "{table}, lines {lines}"),
    "links_json": ("Todos los enlaces en JSON", "Every link as JSON"),
    "sources_title": ("Fuentes por tipo", "Sources by kind"),
    "sources_value": (
        "{urls} páginas distintas ({share}), citadas {cells} veces",
        "{urls} distinct pages ({share}), cited {cells} times",
    ),
    "sources_rule": (
        "El tipo sale del dominio de cada dirección (la lista source_kinds del estándar y los sitios "
        "de las redes de ciudades del catálogo).",
        "The kind comes from each address's domain (the standard's source_kinds list and the "
        "websites of the catalog's city networks).",
    ),
    "fresh_title": ("Actualización", "Updates"),
    "fresh_due": (
        "Actualizado el {modified}; frecuencia declarada: {frequency}. La próxima actualización "
        "vence el {due}.",
        "Updated on {modified}; declared frequency: {frequency}. The next update is due by {due}.",
    ),
    "fresh_unscheduled": (
        "Actualizado el {modified}; frecuencia declarada: {frequency}. No hay un calendario, así que "
        "no hay una fecha prevista para la próxima actualización.",
        "Updated on {modified}; declared frequency: {frequency}. There is no schedule, so no date is "
        "set for the next update.",
    ),
    "fresh_undeclared": (
        "Actualizado el {modified}; el conjunto no declara con qué frecuencia se actualiza "
        "(update_frequency).",
        "Updated on {modified}; the dataset does not declare how often it is updated (update_frequency).",
    ),
    "claims_title": ("Afirmaciones en competencia abiertas", "Open competing claims"),
    "claims_value_one": ("{n} hecho con más de una versión", "{n} fact with more than one version"),
    "claims_value": ("{n} hechos con más de una versión", "{n} facts with more than one version"),
    "panel_chart": ("Fuentes por tipo y estado de sus enlaces", "Sources by kind and state of their links"),
    "panel_chart_desc": (
        "Páginas distintas que citan las filas, por tipo de fuente y por lo que respondieron en la "
        "última comprobación.",
        "Distinct pages the rows cite, by kind of source and by what they answered at the last check.",
    ),
    "panel_links_group": ("Estado de los enlaces", "State of the links"),
    "panel_kind": ("Grupo", "Group"),
    "panel_what": ("Valor", "Value"),
    "panel_pages": ("Páginas", "Pages"),
    "link_ok": ("Responden", "Answer"),
    "link_moved": ("Se mudaron", "Moved"),
    "link_gone": ("Ya no existen", "No longer exist"),
    "link_failing": ("Fallan", "Failing"),
    "link_unchecked": ("Sin comprobar", "Not checked"),
    "no": ("No", "No"),
    "report_none": (
        "No se encontró ningún problema.",
        "No problem was found.",
    ),
    "severity_error": ("Error", "Error"),
    "severity_warning": ("Advertencia", "Warning"),
    "severity_info": ("Aviso", "Notice"),
    "where": ("Dónde", "Where"),
    "message": ("Qué pasa", "What is wrong"),
    "fix": ("Cómo corregirlo", "How to fix it"),
    "code": ("Código", "Code"),
    "times": ("{n} veces", "{n} times"),
    "versions_title": ("Versiones", "Versions"),
    "versions_intro": (
        "Cada versión publicada de este conjunto de datos, con su fecha, sus archivos y sus huellas "
        "SHA-256, y lo que cambió en ella. Las versiones anteriores se reconstruyen del historial "
        "del catálogo.",
        "Every published version of this dataset, with its date, its files and their SHA-256 "
        "checksums, and what changed in it. Earlier versions are rebuilt from the catalog's history.",
    ),
    "versions_current": ("versión actual", "current version"),
    "versions_current_files": (
        "Sus archivos son los de la sección Descargas.",
        "Its files are those of the Downloads section.",
    ),
    "versions_from": ("tomada de {label}", "taken from {label}"),
    "versions_files": ("Archivos de la versión {version}", "Files of version {version}"),
    "versions_changes": ("Qué cambió", "What changed"),
    "versions_no_notes": (
        "El registro de cambios no tiene una entrada para esta versión.",
        "The changelog has no entry for this version.",
    ),
    "versions_invalid": (
        "Esta versión no pasa las comprobaciones de hoy ({n}). Se ofrece tal como se publicó, para "
        "que puedas reproducir un trabajo que la usó; para datos nuevos, usa la versión actual.",
        "This version does not pass today's checks ({n}). It is offered as it was published, so "
        "work that used it can be reproduced; for new work, use the current version.",
    ),
    "versions_failed": (
        "Esta versión no se pudo volver a empaquetar: {why}",
        "This version could not be packaged again: {why}",
    ),
    "versions_only_no_git": (
        "Solo la versión actual está disponible en esta copia: el catálogo no está en un repositorio "
        "git, que es de donde salen las versiones anteriores.",
        "Only the current version is available in this copy: the catalog is not in a git "
        "repository, which is where earlier versions come from.",
    ),
    "versions_only_shallow": (
        "Solo la versión actual está disponible en esta copia: es un clon de git sin el historial "
        "completo («shallow»), así que las versiones anteriores no se pueden reconstruir.",
        "Only the current version is available in this copy: it is a git clone without its full "
        "history (shallow), so earlier versions cannot be rebuilt.",
    ),
    "versions_only_first": (
        "Solo la versión actual está disponible en esta copia: el historial del catálogo no tiene "
        "versiones anteriores de este conjunto de datos.",
        "Only the current version is available in this copy: the catalog's history has no earlier "
        "version of this dataset.",
    ),
    "versions_partial": (
        "Solo se ofrecen sus tablas y su descriptor tal como se publicaron: con esos errores no se "
        "pueden generar los demás formatos.",
        "Only its tables and its descriptor are offered, as they were published: with those errors "
        "the other formats cannot be made.",
    ),
    "versions_other": ("Otras entradas del registro de cambios", "Other changelog entries"),
    # ── partners ───────────────────────────────────────────────────────────────────────────────
    "partners_title": ("Contrapartes", "Partners"),
    "partners_intro": (
        "Cada organización que aparece en los datos, con los acuerdos y flujos de financiamiento que la "
        "nombran en todas las ciudades.",
        "Every organisation named in the data, with the agreements and funding flows that name it "
        "across every city.",
    ),
    "partner": ("Contraparte", "Partner"),
    "partner_type": ("Tipo", "Type"),
    "appears_in": ("Aparece en", "Appears in"),
    "website": ("Sitio web", "Website"),
    "wikidata": ("Wikidata", "Wikidata"),
    "org_identifier": ("Identificador de organización", "Organisation identifier"),
    "names_in": ("Nombre en cada conjunto", "Name in each dataset"),
    "role": ("Papel", "Role"),
    "role_local_party": ("gobierno local", "local government"),
    "role_counterpart": ("contraparte principal", "main counterpart"),
    "role_other": ("otra contraparte", "other counterpart"),
    "role_provider": ("financiador", "funder"),
    "role_recipient": ("receptor", "recipient"),
    "agreement": ("Acuerdo", "Agreement"),
    "date": ("Fecha", "Date"),
    "dataset": ("Conjunto", "Dataset"),
    "source": ("Fuente", "Source"),
    "agreements_title": ("Acuerdos y membresías", "Agreements and memberships"),
    "funding_title": ("Financiamiento", "Funding"),
    "none_rows": ("Ninguno.", "None."),
    "no_country": ("Sin país (internacional)", "No country (international)"),
    # ── metadata descriptions ──────────────────────────────────────────────────────────────────
    "machine_ttl": ("Catálogo DCAT-AP 3 (Turtle)", "DCAT-AP 3 catalog (Turtle)"),
    "machine_jsonld": ("Catálogo DCAT-AP 3 (JSON-LD)", "DCAT-AP 3 catalog (JSON-LD)"),
    "machine_datajson": ("data.json (DCAT-US 1.1, guía de datos.gob.mx)", "data.json (DCAT-US 1.1)"),
    "machine_sitemap": ("Mapa del sitio", "Sitemap"),
    # ── installing the toolkit (before any snippet that imports it) ────────────────────────────
    "install_toolkit": ("Instala la herramienta", "Install the toolkit"),
    "install_note": (
        "ciudades-al-mundo aún no está en PyPI: se instala desde su repositorio (trae pandas y frictionless)",
        "ciudades-al-mundo is not on PyPI yet: it installs from its repository (pandas and frictionless "
        "come with it)",
    ),
}

# The toolkit is not on a package index yet, so every place that shows ``import toolkit`` shows how
# to install it from its repository first (a plain ``pip install toolkit`` is an unrelated package).
TOOLKIT_DISTRIBUTION = "ciudades-al-mundo"
TOOLKIT_REPOSITORY = "https://github.com/ciudades-al-mundo/ciudades-al-mundo"
INSTALL_COMMAND = f'pip install "{TOOLKIT_DISTRIBUTION} @ git+{TOOLKIT_REPOSITORY}"'

FREQUENCIES: dict[str, tuple[str, str]] = {
    "irregular": ("Irregular, cuando hay datos nuevos", "Irregular, when there are new data"),
    "continuous": ("Continua", "Continuous"),
    "daily": ("Diaria", "Daily"),
    "weekly": ("Semanal", "Weekly"),
    "monthly": ("Mensual", "Monthly"),
    "quarterly": ("Trimestral", "Quarterly"),
    "biannual": ("Semestral", "Every six months"),
    "annual": ("Anual", "Annual"),
    "never": ("No se actualiza", "Not updated"),
}

# Plain-language notes for the licences a catalog is likely to use; others show their title only.
LICENCE_NOTES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": (
        "Puedes copiar, redistribuir, transformar y usar estos datos para cualquier fin, también "
        "comercial, siempre que cites la fuente e indiques si hiciste cambios.",
        "You may copy, redistribute, adapt and use these data for any purpose, commercial ones "
        "included, as long as you credit the source and say whether you made changes.",
    ),
    "CC0-1.0": (
        "Dominio público: puedes usar estos datos para cualquier fin sin pedir permiso ni citar.",
        "Public domain: you may use these data for any purpose without asking or crediting.",
    ),
    "ODbL-1.0": (
        "Puedes usar y transformar estos datos citando la fuente; si publicas una base derivada, "
        "debe llevar la misma licencia.",
        "You may use and adapt these data with credit; a derived database you publish must carry "
        "the same licence.",
    ),
    "LIBRE-USO-MX": (
        "Licencia de Libre Uso MX: puedes usar, copiar y redistribuir los datos para cualquier fin, "
        "citando la fuente con la forma que se indica más abajo.",
        "Libre Uso MX licence: you may use, copy and redistribute the data for any purpose, citing "
        "the source in the form shown below.",
    ),
}


def texts(lang: str) -> dict[str, str]:
    """The site's words in ``lang`` (``es`` or ``en``)."""
    i = 0 if lang == "es" else 1
    return {key: pair[i] for key, pair in TEXTS.items()}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "es" else pair[1]
