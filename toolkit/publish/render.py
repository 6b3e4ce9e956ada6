"""The publish plan and result as text for people (es/en) and as JSON (see docs/publish.md)."""

from __future__ import annotations

import json

from toolkit.publish.ckan import DatasetPlan, PublishResult, ResourcePlan

# action → (symbol, planned es, done es, planned en, done en)
_ACTIONS = {
    "create": ("+", "crear", "creado", "create", "created"),
    "upload": ("↑", "subir", "subido", "upload", "uploaded"),
    "update": ("~", "actualizar", "actualizado", "update", "updated"),
    "unchanged": ("=", "sin cambios", "sin cambios", "unchanged", "unchanged"),
    "delete": ("-", "borrar", "borrado", "delete", "deleted"),
    "keep": ("·", "se conserva", "se conservó", "kept", "kept"),
}
_REASONS = {
    "duplicate": ("duplicado del mismo nombre", "duplicate of the same name"),
    "not-in-package": ("no está en el paquete", "not in the package"),
}
# What a plan made without a token could not check (PublishResult.unchecked): es, en.
_UNCHECKED = {
    "token": ("que el token sea válido", "that a token is valid"),
    "permission": ("el permiso para publicar en {org}", "the permission to publish in {org}"),
    "hidden-datasets": (
        "los conjuntos privados o borrados con estos nombres (sin token no se ven: uno así figura "
        "«por crear»)",
        "private or deleted datasets with these names (invisible without a token: one shows as 'to create')",
    ),
}
_STATUS = {
    "pending": ("pendiente: no se hizo", "pending: not done"),
    "failed": ("falló", "failed"),
}


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _verb(action: str, lang: str, done: bool) -> str:
    _sym, pes, des, pen, den = _ACTIONS[action]
    if lang == "es":
        return des if done else pes
    return den if done else pen


def _resource_line(
    r: ResourcePlan, lang: str, done: bool, width: int, verified: dict[str, tuple[bool, str]]
) -> str:
    sym = _ACTIONS[r.action][0]
    finished = done and r.status == "done"
    text = _verb(r.action, lang, finished)
    details: list[str] = []
    if r.action in ("create", "upload") and r.file is not None:
        sha = r.file.sha256[:12]
        if r.action == "upload" and r.portal_sha256 and r.portal_sha256 != r.file.sha256:
            details.append(f"sha256 {r.portal_sha256[:12]} → {sha}")
        else:
            details.append(f"{_n(r.file.bytes)} B, sha256 {sha}")
    if r.changes and r.action != "create":
        details.append(", ".join(c for c in r.changes if c not in ("hash", "size") or r.action == "update"))
    if r.reason:
        es, en = _REASONS[r.reason]
        details.append(es if lang == "es" else en)
        if r.action == "keep":
            details.append("--prune lo borra" if lang == "es" else "--prune deletes it")
    if r.status in _STATUS:
        es, en = _STATUS[r.status]
        details.append(es if lang == "es" else en)
    line = f"  {sym} {r.name.ljust(width)}  {text}"
    details = [d for d in details if d]
    if details:
        line += f" ({'; '.join(details)})"
    if r.name in verified and r.action != "delete":
        ok, status = verified[r.name]
        mark = ("✓ sha256 coincide" if lang == "es" else "✓ sha256 matches") if ok else "✗ sha256"
        line += f" · {mark}"
        if status:
            line += f" · {'validación' if lang == 'es' else 'validation'}: {status}"
    return line


def _dataset_block(d: DatasetPlan, lang: str, done: bool) -> list[str]:
    finished = done and d.status == "done"
    head = f"{d.slug} → {d.name}: {_verb(d.action, lang, finished)}"
    if d.changes and d.action == "update":
        head += f" ({', '.join(d.changes)})"
    if d.status in _STATUS and d.action != "unchanged":
        es, en = _STATUS[d.status]
        head += f" [{es if lang == 'es' else en}]"
    verified = {v.name: (v.sha256_ok and v.size_ok, v.validation_status or "") for v in d.verification or []}
    width = max((len(r.name) for r in d.resources), default=0)
    return [head] + [_resource_line(r, lang, done, width, verified) for r in d.resources]


