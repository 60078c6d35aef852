"""The local CA (platforms/local/ca.py): made once, kept private, and a leaf that TLS clients accept.

The handshake tests run a real TLS server (Python's ssl, OpenSSL) on 127.0.0.1 in a thread: the chain,
the names and the CA's name constraints are checked by OpenSSL itself, as requests and browsers do.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from humangov_deploy.platforms.local import ca as local_ca
from humangov_deploy.platforms.local.ca import LocalCA, leaf_names

NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


def ca_at(directory: Path, when: datetime = NOW) -> LocalCA:
    return LocalCA(directory, now=lambda: when)


def cert_of(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    first = ca_at(tmp_path / "ca").leaf()
    ca_pem = (tmp_path / "ca" / local_ca.CA_CERT).read_bytes()
    # Another process (a new LocalCA) a day later: the same CA and the same leaf.
    again = ca_at(tmp_path / "ca", NOW + timedelta(days=1)).leaf()
    assert (tmp_path / "ca" / local_ca.CA_CERT).read_bytes() == ca_pem
    assert again.fingerprint == first.fingerprint and again.pem == first.pem
    assert first.ca_bundle == tmp_path / "ca" / local_ca.CA_CERT


def test_private_keys_are_the_users_only(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    directory.mkdir(mode=0o755)  # made by hand, too open: tightened
    ca_at(directory).leaf()
    assert mode(directory) == 0o700
    assert mode(directory / local_ca.CA_KEY) == 0o600
    assert mode(directory / local_ca.LEAF_PEM) == 0o600
    assert mode(directory / local_ca.CA_CERT) == 0o644
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_the_leaf_names_loopback_only_and_chains_to_the_ca(tmp_path: Path) -> None:
    leaf = ca_at(tmp_path).leaf()
    cert, ca = cert_of(leaf.pem), cert_of(leaf.ca_bundle.read_bytes())
    assert leaf_names(cert) == {"localhost", "127.0.0.1", "::1"}
    cert.verify_directly_issued_by(ca)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # The leaf file holds the certificate and its key, which match.
    key = serialization.load_pem_private_key(leaf.pem.encode(), password=None)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)
    assert leaf.fingerprint == cert.fingerprint(hashes.SHA256()).hex()


def test_validity_periods(tmp_path: Path) -> None:
    leaf = ca_at(tmp_path).leaf()
    cert, ca = cert_of(leaf.pem), cert_of(leaf.ca_bundle.read_bytes())
    assert cert.not_valid_before_utc <= NOW - timedelta(minutes=30)  # a clock a little behind accepts it
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=398)  # browsers' limit
    assert cert.not_valid_after_utc > NOW + timedelta(days=300)
    assert ca.not_valid_after_utc > NOW + timedelta(days=3000)
    assert leaf.not_after == cert.not_valid_after_utc


def test_the_ca_is_a_name_constrained_ca(tmp_path: Path) -> None:
    ca = cert_of(ca_at(tmp_path).leaf().ca_bundle.read_bytes())
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert set(constraints.value.permitted_subtrees or []) == {
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    }


def test_a_leaf_close_to_its_end_is_reissued_by_the_same_ca(tmp_path: Path) -> None:
    first = ca_at(tmp_path).leaf()
    late = first.not_after - local_ca.RENEW_BEFORE + timedelta(hours=1)
    renewed = ca_at(tmp_path, late).leaf()
    assert renewed.fingerprint != first.fingerprint
    assert renewed.ca_bundle.read_bytes() == first.ca_bundle.read_bytes()
    assert renewed.not_after > late + timedelta(days=300)


def test_a_new_ca_reissues_the_leaf(tmp_path: Path) -> None:
    first = ca_at(tmp_path).leaf()
    (tmp_path / local_ca.CA_KEY).unlink()  # the CA is lost: a new one is made, the old leaf is no good
    second = ca_at(tmp_path).leaf()
    cert_of(second.pem).verify_directly_issued_by(cert_of(second.ca_bundle.read_bytes()))
    assert second.fingerprint != first.fingerprint


def test_parallel_deploys_make_one_ca(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        leaves = list(pool.map(lambda _n: ca_at(tmp_path).leaf(), range(8)))
    assert len({leaf.fingerprint for leaf in leaves}) == 1
    assert len({leaf.ca_bundle.read_bytes() for leaf in leaves}) == 1


def test_the_files_are_read_and_written_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deterministic where the parallel test is not: while the CA is made, another process's lock fails.
    held: list[bool] = []
    original = LocalCA._ca

    def probing(self: LocalCA) -> Any:
        with open(tmp_path / local_ca.LOCK) as other:
            try:
                fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(True)
            else:
                held.append(False)
                fcntl.flock(other.fileno(), fcntl.LOCK_UN)
        return original(self)

    monkeypatch.setattr(LocalCA, "_ca", probing)
    ca_at(tmp_path).leaf()
    assert held == [True]


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, LocalCA]]:
    """A TLS server on 127.0.0.1 presenting the leaf (or whatever `pem` the test writes over it)."""
    ca = ca_at(tmp_path / "ca", datetime.now(UTC))
    leaf = ca.leaf()
    pem = tmp_path / "server.pem"
    pem.write_text(leaf.pem)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pem)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, pem, ca
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        thread.join(timeout=5)


def handshake(port: int, host: str, cafile: Path | None) -> None:
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.send(b"x")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_tls_client_accepts_the_leaf_with_the_ca_bundle_only(
    tls_server: tuple[int, Path, LocalCA], host: str
) -> None:
    port, _pem, ca = tls_server
    handshake(port, host, ca.ca_bundle)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(port, host, None)  # the system's CAs do not know it


def test_the_ca_cannot_vouch_for_another_site(tls_server: tuple[int, Path, LocalCA]) -> None:
    # A certificate for a real site signed with the CA's own key (as a thief of the key would): the name
    # constraints make every TLS client refuse it, so trusting the CA trusts nothing but this machine.
    port, pem, ca = tls_server
    ca_cert = cert_of(ca.ca_bundle.read_bytes())
    ca_key = serialization.load_pem_private_key((ca.directory / local_ca.CA_KEY).read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem.write_text(
        forged.public_bytes(serialization.Encoding.PEM).decode()
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )
    with pytest.raises(ssl.SSLCertVerificationError, match=r"(?i)name constraint|permitted"):
        handshake(port, "www.example.com", ca.ca_bundle)
