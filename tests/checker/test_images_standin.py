"""The Debian stand-in trusts the host's extra CA certificates like the Python stand-ins (issue 16, kind 9).

Pure: a root filesystem in a temporary folder, the host's CA folder pointed at a fake one.
"""

from __future__ import annotations

from checker import images, settings as course_settings

CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def test_the_debian_root_filesystem_trusts_the_hosts_extra_cas_for_ca_certificates_and_pip(tmp_path, monkeypatch):
    host = tmp_path / "host-cas"
    host.mkdir()
    (host / "egress-proxy.crt").write_text(CERT)
    monkeypatch.setattr(images, "HOST_CA_DIR", host)
    rootfs = tmp_path / "rootfs"
    for folder in ("etc/apt/apt.conf.d", "etc/apt/sources.list.d", "etc/dpkg/dpkg.cfg.d", "usr/share/doc"):
        (rootfs / folder).mkdir(parents=True)
    images._configure_rootfs(rootfs, course_settings.load())
    # update-ca-certificates (run when a learner installs ca-certificates) adds what is here
    assert (rootfs / "usr/local/share/ca-certificates/egress-proxy.crt").read_text() == CERT
    # a pip with its own bundle (a venv's) is pointed at one that holds the host's trust store
    assert (rootfs / "etc/pip.conf").read_text() == "[global]\ncert = /etc/ssl/lpi-ca-bundle.pem\n"
    assert (rootfs / "etc/ssl/lpi-ca-bundle.pem").read_text().strip()


def test_a_new_host_ca_changes_the_debian_recipe_so_the_stand_ins_are_rebuilt(tmp_path, monkeypatch):
    settings = course_settings.load()
    host = tmp_path / "host-cas"
    host.mkdir()
    monkeypatch.setattr(images, "HOST_CA_DIR", host)
    before = images.debian_recipe_digest(settings), images.recipe_digest(settings)
    (host / "egress-proxy.crt").write_text(CERT)
    after = images.debian_recipe_digest(settings), images.recipe_digest(settings)
    assert before[0] != after[0] and before[1] != after[1]


def test_without_extra_host_cas_the_root_filesystem_stays_the_plain_debootstrap(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "HOST_CA_DIR", tmp_path / "none")
    rootfs = tmp_path / "rootfs"
    for folder in ("etc/apt/apt.conf.d", "etc/apt/sources.list.d", "etc/dpkg/dpkg.cfg.d", "usr/share/doc"):
        (rootfs / folder).mkdir(parents=True)
    images._configure_rootfs(rootfs, course_settings.load())
    assert not (rootfs / "etc/pip.conf").exists() and not (rootfs / "usr/local/share/ca-certificates").exists()
