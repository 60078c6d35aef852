"""The local platform's certificate authority: made once per machine, it issues the load balancers' TLS.

Every state's load balancer on the local platform serves `https://127.0.0.1:<port>`. One leaf certificate
for `127.0.0.1`, `::1` and `localhost` serves them all (a certificate names hosts, not ports), issued by a CA
the CLI makes the first time it is needed and keeps under the cache directory
(`HUMANGOV_CACHE_DIR` or ~/.cache/humangov, then `ca/`): the directory is 0700, the private keys 0600.
Clients trust the CA's certificate (`status --json` names it as `ca_bundle`); a browser can import it.

The CA is name-constrained to loopback names (RFC 5280 4.2.1.10, marked critical): even if its key leaked,
it could not vouch for any other site, so importing it into a browser trusts nothing but this machine.
A state deployed with `--domain NAME` gets a leaf of its own that also names NAME (`lb-NAME.pem`); NAME
must be under `.localhost` (RFC 6761: loopback by definition, and inside the constraint, which covers
`localhost` and every name below it), so the constraint stays what it is.
ECDSA P-256 keys: fast to make (no noticeable delay on the first deploy) and accepted by HAProxy, OpenSSL
and browsers alike. A certificate close to its end is re-issued by the next deploy.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from humangov_deploy.cache import cache_dir
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import domain_name

CA_DIR_NAME = "ca"
CA_CERT = "ca.pem"  # what clients trust (the `ca_bundle`)
CA_KEY = "ca-key.pem"
LEAF_PEM = "lb.pem"  # leaf certificate then its key: the one file HAProxy's `crt` reads
LOCK = ".lock"

CA_DAYS = 3650
# Below the 398 days browsers accept for a server certificate.
LEAF_DAYS = 397
# A certificate with less left than this is replaced at the next deploy.
RENEW_BEFORE = timedelta(days=30)
# Issued a little in the past, so a clock slightly behind (a container's, another machine's) accepts it.
BACKDATE = timedelta(hours=1)

LEAF_DNS = ("localhost",)
LEAF_IPS = ("127.0.0.1", "::1")
# What the CA may vouch for: loopback names only.
PERMITTED = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
    x509.IPAddress(ipaddress.ip_network("::1/128")),
)


@dataclass(frozen=True)
class LeafCertificate:
    """What a load balancer serves and what its clients need to check it."""

    ca_bundle: Path  # the CA's certificate (PEM)
    pem: str  # the leaf certificate, then its private key (PEM): HAProxy's `crt` file
    fingerprint: str  # SHA-256 of the leaf certificate (hex): a new one means the LB must reload
    # base64 SHA-256 of the leaf's public key, as Chromium's --ignore-certificate-errors-spki-list takes it.
    spki_sha256: str
    not_after: datetime


def default_directory() -> Path:
    return cache_dir() / CA_DIR_NAME


class LocalCA:
    """The CA under `directory`, made on first use; `leaf()` returns a valid loopback certificate."""

    def __init__(self, directory: Path | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        self.directory = directory or default_directory()
        self.now = now or (lambda: datetime.now(UTC))

    @property
    def ca_bundle(self) -> Path:
        return self.directory / CA_CERT

    def leaf(self, domain: str | None = None) -> LeafCertificate:
        """The shared leaf certificate (or `domain`'s own, which names it too): made (with the CA) when
        missing, re-issued when close to its end."""
        if domain is not None:
            domain = local_domain(domain)
        with self._locked():
            ca_cert, ca_key = self._ca()
            leaf_path = self.directory / (f"lb-{domain}.pem" if domain else LEAF_PEM)
            current = _read_leaf(leaf_path)
            if current is None or not self._leaf_is_good(*current, ca_cert, domain):
                cert, key = self._issue_leaf(ca_cert, ca_key, domain)
                _write_private(leaf_path, _cert_pem(cert) + _key_pem(key))
            text = leaf_path.read_text(encoding="ascii")
            cert = x509.load_pem_x509_certificate(text.encode())
            return LeafCertificate(
                ca_bundle=self.ca_bundle,
                pem=text,
                fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
                spki_sha256=spki_sha256(cert),
                not_after=cert.not_valid_after_utc,
            )

    # --- the CA ---------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One process or thread at a time makes or renews the files (rollouts deploy states in parallel)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)  # also tightens a directory made by hand
        with open(self.directory / LOCK, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        cert_path, key_path = self.directory / CA_CERT, self.directory / CA_KEY
        if cert_path.exists() and key_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if (
                isinstance(key, ec.EllipticCurvePrivateKey)
                and _same_key(cert, key)
                and cert.not_valid_after_utc - self.now() > RENEW_BEFORE
            ):
                return cert, key
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._make_ca(key)
        # The key first: a CA certificate on disk always has its key beside it.
        _write_private(key_path, _key_pem(key))
        _write_public(cert_path, _cert_pem(cert))
        return cert, key

    def _make_ca(self, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
        now = self.now()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HumanGov local platform"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"HumanGov local CA ({socket.gethostname()[:40]})"),
            ]
        )
        public = key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.NameConstraints(list(PERMITTED), None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )

    # --- the leaf -------------------------------------------------------------------------------------

    def _leaf_is_good(
        self,
        cert: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        ca: x509.Certificate,
        domain: str | None = None,
    ) -> bool:
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            return False  # issued by an earlier CA (the CA was re-made since)
        return (
            _same_key(cert, key)
            and leaf_names(cert) == wanted_names(domain)
            and cert.not_valid_after_utc - self.now() > RENEW_BEFORE
        )

    def _issue_leaf(
        self, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, domain: str | None = None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        now = self.now()
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in (*LEAF_DNS, *([domain] if domain else []))]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LEAF_IPS]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + timedelta(days=LEAF_DAYS), ca.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        return cert, key


def wanted_names(domain: str | None = None) -> set[str]:
    return (
        set(LEAF_DNS) | {str(ipaddress.ip_address(ip)) for ip in LEAF_IPS} | ({domain} if domain else set())
    )


def local_domain(name: str) -> str:
    """`name` when the local CA may vouch for it: a DNS name under `.localhost` (its name constraint)."""
    domain = domain_name(name)
    if not domain.endswith(".localhost"):
        raise ConfigError(
            f"--domain {name} on the local platform: its CA vouches only for loopback names; use a name "
            f"under .localhost, such as {domain.split('.')[0]}.humangov.localhost (browsers resolve it to "
            "127.0.0.1)"
        )
    return domain


def leaf_names(cert: x509.Certificate) -> set[str]:
    """The DNS names and IP addresses a certificate is for (its subjectAltName)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(san.get_values_for_type(x509.DNSName)) | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    }


def spki_sha256(cert: x509.Certificate) -> str:
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return cert.public_key().public_bytes(der, spki) == key.public_key().public_bytes(der, spki)


def _read_leaf(path: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The leaf file's certificate and key, or None when it is missing or unreadable."""
    try:
        data = path.read_bytes()
        cert = x509.load_pem_x509_certificate(data)
        key = serialization.load_pem_private_key(data, password=None)
    except (OSError, ValueError):
        return None
    return (cert, key) if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _write_private(path: Path, text: str) -> None:
    _write(path, text, 0o600)


def _write_public(path: Path, text: str) -> None:
    _write(path, text, 0o644)


def _write(path: Path, text: str, mode: int) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one; the mode from the start."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        os.chmod(temporary, mode)  # whatever the umask
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
