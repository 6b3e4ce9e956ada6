"""Publish data packages to a CKAN portal: plan, then apply, then verify.

Each dataset package becomes one CKAN dataset (named from its slug, with an optional prefix) whose
resources are the CSV tables (uploaded, each with its Table Schema in ``schema`` for
ckanext-validation), ``datapackage.json`` and the zip. Resources are matched by name.

The plan is computed from what the portal holds now (``package_show`` by name, never search, which
needs Solr), so a second run with nothing new writes nothing, and a run cut short is completed by the
next one. Writes are never retried blindly: after a failed write the dataset is read again and
planned again, so a create whose answer was lost is not repeated, and any duplicate found is removed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import ToolkitError, UsageError
from toolkit.packaging.packages import DatasetPackage, OutputFile
from toolkit.publish.client import (
    CkanClient,
    NotFound,
    PortalError,
    PortalUnavailable,
    Secret,
    TokenRejected,
    check_token,
)
from toolkit.publish.mapping import DATASET_FIELDS, DesiredDataset, DesiredResource, clean, desired_dataset

Progress = Callable[[str], None]

RESOURCE_FIELDS = ("description", "format", "mimetype", "hash", "size", "schema")
CKAN_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


class PublishFailed(ToolkitError):
    """Publishing stopped part-way; carries the result with what was and was not done."""

    def __init__(self, result: PublishResult, cause: ToolkitError) -> None:
        super().__init__(cause.message_es, cause.message_en)
        self.result = result
        self.cause = cause


# ── the plan ────────────────────────────────────────────────────────────────────────────────────


@dataclass
class ResourcePlan:
    """One resource: ``create`` | ``upload`` | ``update`` | ``unchanged`` | ``delete`` | ``keep``."""

    name: str
    action: str
    kind: str | None = None
    changes: list[str] = field(default_factory=list)
    file: OutputFile | None = None
    portal_id: str | None = None
    portal_sha256: str | None = None
    reason: str | None = None  # "duplicate" or "not-in-package" for deletions and kept resources
    status: str = "planned"  # planned | done | pending | failed
    desired: DesiredResource | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "action": self.action,
            "changes": self.changes,
            "file": self.file.name if self.file else None,
            "bytes": self.file.bytes if self.file else None,
            "sha256": self.file.sha256 if self.file else None,
            "portal_id": self.portal_id,
            "portal_sha256": self.portal_sha256,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass
class Verification:
    name: str
    sha256_ok: bool
    size_ok: bool
    validation_status: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256_ok": self.sha256_ok,
            "size_ok": self.size_ok,
            "validation_status": self.validation_status,
        }


@dataclass
class DatasetPlan:
    """One dataset: ``create`` | ``update`` | ``unchanged``, and its resources."""

    slug: str
    name: str
    action: str
    changes: list[str] = field(default_factory=list)
    resources: list[ResourcePlan] = field(default_factory=list)
    portal_id: str | None = None
    status: str = "planned"
    error: ToolkitError | None = None
    verification: list[Verification] | None = None
    desired: DesiredDataset | None = None

    @property
    def writes(self) -> int:
        own = 0 if self.action == "unchanged" else 1
        return own + sum(r.action not in ("unchanged", "keep") for r in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "action": self.action,
            "changes": self.changes,
            "portal_id": self.portal_id,
            "status": self.status,
            "error": _error_dict(self.error),
            "resources": [r.to_dict() for r in self.resources],
            "verification": [v.to_dict() for v in self.verification]
            if self.verification is not None
            else None,
        }


def _error_dict(error: ToolkitError | None) -> dict[str, str] | None:
    return {"es": error.message_es, "en": error.message_en} if error else None


def _same(a: Any, b: Any) -> bool:
    return (a if a not in (None, "") else "") == (b if b not in (None, "") else "")


def _field_differs(key: str, desired: Any, portal: dict[str, Any]) -> bool:
    current = portal.get(key)
    if key == "tags":
        return sorted(t["name"] for t in desired) != sorted(t.get("name") for t in current or [])
    if key == "extras":
        return {e["key"]: e["value"] for e in desired} != {
            e.get("key"): e.get("value") for e in current or []
        }
    if key == "schema":
        if isinstance(current, str):
            try:
                current = json.loads(current)
            except ValueError:
                return True
        return bool(current != desired)
    if key == "size":
        try:
            return int(str(current)) != int(desired)
        except (TypeError, ValueError):
            return True
    if key == "format":
        return clean(current).lower() != clean(desired).lower()
    return not _same(clean(desired), clean(current))


def plan_dataset(desired: DesiredDataset, portal: dict[str, Any] | None, prune: bool) -> DatasetPlan:
    """Compare what should be with what the portal holds; ``portal`` is ``package_show``'s result."""
    if portal is None:
        resources = [
            ResourcePlan(r.name, "create", r.kind, file=r.file, desired=r) for r in desired.resources
        ]
        return DatasetPlan(desired.slug, desired.name, "create", resources=resources, desired=desired)
    changes = [k for k in DATASET_FIELDS if _field_differs(k, desired.fields[k], portal)]
    if portal.get("state") not in (None, "active"):
        changes.append("state")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for res in portal.get("resources") or []:
        if res.get("state", "active") == "active":
            by_name.setdefault(clean(res.get("name")), []).append(res)
    plans: list[ResourcePlan] = []
    for want in desired.resources:
        matches = by_name.pop(want.name, [])
        if not matches:
            plans.append(ResourcePlan(want.name, "create", want.kind, file=want.file, desired=want))
            continue
        have, *duplicates = matches
        portal_sha = clean(have.get("hash")) or None
        needs_upload = (
            have.get("url_type") != "upload"
            or portal_sha != want.file.sha256
            or _field_differs("size", want.file.bytes, have)
        )
        res_changes = [k for k in RESOURCE_FIELDS if _field_differs(k, want.fields.get(k), have)]
        action = "upload" if needs_upload else ("update" if res_changes else "unchanged")
        plans.append(
            ResourcePlan(
                want.name,
                action,
                want.kind,
                changes=res_changes,
                file=want.file,
                portal_id=have.get("id"),
                portal_sha256=portal_sha,
                desired=want,
            )
        )
        for dup in duplicates:  # ours by name, so never kept: a re-publish must not pile them up
            plans.append(
                ResourcePlan(want.name, "delete", want.kind, portal_id=dup.get("id"), reason="duplicate")
            )
    for name, extra in by_name.items():
        for res in extra:
            plans.append(
                ResourcePlan(
                    name,
                    "delete" if prune else "keep",
                    portal_id=res.get("id"),
                    portal_sha256=clean(res.get("hash")) or None,
                    reason="not-in-package",
                )
            )
    return DatasetPlan(
        desired.slug,
        desired.name,
        "update" if changes else "unchanged",
        changes=changes,
        resources=plans,
        portal_id=portal.get("id"),
        desired=desired,
    )


