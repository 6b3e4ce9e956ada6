"""``ciudades publish ckan`` against a real CKAN 2.10.11 started on 127.0.0.1 for the session.

The server (see ``ckan_server.py``) runs with real PostgreSQL and Redis, ckanext-validation 2.2.0
validating every uploaded CSV against the schema we send, and a fault-injecting proxy in front of it
for the failure tests.

Out of reach here, said plainly: there is no Apache Solr on this machine, so CKAN runs with a no-op
search index (the test-only ``ckanext-nosolr`` plugin). ``package_search``, ``organization_show``
and every web page of CKAN answer 500, and ``organization_create`` answers 500 although it stores
the organisation. The publisher uses none of them (it reads datasets with ``package_show`` by
name), so nothing here tests search, the organisation page or the portal's HTML.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ckan_server import CkanServer, free_port
from click.testing import CliRunner, Result
from fault_proxy import FaultProxy

from toolkit.cli import cli
from toolkit.packaging.packages import DatasetPackage, PackageResult, read_packages
from toolkit.publish import PublishFailed, publish_ckan

ROOT = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.no-es-un-token-valido.firma-falsa-0123456789"


def run(
    server: CkanServer,
    source: Path,
    *args: str,
    out: Path | None = None,
    url: str | None = None,
    token: str | None = None,
    org: str | None = None,
) -> Result:
    """Run the command on a catalog folder (packaged into ``out``) or, without ``out``, on packages."""
    env = {"CKAN_API_TOKEN": token if token is not None else server.token, "CI": "true"}
    where = [str(source), "--out", str(out)] if out else ["--packages", str(source)]
    argv = ["publish", "ckan", *where, "--url", url or server.url, "--org", org or server.org, *args]
    result = CliRunner().invoke(cli, argv, env=env)
    for secret in (server.token, FAKE_TOKEN):
        assert secret not in result.output, "the API token leaked into the output"
    return result


def show(server: CkanServer, name: str) -> dict[str, Any] | None:
    try:
        return server.api("package_show", id=name)  # type: ignore[no-any-return]
    except urllib.error.HTTPError as ex:
        assert ex.code == 404
        return None


def download_sha256(server: CkanServer, url: str) -> str:
    req = urllib.request.Request(url, headers={"Authorization": server.token})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return hashlib.sha256(resp.read()).hexdigest()


def expected_files(pkg: DatasetPackage) -> dict[str, str]:
    """Resource name → sha256 of the file it must serve."""
    files = {f.name: f.sha256 for f in pkg.files if f.kind in ("csv", "datapackage")}
    files[f"{pkg.slug}.zip"] = pkg.zip.sha256
    return files


def by_slug(result: PackageResult, slug: str) -> DatasetPackage:
    return next(d for d in result.datasets if d.slug == slug)


# ── the whole catalog: plan, apply, verify, then nothing to do ─────────────────────────────────


def test_publish_plan_apply_verify_and_nothing_left(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult, tmp_path: Path
) -> None:
    catalog, out = ROOT / "datasets", tmp_path / "packages"
    slugs = [d.slug for d in shipped.datasets]

    plan = run(ckan_server, catalog, "--prefix", "t-", "--dry-run", "--lang", "es", out=out)
    assert plan.exit_code == 0, plan.output
    assert "Simulación (--dry-run): no se escribió nada en el portal." in plan.output
    assert f"conjuntos de datos: {len(slugs)} por crear; recursos: {5 * len(slugs)} por crear." in plan.output
    assert all(show(ckan_server, f"t-{s}") is None for s in slugs), "a dry run must not write"
    assert not out.exists(), "a dry run packages into a temporary folder, never into --out"

    applied = run(ckan_server, catalog, "--prefix", "t-", "--lang", "es", out=out)
    assert applied.exit_code == 0, applied.output
    assert (
        f"✓ Publicado y verificado; {5 * len(slugs)} archivos descargados del portal coinciden"
        in applied.output
    )

    for pkg in shipped.datasets:
        portal = show(ckan_server, f"t-{pkg.slug}")
        assert portal is not None
        assert portal["title"] == pkg.descriptor["title"]
        assert portal["version"] == pkg.version
        assert portal["license_id"] == "cc-by"
        assert {t["name"] for t in portal["tags"]} >= set(pkg.descriptor["keywords_en"])
        extras = {e["key"]: e["value"] for e in portal["extras"]}
        assert extras["temporal_start"] == pkg.descriptor["temporal"]["start"]
        assert extras.get("spatial_subdivision") == pkg.descriptor["spatial"].get(
            "subdivision"
        )  # not every dataset is one city
        assert json.loads(extras["sources"]) == pkg.descriptor["sources"]
        assert pkg.descriptor["description_en"] in portal["notes"]
        latest = pkg.descriptor.get("changelog") or []  # the changelog's latest entries, in the notes
        assert ("Cambios recientes / Recent changes" in portal["notes"]) == bool(latest)
        assert all(e["title"] in portal["notes"] for e in latest)
        want = expected_files(pkg)
        resources = {r["name"]: r for r in portal["resources"]}
        assert sorted(resources) == sorted(want) and len(portal["resources"]) == len(want)
        for name, sha in want.items():
            res = resources[name]
            assert res["url_type"] == "upload", "files are uploaded, not linked"
            assert download_sha256(ckan_server, res["url"]) == sha == res["hash"]
        for table in pkg.descriptor["resources"]:
            res = resources[table["path"]]
            assert json.loads(res["schema"]) == table["schema"]
            assert res["validation_status"] == "success"
            report = ckan_server.api("resource_validation_show", resource_id=res["id"])
            stats = json.loads(report["report"])["tasks"][0]["stats"]
            assert stats["fields"] == len(table["schema"]["fields"]) and stats["errors"] == 0

    again = run(ckan_server, out, "--prefix", "t-", "--lang", "en", url=proxy.url)
    assert again.exit_code == 0, again.output
    assert proxy.writes() == [], "a publish with nothing new must not write"
    assert "✓ Nothing to do: the portal already had everything" in again.output
    assert f"datasets: {len(slugs)} unchanged; resources: {5 * len(slugs)} unchanged." in again.output

    as_json = run(ckan_server, out, "--prefix", "t-", "--format", "json", "--dataset", "bogota")
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["status"] == "complete" and doc["requests"]["writes"] == 0
    assert [d["slug"] for d in doc["datasets"]] == ["bogota"]
    assert {r["action"] for r in doc["datasets"][0]["resources"]} == {"unchanged"}
    assert all(v["sha256_ok"] for v in doc["datasets"][0]["verification"])


# ── one changed row uploads one table (and the files that contain it) ──────────────────────────


def test_changed_row_uploads_only_that_file(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult, catalog_copy: Path, tmp_path: Path
) -> None:
    publish_ckan(
        [by_slug(shipped, "bogota")],
        url=ckan_server.url,
        org=ckan_server.org,
        token=ckan_server.token,
        prefix="c-",
    )
    funding = catalog_copy / "bogota" / "funding.csv"
    with funding.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["notes"] = (rows[0]["notes"] + " Revisado.").strip()
    with funding.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    out = tmp_path / "out"
    plan = run(
        ckan_server,
        catalog_copy,
        "--prefix",
        "c-",
        "--dataset",
        "bogota",
        "--dry-run",
        "--format",
        "json",
        out=out,
    )
    assert plan.exit_code == 0, plan.output
    actions = {r["name"]: r["action"] for r in json.loads(plan.stdout)["datasets"][0]["resources"]}
    assert actions == {
        "agreements.csv": "unchanged",
        "funding.csv": "upload",
        "partners.csv": "unchanged",
        "datapackage.json": "upload",  # it records every table's sha256
        "bogota.zip": "upload",  # it holds every file
    }

    applied = run(ckan_server, catalog_copy, "--prefix", "c-", "--dataset", "bogota", out=out, url=proxy.url)
    assert applied.exit_code == 0, applied.output
    written = sorted(s.path.rsplit("/", 1)[-1] for s in proxy.writes())
    assert written == ["resource_update"] * 3
    changed = read_packages(out)
    portal = show(ckan_server, "c-bogota")
    assert portal is not None
    for res in portal["resources"]:
        assert (
            download_sha256(ckan_server, res["url"])
            == expected_files(by_slug(changed, "bogota"))[res["name"]]
        )


# ── resources: duplicates are always removed, others only with --prune ─────────────────────────


def test_prune_removes_stale_resources_and_duplicates_never_stay(
    ckan_server: CkanServer, shipped: PackageResult, tmp_path: Path
) -> None:
    mvd = by_slug(shipped, "montevideo")
    publish_ckan([mvd], url=ckan_server.url, org=ckan_server.org, token=ckan_server.token, prefix="p-")
    portal = show(ckan_server, "p-montevideo")
    assert portal is not None
    for name in ("obsoleto.csv", "funding.csv"):  # a stale resource, and a second funding.csv
        ckan_server.post(
            "resource_create", {"package_id": portal["id"], "name": name, "url": "https://example.org/x"}
        )

    kept = run(
        ckan_server,
        shipped.out,
        "--prefix",
        "p-",
        "--dataset",
        "montevideo",
        "--lang",
        "en",
    )
    assert kept.exit_code == 0, kept.output
    assert "funding.csv       deleted (duplicate of the same name)" in kept.output
    assert "obsoleto.csv      kept (not in the package; --prune deletes it)" in kept.output
    names = sorted(r["name"] for r in show(ckan_server, "p-montevideo")["resources"])  # type: ignore[index]
    assert names == sorted([*expected_files(mvd), "obsoleto.csv"])

    pruned = run(
        ckan_server,
        shipped.out,
        "--prefix",
        "p-",
        "--dataset",
        "montevideo",
        "--prune",
        "--lang",
        "en",
    )
    assert pruned.exit_code == 0, pruned.output
    assert "obsoleto.csv      deleted (not in the package)" in pruned.output
    names = sorted(r["name"] for r in show(ckan_server, "p-montevideo")["resources"])  # type: ignore[index]
    assert names == sorted(expected_files(mvd))

    # A deleted dataset keeps its name in CKAN: publishing again restores it instead of failing.
    ckan_server.post("package_delete", {"id": "p-montevideo"})
    restored = run(ckan_server, shipped.out, "--prefix", "p-", "--dataset", "montevideo", "--lang", "en")
    assert restored.exit_code == 0, restored.output
    assert "montevideo → p-montevideo: updated (state)" in restored.output
    assert show(ckan_server, "p-montevideo")["state"] == "active"  # type: ignore[index]


# ── a dry run without a token: anonymous reads, and it says what they could not check ───────────


def test_dry_run_without_token_plans_with_anonymous_reads(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult
) -> None:
    mvd = by_slug(shipped, "montevideo")
    publish_ckan([mvd], url=ckan_server.url, org=ckan_server.org, token=ckan_server.token, prefix="a-")
    out = shipped.out
    proxy.reset()

    plan = run(ckan_server, out, "--prefix", "a-", "--dry-run", "--lang", "en", token="", url=proxy.url)
    assert plan.exit_code == 0, plan.output
    assert (
        "No token: planned with anonymous reads. Not checked (it needs a token): that a token is valid, "
        f"the permission to publish in '{ckan_server.org}' and private or deleted datasets with these "
        "names (invisible without a token: one shows as 'to create')."
    ) in plan.stdout
    assert "montevideo → a-montevideo: unchanged" in plan.stdout  # read anonymously, and complete
    assert "bogota → a-bogota: create" in plan.stdout
    assert proxy.writes() == []
    asked = [s.path.rsplit("/", 1)[-1].split("?")[0] for s in proxy.seen]
    assert "am_following_group" not in asked and "organization_show" in asked

    as_json = run(
        ckan_server,
        out,
        "--prefix",
        "a-",
        "--dry-run",
        "--format",
        "json",
        "--dataset",
        "montevideo",
        token="",
    )
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["anonymous"] is True and doc["unchecked"] == ["token", "permission", "hidden-datasets"]
    assert doc["status"] == "planned" and doc["requests"]["writes"] == 0
    assert {r["action"] for r in doc["datasets"][0]["resources"]} == {"unchanged"}

    with_token = run(
        ckan_server, out, "--prefix", "a-", "--dry-run", "--format", "json", "--dataset", "montevideo"
    )
    assert json.loads(with_token.stdout)["anonymous"] is False

    # A private dataset with one of our names: invisible anonymously, and the plan says so.
    ckan_server.post("package_create", {"name": "a-bogota", "owner_org": ckan_server.org, "private": True})
    hidden = run(ckan_server, out, "--prefix", "a-", "--dry-run", "--lang", "en", token="")
    assert hidden.exit_code == 3, hidden.output
    assert hidden.stderr.startswith(
        "Error: 'a-bogota' exists on the portal but cannot be seen without a token (it is private or "
        "deleted): to plan with it, give a token in CKAN_API_TOKEN or with --api-token-file."
    )
    seen = run(ckan_server, out, "--prefix", "a-", "--dry-run", "--lang", "en", "--dataset", "bogota")
    assert seen.exit_code == 0 and "bogota → a-bogota: update" in seen.stdout  # with a token, it is seen

    no_org = run(ckan_server, out, "--dry-run", "--lang", "en", token="", org="no-existe")
    assert no_org.exit_code == 3, no_org.output
    assert no_org.stderr.startswith("Error: The organisation 'no-existe' does not exist on")

    no_token = run(ckan_server, out, "--prefix", "a-", "--lang", "en", token="")
    assert no_token.exit_code == 2 and "--dry-run does not need one" in no_token.stderr


# ── failures: clear messages, exit code 3, and the token never shown ────────────────────────────


@pytest.fixture
def not_ckan() -> Iterator[str]:
    """A web server that answers every request with an HTML page."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>Portal</title><p>Hola</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_failures_exit_3_with_a_clear_message(
    ckan_server: CkanServer, not_ckan: str, shipped: PackageResult
) -> None:
    out = shipped.out
    fast = ["--dataset", "bogota", "--retries", "1", "--timeout", "5", "--lang", "es"]

    bad = run(ckan_server, out, *fast, token=FAKE_TOKEN)
    assert bad.exit_code == 3, bad.output
    assert bad.stderr.startswith("Error: El portal rechazó el token de la API")

    org = run(ckan_server, out, *fast, org="no-existe")
    assert org.exit_code == 3, org.output
    assert "Error: La organización «no-existe» no existe en" in org.stderr

    dead = run(ckan_server, out, *fast, url=f"http://127.0.0.1:{free_port()}")
    assert dead.exit_code == 3, dead.output
    assert dead.stderr.startswith("Error: No se pudo conectar con el portal http://127.0.0.1:")
    assert "tras 1 intento (conexión rechazada" in dead.stderr, "a portal that never answered is not retried"
    assert dead.stderr.count("\n") == 1 and "HTTPConnectionPool" not in dead.stderr

    html = run(ckan_server, out, *fast, url=not_ckan)
    assert html.exit_code == 3, html.output
    assert f"Error: {not_ckan} no parece un portal CKAN" in html.stderr

    missing = run(ckan_server, out, *fast, token="")
    assert missing.exit_code == 2
    assert "Error: Falta el token de la API de CKAN" in missing.stderr

    for result in (bad, org, dead, html, missing):
        assert "Traceback" not in result.output


