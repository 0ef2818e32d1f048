"""The pure parts of checker.lesson.pypi: project names out of requirement specifiers."""

from __future__ import annotations

import pytest

from checker.lesson.pypi import WheelCheck, project_name


@pytest.mark.parametrize(("requirement", "name"), [
    ("psycopg2-binary==2.9.9", "psycopg2-binary"),
    ("SQLAlchemy>=2,<3", "sqlalchemy"),
    ("uvicorn[standard]~=0.29", "uvicorn"),
    ("typing_extensions; python_version < '3.12'", "typing-extensions"),
    ("Foo.Bar!=1", "foo-bar"),
    ("alembic", "alembic"),
])
def test_when_a_requirement_has_a_version_extras_or_marker_then_only_the_canonical_project_name_is_kept(
        requirement, name):
    assert project_name(requirement) == name


def test_a_wheel_check_is_named_by_its_requirements_project():
    assert WheelCheck("Psycopg2==2.9.9", "musl 1.2 (Alpine)", None).name == "psycopg2"