# ── the result ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class PublishResult:
    """The plan, and after applying it what was done, what was not, and the verification."""

    portal: str
    organization: str
    dry_run: bool
    prune: bool
    ckan_version: str | None = None
    datasets: list[DatasetPlan] = field(default_factory=list)
    error: ToolkitError | None = None
    requests: dict[str, int] = field(default_factory=dict)
    # A dry run without a token plans with anonymous reads; these checks needed a token (UNCHECKED).
    anonymous: bool = False
    unchecked: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.error is None and all(d.status in ("done", "planned") for d in self.datasets)

    def summary(self) -> dict[str, int]:
        counts = {
            "datasets_create": 0,
            "datasets_update": 0,
            "datasets_unchanged": 0,
            "resources_create": 0,
            "resources_upload": 0,
            "resources_update": 0,
            "resources_unchanged": 0,
            "resources_delete": 0,
            "resources_keep": 0,
        }
        for d in self.datasets:
            counts[f"datasets_{d.action}"] += 1
            for r in d.resources:
                counts[f"resources_{r.action}"] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        status = "planned" if self.dry_run else ("complete" if self.complete else "incomplete")
        return {
            "version": 1,
            "portal": self.portal,
            "ckan_version": self.ckan_version,
            "organization": self.organization,
            "dry_run": self.dry_run,
            "prune": self.prune,
            "status": status,
            "summary": self.summary(),
            "requests": self.requests,
            "anonymous": self.anonymous,
            "unchecked": self.unchecked,
            "error": _error_dict(self.error),
            "datasets": [d.to_dict() for d in self.datasets],
        }


