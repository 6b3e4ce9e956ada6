"""The CKAN publisher's pure parts: mapping, planning, the secret, URLs and error messages.

The same code runs against a real CKAN in tests/ckan/test_publish_ckan.py; these tests pin the
decisions that do not need a server (what counts as a change, what is deleted, what is never shown).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import ToolkitError, UsageError
from toolkit.packaging.packages import PackageResult, package
from toolkit.publish import Secret, check_credentials, read_token, redacted
from toolkit.publish.ckan import ckan_name, plan_dataset
from toolkit.publish.client import CkanClient, normalize_url
from toolkit.publish.mapping import desired_dataset, landing_page

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> PackageResult:
    return package(ROOT / "datasets", tmp_path_factory.mktemp("pub") / "out")


def as_portal(desired: Any) -> dict[str, Any]:
    """What package_show would return after a faithful publish of ``desired``."""
    resources = []
    for i, r in enumerate(desired.resources):
        fields = dict(r.fields)
        if "schema" in fields:
            fields["schema"] = json.dumps(fields["schema"])
        resources.append({"id": f"r{i}", "name": r.name, "url_type": "upload", "state": "active", **fields})
    return {"id": "p1", "name": desired.name, "state": "active", **desired.fields, "resources": resources}


def test_mapping_of_a_dataset(shipped: PackageResult) -> None:
    pkg = shipped.datasets[0]
    want = desired_dataset(pkg, "pre-" + pkg.slug, "org-id")
    assert want.fields["license_id"] == "cc-by"
    assert want.fields["owner_org"] == "org-id"
    assert want.fields["url"] == landing_page(pkg.descriptor) and want.fields["url"].endswith(f"/{pkg.slug}/")
    assert pkg.descriptor["description"] in want.fields["notes"]
    assert pkg.descriptor["description_en"] in want.fields["notes"]
    extras = {e["key"]: e["value"] for e in want.fields["extras"]}
    assert extras["frequency"] == pkg.descriptor["update_frequency"]
    assert json.loads(extras["sources"]) == pkg.descriptor["sources"]
    assert [r.name for r in want.resources] == [
        "agreements.csv",
        "funding.csv",
        "partners.csv",
        "datapackage.json",
        f"{pkg.slug}.zip",
    ]
    csv = want.resources[0]
    assert csv.fields["format"] == "CSV" and csv.fields["hash"] == csv.file.sha256
    assert csv.fields["schema"] == pkg.descriptor["resources"][0]["schema"]


def test_plan_create_then_unchanged_then_changes(shipped: PackageResult) -> None:
    pkg = shipped.datasets[0]
    want = desired_dataset(pkg, pkg.slug, "org-id")
    assert plan_dataset(want, None, prune=False).action == "create"

    portal = as_portal(want)
    same = plan_dataset(want, portal, prune=False)
    assert same.action == "unchanged" and {r.action for r in same.resources} == {"unchanged"}
    assert same.writes == 0

    portal["version"] = "0.9.0"
    portal["tags"] = [{"name": "otra"}]
    portal["resources"][1]["hash"] = "0" * 64  # the portal holds an older funding.csv
    portal["resources"][2]["description"] = "vieja"
    portal["resources"].append({"id": "x", "name": "viejo.csv", "state": "active", "hash": "ab"})
    portal["resources"].append(dict(portal["resources"][0], id="dup"))
    plan = plan_dataset(want, portal, prune=False)
    assert plan.action == "update" and plan.changes == ["version", "tags"]
    actions = [(r.name, r.action, r.reason) for r in plan.resources]
    assert ("agreements.csv", "unchanged", None) in actions
    assert ("agreements.csv", "delete", "duplicate") in actions  # duplicates go even without --prune
    assert ("funding.csv", "upload", None) in actions
    assert ("partners.csv", "update", None) in actions
    assert ("viejo.csv", "keep", "not-in-package") in actions
    funding = next(r for r in plan.resources if r.name == "funding.csv")
    assert funding.portal_sha256 == "0" * 64 and funding.file is not None
    pruned = plan_dataset(want, portal, prune=True)
    assert ("viejo.csv", "delete", "not-in-package") in [
        (r.name, r.action, r.reason) for r in pruned.resources
    ]


def test_a_deleted_dataset_is_restored_not_recreated(shipped: PackageResult) -> None:
    want = desired_dataset(shipped.datasets[0], "x", "org-id")
    portal = as_portal(want) | {"state": "deleted"}
    plan = plan_dataset(want, portal, prune=False)
    assert plan.action == "update" and plan.changes == ["state"]


def test_linked_resource_is_replaced_by_an_upload(shipped: PackageResult) -> None:
    want = desired_dataset(shipped.datasets[0], "x", "org-id")
    portal = as_portal(want)
    portal["resources"][0]["url_type"] = ""
    assert plan_dataset(want, portal, prune=False).resources[0].action == "upload"


def test_ckan_names() -> None:
    assert ckan_name("bogota", "cam-") == "cam-bogota"
    with pytest.raises(UsageError, match="lowercase"):
        ckan_name("bogota", "Mi ")


def test_secret_never_shows() -> None:
    secret = Secret("s3cr3t-token-value")
    assert "s3cr3t" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    assert secret.scrub("Authorization: s3cr3t-token-value") == "Authorization: ***"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(ValueError) as info, redacted(secret):
        try:
            raise KeyError("inner s3cr3t-token-value")
        except KeyError as inner:
            raise ValueError("outer s3cr3t-token-value") from inner
    assert "s3cr3t" not in str(info.value) + str(info.value.__cause__)


def test_read_token(tmp_path: Path) -> None:
    token_file = tmp_path / "t"
    token_file.write_text("  abc \n")
    assert read_token(token_file, {"CKAN_API_TOKEN": "env"}).reveal() == "abc"  # the flag wins
    assert read_token(None, {"CKAN_API_TOKEN": "env"}).reveal() == "env"
    assert not read_token(None, {})
    with pytest.raises(UsageError, match="is empty"):
        token_file.write_text("\n")
        read_token(token_file, {})
    with pytest.raises(UsageError, match="Could not read"):
        read_token(tmp_path / "none", {})


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://datos.cdmx.gob.mx/", "https://datos.cdmx.gob.mx"),
        ("https://datos.gob.mx/api/3/action", "https://datos.gob.mx"),
        ("http://127.0.0.1:5000/api/3", "http://127.0.0.1:5000"),
    ],
)
def test_normalize_url(given: str, base: str) -> None:
    assert normalize_url(given) == base


def test_normalize_url_refuses_other_schemes() -> None:
    with pytest.raises(ToolkitError, match="is not the http"):
        normalize_url("ftp://datos.example.org")


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


EXAMPLE = " (e.g. https://datos.cdmx.gob.mx)"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("datos.example.org", "the scheme is missing: write https:// in front" + EXAMPLE),
        ("localhost:5000", "the scheme is missing: write https:// in front" + EXAMPLE),
        ("ftp://datos.example.org", "the scheme is 'ftp', not http or https"),
        ("https://", "it names no host" + EXAMPLE),
        ("http://127.0.0.1:99999", "the port is not a number from 1 to 65535"),
        ("https://datos.example.org/?q=1", "a portal's base address has no ? or #" + EXAMPLE),
        ("https://datos example.org", "it has spaces or control characters"),
    ],
)
def test_a_malformed_url_is_a_usage_error(url: str, problem: str, tmp_path: Path) -> None:
    """Exit 2 before anything is packaged or sent (it was 3, the code of a failing portal)."""
    argv = ["publish", "ckan", "--packages", str(tmp_path / "none"), "--url", url, "--org", "x"]
    result = CliRunner().invoke(cli, [*argv, "--dry-run", "--lang", "en"], env={"CKAN_API_TOKEN": ""})
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == f"Error: '{url}' is not the http(s) address of a CKAN portal (--url): {problem}.\n"
    )


def test_scrub_replaces_only_the_whole_token() -> None:
    """Masking once hid letters inside unrelated words ("port***l" for the token "a")."""
    secret = Secret("abc-123")
    text = "x abc-123. abc-1234 zabc-123 'abc-123' Authorization: abc-123\n"
    assert secret.scrub(text) == "x ***. abc-1234 zabc-123 '***' Authorization: ***\n"
    assert Secret("a").scrub("a portal, after a while") == "*** portal, after *** while"


JWT_LIKE = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLW9mLTQzLWNoYXJhY3RlcnMtaGVyZQ"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("a", "The API token has 1 characters and cannot be a CKAN token"),
        ("changeme", "The API token has 8 characters and cannot be a CKAN token"),
        ("Bearer " + JWT_LIKE, "The API token has spaces or line breaks inside"),
    ],
)
def test_a_token_that_cannot_be_one_is_a_usage_error(token: str, message: str, tmp_path: Path) -> None:
    argv = ["publish", "ckan", "--packages", str(tmp_path / "none"), "--url", "http://127.0.0.1:9"]
    result = CliRunner().invoke(cli, [*argv, "--org", "x", "--lang", "en"], env={"CKAN_API_TOKEN": token})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.count("\n") == 1
    es = CliRunner().invoke(cli, [*argv, "--org", "x", "--lang", "es"], env={"CKAN_API_TOKEN": token})
    assert es.exit_code == 2 and es.stderr.startswith("Error: El token de la API tiene")


def test_real_token_shapes_are_accepted() -> None:
    check_credentials(Secret(JWT_LIKE), dry_run=False)  # a CKAN 2.9+ API token (a JWT)
    check_credentials(Secret("0c4b5a3e-2f1d-4e6a-9b8c-7d6e5f4a3b2c"), dry_run=False)  # a legacy key
    check_credentials(Secret(""), dry_run=True)  # a dry run without a token: anonymous reads
    with pytest.raises(UsageError, match="--dry-run does not need one"):
        check_credentials(Secret(""), dry_run=False)


def test_first_contact_refused_fails_at_once_in_words() -> None:
    """No retries against a portal that never answered, and no urllib3 text in the message."""
    client = CkanClient(f"http://127.0.0.1:{closed_port()}", Secret(""), retries=4, backoff=5.0)
    started = time.monotonic()
    with pytest.raises(ToolkitError) as info:
        client.check_portal()
    assert time.monotonic() - started < 2, "retried: the backoff alone is 5 + 10 + 20 + 40 s"
    assert client.counter.reads == 1
    message = info.value.message("en")
    assert message == (
        f"Could not connect to the portal {client.url} after 1 attempt (connection refused: nothing "
        "listens at that address and port): check the address, your connection and that the portal is up."
    )
    assert info.value.exit_code == 3


def test_first_contact_never_accepted_fails_after_one_connect_timeout() -> None:
    """A portal that never accepts the connection (a full listen queue: its SYNs are dropped, as a
    firewall would) is not retried either, and the message says how long it waited."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        queued = [socket.socket() for _ in range(3)]
        for sock in queued:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        try:
            client = CkanClient(f"http://127.0.0.1:{port}", Secret(""), timeout=1.5, retries=4, backoff=5.0)
            with pytest.raises(ToolkitError) as info:
                client.check_portal()
        finally:
            for sock in queued:
                sock.close()
    assert client.counter.reads == 1
    assert "after 1 attempt (it did not accept a connection within 1.5 s)" in info.value.message("en")
    assert "tras 1 intento (no aceptó la conexión en 1.5 s)" in info.value.message("es")