def _summary(result: PublishResult, lang: str) -> str:
    s = result.summary()
    es = lang == "es"
    ds = [
        (s["datasets_create"], "por crear" if es else "to create"),
        (s["datasets_update"], "por actualizar" if es else "to update"),
        (s["datasets_unchanged"], "sin cambios" if es else "unchanged"),
    ]
    rs = [
        (s["resources_create"], "por crear" if es else "to create"),
        (s["resources_upload"], "por subir" if es else "to upload"),
        (s["resources_update"], "por actualizar" if es else "to update"),
        (s["resources_unchanged"], "sin cambios" if es else "unchanged"),
        (s["resources_delete"], "por borrar" if es else "to delete"),
        (s["resources_keep"], "que se conservan" if es else "kept"),
    ]
    if not result.dry_run:
        ds = [(n, w.replace("por ", "").replace("to ", "")) for n, w in ds]
        done = {"crear": "creados", "actualizar": "actualizados", "subir": "subidos", "borrar": "borrados"}
        done_en = {"create": "created", "update": "updated", "upload": "uploaded", "delete": "deleted"}
        ds = [(n, done.get(w, done_en.get(w, w))) for n, w in ds]
        rs = [(n, w.replace("por ", "").replace("to ", "")) for n, w in rs]
        rs = [(n, done.get(w, done_en.get(w, w))) for n, w in rs]
    parts_d = ", ".join(f"{n} {w}" for n, w in ds if n)
    parts_r = ", ".join(f"{n} {w}" for n, w in rs if n)
    if es:
        return f"Resumen: conjuntos de datos: {parts_d or 'ninguno'}; recursos: {parts_r or 'ninguno'}."
    return f"Summary: datasets: {parts_d or 'none'}; resources: {parts_r or 'none'}."


def _anonymous_line(result: PublishResult, lang: str) -> str:
    es = lang == "es"
    org = f"«{result.organization}»" if es else f"'{result.organization}'"
    notes = [_UNCHECKED[c][0 if es else 1].format(org=org) for c in result.unchecked if c in _UNCHECKED]
    listed = (
        ", ".join(notes[:-1]) + (" y " if es else " and ") + notes[-1] if len(notes) > 1 else "".join(notes)
    )
    if es:
        return (
            "Sin token: el plan se hizo con lecturas anónimas. Quedó sin comprobar, porque necesita un "
            f"token: {listed}."
        )
    return f"No token: planned with anonymous reads. Not checked (it needs a token): {listed}."


def render_text(result: PublishResult, lang: str = "es") -> str:
    """The plan (``--dry-run``) or what was done, one dataset per block, for people."""
    es = lang == "es"
    version = f" (CKAN {result.ckan_version})" if result.ckan_version else ""
    org = f"organización «{result.organization}»" if es else f"organisation '{result.organization}'"
    lines = [f"Portal: {result.portal}{version} · {org}"]
    if result.dry_run:
        lines.append(
            "Simulación (--dry-run): no se escribió nada en el portal."
            if es
            else "Dry run (--dry-run): nothing was written to the portal."
        )
    if result.anonymous:
        lines.append(_anonymous_line(result, lang))
    done = not result.dry_run
    for d in result.datasets:
        lines.append("")
        lines.extend(_dataset_block(d, lang, done))
    lines.append("")
    lines.append(_summary(result, lang))
    req = result.requests
    if req:
        if es:
            lines.append(
                f"Solicitudes al portal: {req.get('reads', 0)} lecturas, {req.get('writes', 0)} escrituras, "
                f"{req.get('downloads', 0)} descargas."
            )
        else:
            lines.append(
                f"Requests to the portal: {req.get('reads', 0)} reads, {req.get('writes', 0)} writes, "
                f"{req.get('downloads', 0)} downloads."
            )
    if not result.dry_run:
        checked = sum(len(d.verification or []) for d in result.datasets)
        if result.complete:
            nothing = req.get("writes", 0) == 0
            if es:
                lead = "Nada que hacer: el portal ya tenía todo" if nothing else "Publicado y verificado"
                lines.append(
                    f"✓ {lead}; {checked} archivos descargados del portal coinciden con el paquete (sha256)."
                )
            else:
                lead = (
                    "Nothing to do: the portal already had everything"
                    if nothing
                    else "Published and verified"
                )
                lines.append(
                    f"✓ {lead}; {checked} files downloaded from the portal match the package (sha256)."
                )
        else:
            lines.append(
                "✗ Publicación incompleta: lo marcado «pendiente» no se hizo. Vuelve a ejecutar el mismo "
                "comando: retoma desde lo que el portal ya tiene."
                if es
                else "✗ Publishing is incomplete: what is marked 'pending' was not done. Run the same "
                "command "
                "again: it resumes from what the portal already holds."
            )
    return "\n".join(lines) + "\n"


def render_json(result: PublishResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