# What a plan made with anonymous reads could not check, each needing a token (see render.py).
UNCHECKED = ("token", "permission", "hidden-datasets")


# ── applying ────────────────────────────────────────────────────────────────────────────────────


class _Publisher:
    def __init__(self, client: CkanClient, org: str, prune: bool, retries: int, progress: Progress | None):
        self.client = client
        self.org = org
        self.prune = prune
        self.retries = retries
        self.progress = progress or (lambda _msg: None)

    def organization_id(self, anonymous: bool = False) -> str:
        """Check the token and the organisation; return the organisation's id.

        Anonymous (a dry run without a token), only that the organisation exists, with
        ``organization_show`` asking for no dataset count (which would need the search index).

        CKAN 2.10 treats an unknown token as an anonymous visitor instead of refusing it, so a
        read that needs a signed-in user (``am_following_group``) tells a rejected token apart
        from a user without permission, and also whether the organisation exists.
        """
        if anonymous:
            return self._organization_id_anonymous()
        try:
            self.client.action("am_following_group", {"id": self.org})
        except PortalError as ex:
            if ex.status == 403:
                raise TokenRejected(
                    "El portal rechazó el token de la API (lo trata como visitante anónimo): revisa "
                    "CKAN_API_TOKEN o el archivo de --api-token-file, y que el token no esté vencido ni "
                    "revocado.",
                    "The portal rejected the API token (it treats it as an anonymous visitor): check "
                    "CKAN_API_TOKEN or the --api-token-file file, and that the token has not expired or "
                    "been revoked.",
                    403,
                ) from None
            if ex.status == 409 and "not found" in ex.message_en.lower():
                raise self._missing_org() from None
            raise
        mine = self.client.action(
            "organization_list_for_user", {"permission": "create_dataset", "include_dataset_count": "false"}
        )
        for org in mine or []:
            if self.org in (org.get("name"), org.get("id")):
                return str(org["id"])
        raise PortalError(
            f"El usuario del token no puede publicar en la organización «{self.org}»: pide a quien la "
            "administra el rol de editor.",
            f"The token's user cannot publish in the organisation '{self.org}': ask its admin for the "
            "editor role.",
            403,
        )

    def _missing_org(self) -> NotFound:
        return NotFound(
            f"La organización «{self.org}» no existe en {self.client.url}: revisa --org (es el "
            "nombre corto de la organización, el que aparece en su dirección) o pide que la creen.",
            f"The organisation '{self.org}' does not exist on {self.client.url}: check --org (it is "
            "the organisation's short name, as in its address) or ask for it to be created.",
            404,
        )

    def _organization_id_anonymous(self) -> str:
        skip = ("datasets", "dataset_count", "users", "groups", "tags", "followers")
        try:
            org = self.client.action(
                "organization_show", {"id": self.org, **{f"include_{k}": "false" for k in skip}}
            )
        except NotFound:
            raise self._missing_org() from None
        if not isinstance(org, dict) or not org.get("id"):
            raise self._missing_org()
        return str(org["id"])

    def read(self, name: str, anonymous: bool = False) -> dict[str, Any] | None:
        try:
            result = self.client.action("package_show", {"id": name})
        except NotFound:
            return None
        except PortalError as ex:
            if anonymous and ex.status == 403:
                raise PortalError(
                    f"«{name}» existe en el portal pero no se ve sin token (es privado o está borrado): "
                    "para planear con él, da un token en CKAN_API_TOKEN o con --api-token-file.",
                    f"'{name}' exists on the portal but cannot be seen without a token (it is private or "
                    "deleted): to plan with it, give a token in CKAN_API_TOKEN or with --api-token-file.",
                    403,
                ) from None
            raise
        return result if isinstance(result, dict) else None

    def plan(self, desired: DesiredDataset, anonymous: bool = False) -> DatasetPlan:
        self.progress(desired.name)
        return plan_dataset(desired, self.read(desired.name, anonymous), self.prune)

    # Writes: each one once; PortalUnavailable makes the caller read the dataset again and re-plan.

    def _dataset_payload(self, desired: DesiredDataset, keys: Iterable[str]) -> dict[str, Any]:
        return {k: desired.fields[k] for k in keys}

    def _resource_payload(self, r: ResourcePlan) -> dict[str, Any]:
        assert r.desired is not None
        fields = dict(r.desired.fields)
        if "schema" in fields:
            fields["schema"] = json.dumps(fields["schema"], ensure_ascii=False)
        return {"name": r.name, **fields}

    def apply(self, plan: DatasetPlan) -> None:
        desired = plan.desired
        assert desired is not None
        if plan.action == "create":
            self.progress(f"{plan.name}: create")
            try:
                created = self.client.action(
                    "package_create",
                    data={"name": plan.name, **self._dataset_payload(desired, DATASET_FIELDS)},
                )
            except PortalError as ex:
                if ex.status == 409 and "already in use" in ex.message_en:
                    raise PortalError(
                        f"El nombre «{plan.name}» ya lo usa en el portal otro conjunto de datos que el "
                        "token no puede ver (quizás uno borrado, que ocupa el nombre hasta que lo purguen): "
                        "pide a quien administra el portal que lo purgue, o publica con otro --prefix.",
                        f"The name '{plan.name}' is already used on the portal by a dataset the token cannot "
                        "see (perhaps a deleted one, which keeps the name until it is purged): ask the "
                        "portal's admin to purge it, or publish with another --prefix.",
                        409,
                    ) from None
                raise
            plan.portal_id = created["id"]
            plan.status = "done"
        elif plan.action == "update":
            self.progress(f"{plan.name}: update")
            payload = self._dataset_payload(desired, (c for c in plan.changes if c != "state"))
            if "state" in plan.changes:
                payload["state"] = "active"
            self.client.action("package_patch", data={"id": plan.portal_id, **payload})
            plan.status = "done"
        for r in plan.resources:
            if r.action in ("unchanged", "keep"):
                continue
            self.progress(f"{plan.name}: {r.name} ({r.action})")
            try:
                self._apply_resource(plan, r)
            except PortalError:
                r.status = "failed"
                raise
            r.status = "done"
        plan.status = "done"

    def _apply_resource(self, plan: DatasetPlan, r: ResourcePlan) -> None:
        if r.action == "create":
            assert r.file is not None
            made = self.client.action(
                "resource_create",
                data={"package_id": plan.portal_id, "url": r.file.name, **self._resource_payload(r)},
                upload=r.file.path,
                upload_type=r.file.mediatype,
            )
            r.portal_id = made.get("id")
        elif r.action == "upload":
            assert r.file is not None
            self.client.action(
                "resource_update",
                data={"id": r.portal_id, "url": r.file.name, **self._resource_payload(r)},
                upload=r.file.path,
                upload_type=r.file.mediatype,
            )
        elif r.action == "update":
            # resource_update, not resource_patch: only the former runs ckanext-validation.
            current = self.client.action("resource_show", {"id": r.portal_id})
            keep = {k: current[k] for k in ("url", "url_type") if current.get(k)}
            self.client.action(
                "resource_update", data={"id": r.portal_id, **keep, **self._resource_payload(r)}
            )
        elif r.action == "delete":
            self.client.action("resource_delete", data={"id": r.portal_id})

    def verify(self, plan: DatasetPlan) -> None:
        """Read the dataset back, expect nothing left to do, download each file and hash it."""
        desired = plan.desired
        assert desired is not None
        portal = self.read(desired.name)
        again = plan_dataset(desired, portal, self.prune)
        left = [r for r in again.resources if r.action not in ("unchanged", "keep")]
        if portal is None or again.action != "unchanged" or left:
            what = ", ".join(
                [f"{r.name} ({r.action})" for r in left] + ([again.action] if again.changes else [])
            )
            raise PortalError(
                f"Verificación: el portal no tiene lo publicado en «{plan.name}» ({what or 'no existe'}); "
                "vuelve a ejecutar la publicación.",
                f"Verification: the portal does not hold what was published in '{plan.name}' "
                f"({what or 'missing'}); run the publish again.",
            )
        by_id = {r.get("id"): r for r in portal.get("resources") or []}
        checks = []
        for r in again.resources:
            if r.action == "keep" or r.file is None:
                continue
            res = by_id[r.portal_id]
            self.progress(f"{plan.name}: verify {r.name}")
            sha, size = self.client.download_sha256(str(res.get("url")))
            checks.append(
                Verification(r.name, sha == r.file.sha256, size == r.file.bytes, res.get("validation_status"))
            )
        plan.verification = checks
        bad = [c.name for c in checks if not (c.sha256_ok and c.size_ok)]
        if bad:
            raise PortalError(
                f"Verificación: lo que descarga el portal no coincide (sha256) en «{plan.name}»: "
                f"{', '.join(bad)}. Vuelve a publicar; si se repite, revisa el almacenamiento del portal.",
                f"Verification: what the portal serves does not match (sha256) in '{plan.name}': "
                f"{', '.join(bad)}. Publish again; if it happens again, check the portal's storage.",
            )