def _tree(root: Path) -> dict[str, str]:
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file()
    }


def test_dry_run_writes_nothing_and_stops_at_once_on_an_unreachable_portal(tmp_path: Path) -> None:
    """The old dry run rebuilt build/packages, then retried for 1 + 2 + 4 + 8 s and printed urllib3."""
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    scratch.mkdir()
    shutil.copytree(ROOT / "datasets", work / "datasets")
    shutil.copytree(ROOT / "schemas", work / "schemas")
    before = _tree(tmp_path)
    url = f"http://127.0.0.1:{closed_port()}"
    env = {k: v for k, v in os.environ.items() if k != "CKAN_API_TOKEN"}
    env |= {"PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), "CI": "true"}
    argv = [sys.executable, "-m", "toolkit", "publish", "ckan", "datasets", "--url", url, "--org", "x"]
    started = time.monotonic()
    proc = subprocess.run(
        [*argv, "--dry-run", "--lang", "en"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == (
        f"Error: Could not connect to the portal {url} after 1 attempt (connection refused: nothing "
        "listens at that address and port): check the address, your connection and that the portal is up.\n"
    )
    assert elapsed < 15, f"{elapsed:.1f} s: the portal was retried"
    assert _tree(tmp_path) == before, "a dry run wrote files (build/packages or a leftover temporary folder)"


class _Answer(requests.Response):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__()
        self.status_code = status
        self._content = json.dumps(body).encode() if body is not None else b"<html>no</html>"


class _Session(requests.Session):
    """Answers from a list, recording what was asked: the client's transport without a network."""

    def __init__(self, answers: list[_Answer | Exception]) -> None:
        super().__init__()
        self.answers = answers
        self.asked: list[tuple[str, dict[str, str]]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:  # type: ignore[override]
        self.asked.append((method, dict(kwargs.get("headers") or {})))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_reads_retry_writes_do_not() -> None:
    session = _Session(
        [_Answer(503, None), requests.ConnectionError("reset"), _Answer(200, {"success": True, "result": 1})]
    )
    client = CkanClient(
        "http://portal.test", Secret("tok"), retries=2, session=session, sleep=lambda _s: None
    )
    assert client.action("package_show", {"id": "x"}) == 1
    assert [m for m, _h in session.asked] == ["GET"] * 3

    session = _Session([_Answer(500, None)])
    client = CkanClient(
        "http://portal.test", Secret("tok"), retries=5, session=session, sleep=lambda _s: None
    )
    with pytest.raises(ToolkitError, match="after 1 attempt") as info:
        client.action("package_create", data={"name": "x"})
    assert len(session.asked) == 1, "a write whose answer was lost must not be sent again blindly"
    assert getattr(info.value, "transient", False)


def test_token_goes_only_to_the_portal() -> None:
    session = _Session([_Answer(200, {"success": True, "result": 1}), requests.ConnectionError("x")])
    client = CkanClient(
        "http://portal.test", Secret("tok"), retries=0, session=session, sleep=lambda _s: None
    )
    client.action("status_show")
    with pytest.raises(ToolkitError):
        client.download_sha256("http://elsewhere.test/file.csv")
    assert session.asked[0][1] == {"Authorization": "tok"}
    assert session.asked[1][1] == {}


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            409,
            {
                "success": False,
                "error": {"__type": "Validation Error", "name": ["That URL is already in use."]},
            },
            "conflicto (409): name: That URL is already in use.",
        ),
        (413, None, "por tamaño (413 en resource_create)"),
        (
            403,
            {
                "success": False,
                "error": {"__type": "Authorization Error", "message": "User x not authorized"},
            },
            "no autorizó resource_create (403: User x not authorized)",
        ),
        (404, None, "no parece un portal CKAN (404 en resource_create)"),
        (200, None, "no parece un portal CKAN (la respuesta no es JSON)"),
    ],
)
def test_error_messages(status: int, body: Any, message: str) -> None:
    client = CkanClient("http://portal.test", Secret("tok"), session=_Session([_Answer(status, body)]))
    with pytest.raises(ToolkitError) as info:
        client.action("resource_create", data={"name": "x"})
    assert message in info.value.message("es")
    assert info.value.exit_code == 3


def test_an_anonymous_plan_says_what_it_could_not_check() -> None:
    from toolkit.publish import PublishResult, render_text
    from toolkit.publish.ckan import UNCHECKED

    result = PublishResult("http://portal.test", "mi-ciudad", dry_run=True, prune=False, anonymous=True)
    result.unchecked = list(UNCHECKED)
    assert (
        "Sin token: el plan se hizo con lecturas anónimas. Quedó sin comprobar, porque necesita un token: "
        "que el token sea válido, el permiso para publicar en «mi-ciudad» y los conjuntos privados o "
        "borrados con estos nombres (sin token no se ven: uno así figura «por crear»)."
    ) in render_text(result, "es")
    assert "No token: planned with anonymous reads." in render_text(result, "en")
    assert "token" not in render_text(PublishResult("http://portal.test", "x", True, False), "es")


def test_the_notes_carry_the_latest_changelog_entries(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    entries = "".join(
        f"## 1.{n}.0 (2027-01-{n + 10})\n\n**es**: versión menor {n}.\n\n**en**: minor version {n}.\n\n"
        for n in (4, 3, 2, 1)
    )
    (tmp_path / "datasets" / "quito" / "CHANGELOG.md").write_text(
        f"# Changelog\n\n{entries}", encoding="utf-8"
    )
    (tmp_path / "datasets" / "bogota" / "CHANGELOG.md").unlink(missing_ok=True)  # a dataset without one
    result = package(tmp_path / "datasets", tmp_path / "out")
    quito = next(p for p in result.datasets if p.slug == "quito")
    notes = desired_dataset(quito, "quito", "org-id").fields["notes"]
    assert notes.startswith(quito.descriptor["description"])
    assert (
        "**Cambios recientes / Recent changes**\n\n*1.4.0 (2027-01-14)*\n\n**es**: versión menor 4." in notes
    )
    assert "minor version 2." in notes and "1.1.0" not in notes  # the latest three entries
    bogota = next(p for p in result.datasets if p.slug == "bogota")
    assert "Recent changes" not in desired_dataset(bogota, "bogota", "org-id").fields["notes"]
