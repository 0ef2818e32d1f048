"""Image references split into registry, repository, tag and digest."""

from __future__ import annotations

from checker.dockerfile.refs import parse_image_ref


def test_when_image_references_are_split_then_registry_tag_and_digest_are_found():
    ref = parse_image_ref("localhost:5000/team/python:3.13-slim@sha256:abc")
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.name) == ("localhost:5000", "team/python", "3.13-slim", "sha256:abc", "python")
    assert parse_image_ref("python").tag is None
    assert parse_image_ref("docker.io/library/python:3.13").name == "python"