def _merge_done(final: DatasetPlan, earlier: list[DatasetPlan]) -> None:
    """After re-planning, report what earlier attempts did instead of 'unchanged'."""
    for old in earlier:
        if old.status == "done" and final.action == "unchanged":
            final.action, final.changes = old.action, old.changes
        for r in final.resources:
            for o in old.resources:
                if o.name == r.name and o.status == "done" and r.action == "unchanged":
                    r.action, r.changes, r.portal_sha256 = o.action, o.changes, o.portal_sha256


def _select(packages: list[DatasetPackage], only: list[str] | None) -> list[DatasetPackage]:
    if not only:
        return packages
    known = {p.slug: p for p in packages}
    unknown = [s for s in only if s not in known]
    if unknown:
        raise UsageError(
            f"No hay paquete para {', '.join(f'«{s}»' for s in unknown)}; hay: {', '.join(sorted(known))}.",
            f"No package for {', '.join(repr(s) for s in unknown)}; there are: {', '.join(sorted(known))}.",
        )
    return [known[s] for s in only]


def ckan_name(slug: str, prefix: str = "") -> str:
    name = f"{prefix}{slug}"
    if not CKAN_NAME.match(name):
        raise UsageError(
            f"«{name}» no sirve como nombre en CKAN: usa de 2 a 100 minúsculas, dígitos, - o _ "
            "(revisa --prefix).",
            f"'{name}' cannot be a CKAN name: use 2 to 100 lowercase letters, digits, - or _ "
            "(check --prefix).",
        )
    return name


