"""The sample app against a real PostgreSQL, through FastAPI's TestClient."""

from __future__ import annotations

import platform
import re
from collections.abc import Iterator
from datetime import datetime

import psycopg2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from pgserver import PostgresServer, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(sample_app_modules, migrated_database_url, monkeypatch) -> Iterator[TestClient]:
    """A client on an empty, migrated notes table."""
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    with sample_app_modules["db"].get_engine().begin() as connection:
        connection.execute(text("TRUNCATE notes RESTART IDENTITY"))
    with TestClient(sample_app_modules["main"].app) as test_client:
        yield test_client


def create(client: TestClient, title: str = "groceries", body: str = "milk, eggs") -> dict:
    response = client.post("/notes", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return response.json()


def detail_text(response) -> str:
    """All validation messages of a 422 (or the plain detail of another error) as one string."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return " | ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in detail)


# --- health ---------------------------------------------------------------------------------


def test_health_reports_python_and_the_libpq_psycopg2_was_built_against(client):
    response = client.get("/health")

    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "ok"
    assert payload["python"] == platform.python_version()
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", payload["libpq"])
    assert payload["libpq"].split(".")[0] == str(psycopg2.__libpq_version__ // 10000)


def test_health_answers_200_even_without_a_database(sample_app_modules, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with TestClient(sample_app_modules["main"].app) as test_client:
        assert test_client.get("/health").status_code == 200


def test_libpq_version_renders_both_numbering_schemes(sample_app_modules):
    libpq_version = sample_app_modules["health"].libpq_version
    assert libpq_version(150010) == "15.10"
    assert libpq_version(170002) == "17.2"
    assert libpq_version(90624) == "9.6.24"


def test_health_db_is_200_when_select_1_works(client):
    response = client.get("/health/db")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_health_db_is_503_when_the_database_is_down(sample_app_modules, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    with TestClient(sample_app_modules["main"].app) as test_client:
        response = test_client.get("/health/db")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["detail"].startswith("database unreachable: ")
    assert "Connection refused" in response.json()["detail"]


def test_health_db_is_503_when_database_url_is_unset(sample_app_modules, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with TestClient(sample_app_modules["main"].app) as test_client:
        response = test_client.get("/health/db")

    assert response.status_code == 503
    assert "DATABASE_URL is not set" in response.json()["detail"]


def test_notes_are_503_with_the_reason_when_the_database_is_down(sample_app_modules, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    with TestClient(sample_app_modules["main"].app) as test_client:
        response = test_client.get("/notes")

    assert response.status_code == 503
    assert "database unreachable" in response.json()["detail"]


def test_notes_on_an_unmigrated_database_say_to_run_alembic(
    sample_app_modules, postgres_server: PostgresServer, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", postgres_server.create_database("never_migrated"))
    try:
        with TestClient(sample_app_modules["main"].app) as test_client:
            response = test_client.get("/notes")
    finally:
        postgres_server.drop_database("never_migrated")

    assert response.status_code == 503
    assert "alembic upgrade head" in response.json()["detail"]


# --- CRUD -----------------------------------------------------------------------------------


def test_created_note_has_an_id_and_a_server_timestamp(client):
    note = create(client, "groceries", "milk, eggs")

    assert note["id"] == 1
    assert (note["title"], note["body"]) == ("groceries", "milk, eggs")
    assert datetime.fromisoformat(note["created_at"]).tzinfo is not None


def test_created_note_is_read_back_from_the_database(client):
    note = create(client)

    response = client.get(f"/notes/{note['id']}")

    assert response.status_code == 200
    assert response.json() == note


def test_body_defaults_to_empty_and_title_is_stripped(client):
    response = client.post("/notes", json={"title": "  todo  "})

    assert response.status_code == 201
    assert (response.json()["title"], response.json()["body"]) == ("todo", "")


def test_list_is_ordered_by_id_and_paged_by_limit_and_offset(client):
    for number in range(5):
        create(client, f"note {number}")

    everything = client.get("/notes").json()
    page = client.get("/notes", params={"limit": 2, "offset": 1}).json()

    assert [note["title"] for note in everything] == [f"note {n}" for n in range(5)]
    assert [note["title"] for note in page] == ["note 1", "note 2"]
    assert client.get("/notes", params={"offset": 5}).json() == []


def test_patch_changes_only_the_fields_sent(client):
    note = create(client, "draft", "first body")

    response = client.patch(f"/notes/{note['id']}", json={"title": "final"})

    assert response.status_code == 200
    assert response.json() == {**note, "title": "final"}
    assert client.get(f"/notes/{note['id']}").json()["title"] == "final"


def test_delete_removes_the_note(client):
    note = create(client)

    response = client.delete(f"/notes/{note['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/notes/{note['id']}").status_code == 404
    assert client.get("/notes").json() == []


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_id_is_404_naming_the_note(client, method):
    kwargs = {"json": {"title": "x"}} if method == "patch" else {}

    response = getattr(client, method)("/notes/123", **kwargs)

    assert response.status_code == 404
    assert response.json() == {"detail": "note 123 not found"}


def test_non_integer_id_is_422(client):
    response = client.get("/notes/abc")

    assert response.status_code == 422
    assert "note_id" in detail_text(response)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, "body.title: Field required"),
        ({"title": ""}, "body.title: String should have at least 1 character"),
        ({"title": "   "}, "body.title: String should have at least 1 character"),
        ({"title": "x" * 201}, "body.title: String should have at most 200 characters"),
        ({"title": 42}, "body.title: Input should be a valid string"),
        ({"title": "ok", "body": ["not", "text"]}, "body.body: Input should be a valid string"),
        ({"title": "ok", "colour": "red"}, "body.colour: Extra inputs are not permitted"),
    ],
    ids=["missing-title", "empty-title", "blank-title", "long-title", "int-title", "list-body",
         "unknown-field"],
)
def test_invalid_note_is_422_with_a_message_naming_the_field(client, payload, expected):
    response = client.post("/notes", json=payload)

    assert response.status_code == 422
    assert expected in detail_text(response)
    assert client.get("/notes").json() == []


def test_title_of_exactly_200_characters_is_accepted(client):
    assert create(client, "x" * 200)["title"] == "x" * 200


def test_malformed_json_is_422_saying_so(client):
    response = client.post(
        "/notes", content=b'{"title": "unterminated', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert "JSON decode error" in detail_text(response)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, "send at least one of: title, body"),
        ({"title": None}, "title cannot be null"),
        ({"body": None}, "body cannot be null"),
        ({"title": ""}, "String should have at least 1 character"),
    ],
    ids=["empty", "null-title", "null-body", "empty-title"],
)
def test_invalid_patch_is_422_and_changes_nothing(client, payload, expected):
    note = create(client)

    response = client.patch(f"/notes/{note['id']}", json=payload)

    assert response.status_code == 422
    assert expected in detail_text(response)
    assert client.get(f"/notes/{note['id']}").json() == note


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}])
def test_out_of_range_paging_is_422(client, params):
    response = client.get("/notes", params=params)

    assert response.status_code == 422
    assert next(iter(params)) in detail_text(response)