def test_token_stays_hidden_even_with_debug(ckan_server: CkanServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(FAKE_TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if k != "CKAN_API_TOKEN"} | {"CI": "true"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "publish",
            "ckan",
            str(ROOT / "datasets"),
            "--out",
            str(tmp_path / "o"),
            "--url",
            ckan_server.url,
            "--org",
            ckan_server.org,
            "--api-token-file",
            str(token_file),
            "--dataset",
            "bogota",
            "--debug",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr  # what --debug asks for
    assert FAKE_TOKEN not in proc.stdout + proc.stderr


# ── a portal that fails some requests: the run ends complete or resumable, never duplicated ────


def test_faults_end_complete_or_resumable_without_duplicates(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult
) -> None:
    cdmx = by_slug(shipped, "ciudad-de-mexico")
    faults = {0: "500", 3: "500-after", 5: "hang-after", 8: "500-after", 11: "500", 14: "hang-after"}
    proxy.hang = 2.5
    proxy.reset(lambda method, path, i: faults.get(i) if "/api/3/action/" in path else None)
    options: dict[str, Any] = dict(
        url=proxy.url,
        org=ckan_server.org,
        token=ckan_server.token,
        prefix="f-",
        timeout=1.5,
        retries=3,
        backoff=0.05,
    )
    try:
        first = publish_ckan([cdmx], **options)
        assert first.complete
    except PublishFailed as ex:
        assert not ex.result.complete  # resumable: the next run finishes from the portal's state
    assert sum(s.fault is not None for s in proxy.seen) >= 4, "the faults must have been injected"

    proxy.reset()
    second = publish_ckan([cdmx], **options)
    assert second.complete
    portal = show(ckan_server, "f-ciudad-de-mexico")
    assert portal is not None
    names = [r["name"] for r in portal["resources"]]
    assert sorted(names) == sorted(expected_files(cdmx)), f"duplicates or gaps: {names}"
    for res in portal["resources"]:
        assert download_sha256(ckan_server, res["url"]) == expected_files(cdmx)[res["name"]]


def test_too_large_stops_with_a_report_and_the_rerun_completes(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult
) -> None:
    out = shipped.out
    proxy.reset(lambda method, path, i: "413" if path.endswith("/resource_create") else None)
    stopped = run(ckan_server, out, "--prefix", "l-", "--dataset", "bogota", "--lang", "en", url=proxy.url)
    assert stopped.exit_code == 3, stopped.output
    assert "Error: The portal refused the file as too large (413 on resource_create)" in stopped.stderr
    assert "bogota → l-bogota: created" in stopped.stdout
    funding = by_slug(shipped, "bogota").file("csv", "funding")
    assert "agreements.csv    create (" in stopped.stdout and "; failed)" in stopped.stdout
    assert f"funding.csv       create ({funding.bytes:,} B".replace(",", " ") in stopped.stdout
    assert f"sha256 {funding.sha256[:12]}; pending: not done)" in stopped.stdout
    assert "✗ Publishing is incomplete" in stopped.stdout

    proxy.reset()
    resumed = run(ckan_server, out, "--prefix", "l-", "--dataset", "bogota", "--lang", "en", url=proxy.url)
    assert resumed.exit_code == 0, resumed.output
    assert "bogota → l-bogota: unchanged" in resumed.stdout
    assert [s.path.rsplit("/", 1)[-1] for s in proxy.writes()] == ["resource_create"] * 5


# ── personal data: the notice comes before the upload and again after it ───────────────────────


def test_personal_data_notice_before_and_after_a_successful_upload(
    ckan_server: CkanServer, catalog_copy: Path, tmp_path: Path
) -> None:
    agreements = catalog_copy / "bogota" / "agreements.csv"
    with agreements.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["notes"] = "Contacto: ana.lopez@example.com"
    with agreements.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    assert show(ckan_server, "n-bogota") is None

    result = run(
        ckan_server,
        catalog_copy,
        "--prefix",
        "n-",
        "--dataset",
        "bogota",
        "--lang",
        "en",
        out=tmp_path / "out",
    )
    assert result.exit_code == 0, result.output
    notice = "!! WARNING: 1 cell looks like personal data"
    cell = "agreements.csv, line 2, column U ('notes'): an e-mail address: a•••@example.com"
    done = result.output.index("✓ Published and verified")
    assert result.output.count(notice) == 2 and result.stderr.count(cell) == 2, result.output
    assert result.output.index(notice) < done < result.output.rindex(notice)
    assert "ana.lopez@example.com" not in result.output
    portal = show(ckan_server, "n-bogota")
    assert portal is not None and len(portal["resources"]) == 5