def check_credentials(secret: Secret, dry_run: bool) -> None:
    """Refuse, as a usage error, a token that cannot be one, or no token when not a dry run."""
    check_token(secret)
    if not secret and not dry_run:
        raise UsageError(
            "Falta el token de la API de CKAN: defínelo en la variable CKAN_API_TOKEN o pásalo en un "
            "archivo con --api-token-file (--dry-run no lo necesita: planea con lecturas anónimas).",
            "The CKAN API token is missing: set it in the CKAN_API_TOKEN variable or pass it in a file "
            "with --api-token-file (--dry-run does not need one: it plans with anonymous reads).",
        )


def publish_ckan(
    packages: list[DatasetPackage],
    *,
    url: str,
    org: str,
    token: Secret | str | None,
    datasets: list[str] | None = None,
    prefix: str = "",
    dry_run: bool = False,
    prune: bool = False,
    timeout: float = 60.0,
    retries: int = 4,
    backoff: float = 1.0,
    progress: Progress | None = None,
    client: CkanClient | None = None,
) -> PublishResult:
    """Plan (and unless ``dry_run``, apply and verify) the publication of ``packages`` to CKAN.

    A dry run needs no token: without one it plans with anonymous reads, and the result's
    ``unchecked`` names what only a token could check.

    Returns the :class:`PublishResult`. Raises :class:`PublishFailed` (exit code 3), carrying the
    partial result, when the portal fails or refuses something; running again resumes from what the
    portal holds.
    """
    secret = token if isinstance(token, Secret) else Secret(token or "")
    check_credentials(secret, dry_run)
    anonymous = not secret
    chosen = _select(packages, datasets)
    names = {p.slug: ckan_name(p.slug, prefix) for p in chosen}
    client = client or CkanClient(url, secret, timeout=timeout, retries=retries, backoff=backoff)
    result = PublishResult(client.url, org, dry_run, prune, anonymous=anonymous)
    if anonymous:
        result.unchecked = list(UNCHECKED)
    publisher = _Publisher(client, org, prune, retries, progress)

    def fail(cause: ToolkitError) -> PublishFailed:
        result.error = cause
        for d in result.datasets:
            for r in d.resources:
                if r.status == "planned":
                    r.status = "pending"
            if d.status == "planned":
                d.status = "pending"
        result.requests = _counts(client)
        return PublishFailed(result, cause)

    try:
        status = client.check_portal()
        result.ckan_version = str(status.get("ckan_version"))
        org_id = publisher.organization_id(anonymous)
        wanted = [desired_dataset(p, names[p.slug], org_id) for p in chosen]
        result.datasets = [publisher.plan(d, anonymous) for d in wanted]
    except PortalError as ex:
        raise fail(ex) from None
    if dry_run:
        result.requests = _counts(client)
        return result

    for i, plan in enumerate(list(result.datasets)):
        attempts: list[DatasetPlan] = []
        current = plan
        while True:
            try:
                publisher.apply(current)
                publisher.verify(current)
                break
            except PortalUnavailable as ex:
                attempts.append(current)
                cause: PortalError = ex
                if len(attempts) <= retries:
                    time.sleep(backoff * 2 ** (len(attempts) - 1))
                    try:  # the portal's state now, not our log, says what is left to do
                        current = publisher.plan(current.desired)  # type: ignore[arg-type]
                        continue
                    except PortalError as again:
                        cause = again
                if isinstance(cause, PortalUnavailable):
                    n = len(attempts)
                    cause = PortalUnavailable(
                        f"{cause.message_es} Se intentó {n} {'vez' if n == 1 else 'veces'}, releyendo el "
                        "portal antes de cada intento.",
                        f"{cause.message_en} Tried {n} time{'' if n == 1 else 's'}, reading the portal again "
                        "before each try.",
                        cause.status,
                    )
                current.error = cause
                _merge_done(current, attempts[:-1])
                result.datasets[i] = current
                raise fail(cause) from None
            except PortalError as ex:
                current.error = ex
                _merge_done(current, attempts)
                result.datasets[i] = current
                raise fail(ex) from None
        _merge_done(current, attempts)
        for r in current.resources:
            if r.status == "planned":
                r.status = "done"
        result.datasets[i] = current
    result.requests = _counts(client)
    return result


def _counts(client: CkanClient) -> dict[str, int]:
    c = client.counter
    return {"reads": c.reads, "writes": c.writes, "downloads": c.downloads}
