"""The authority's PAdES signature on a report's PDF (pyHanko), with its certificate and key from a
PKCS#12 file; a time-stamp from an RFC 3161 server where one is configured.

The file is SIGNING_P12 (by default instance/signing.p12, where `flask signing init` writes a
self-signed one for a demo or a test), its password SIGNING_PASSWORD or, when that is unset, the
file beside it named `<file>.password` that `flask signing init` writes. Both are read each time a
PDF is drawn, so a new certificate takes effect without a restart. With no file, PDFs are drawn
unsigned. The drawing child gets them through its environment (`child_environment`), never its
command line, which any local user can read.
"""

import io
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

P12_VARIABLE = "REPORT_SIGNING_P12"
PASSWORD_VARIABLE = "REPORT_SIGNING_PASSWORD"
TSA_VARIABLE = "REPORT_SIGNING_TSA_URL"
VARIABLES = (P12_VARIABLE, PASSWORD_VARIABLE, TSA_VARIABLE)
FIELD_NAME = "Signature1"
DEMO_YEARS = 5
DEMO_NAME = "职业技能鉴定质量管理评估（演示签章）"


@dataclass(frozen=True)
class Credentials:
    p12: Path
    password: str
    tsa_url: str


def credentials(config) -> Credentials | None:
    """The PKCS#12 file and password the app signs with, or None when there is no file."""
    p12 = Path(config["SIGNING_P12"])
    if not p12.is_file():
        return None
    password = config["SIGNING_PASSWORD"] or _password_beside(p12)
    return Credentials(p12=p12, password=password, tsa_url=config["SIGNING_TSA_URL"])


def _password_beside(p12: Path) -> str:
    try:
        return password_file(p12).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def password_file(p12: Path) -> Path:
    return p12.with_name(p12.name + ".password")


def child_environment(config) -> dict[str, str]:
    """The environment of a drawing child: this one, with the signing credentials or without any."""
    environment = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    found = credentials(config)
    if found is not None:
        environment.update(
            {P12_VARIABLE: str(found.p12), PASSWORD_VARIABLE: found.password, TSA_VARIABLE: found.tsa_url}
        )
    return environment


def from_environment() -> Credentials | None:
    """The credentials the parent handed this drawing child, if any."""
    p12 = os.environ.get(P12_VARIABLE)
    if not p12:
        return None
    password, tsa_url = os.environ.get(PASSWORD_VARIABLE, ""), os.environ.get(TSA_VARIABLE, "")
    return Credentials(p12=Path(p12), password=password, tsa_url=tsa_url)


def sign(pdf: bytes, found: Credentials) -> bytes:
    """The PDF with a PAdES signature (and a time-stamp where a server is configured) appended."""
    # Imported here: an unsigned drawing need not pay for pyHanko's import.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    signer = signers.SimpleSigner.load_pkcs12(str(found.p12), passphrase=found.password.encode() or None)
    if signer is None:
        raise ValueError("the signing PKCS#12 file or its password is wrong")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    timestamper = timestamps.HTTPTimeStamper(found.tsa_url) if found.tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper).getvalue()


def certificate(found: Credentials) -> x509.Certificate:
    password = found.password.encode() or None
    _key, cert, _others = pkcs12.load_key_and_certificates(found.p12.read_bytes(), password)
    return cert


def make_self_signed(p12: Path, name: str = DEMO_NAME) -> Path:
    """A self-signed certificate and key for a demo or a test, in `p12` with a random password in
    the file beside it (both readable by the owner only); answers the password's file."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * DEMO_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(24)
    data = pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    p12.parent.mkdir(parents=True, exist_ok=True)
    _write_private(password_file(p12), password.encode())
    _write_private(p12, data)
    return password_file(p12)


def _write_private(path: Path, data: bytes) -> None:
    """Written whole under a temporary name, then renamed: a drawing never reads half a file."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    os.replace(partial, path)


@dataclass(frozen=True)
class State:
    """What the administrators are told of the signing: signed by whom until when, or why not."""

    signed: bool
    subject: str = ""
    valid_until: datetime | None = None
    problem: str = ""


def state(config) -> State:
    found = credentials(config)
    if found is None:
        return State(signed=False, problem="no certificate")
    try:
        cert = certificate(found)
    except (ValueError, TypeError, OSError):
        return State(signed=False, problem="the PKCS#12 file or its password is wrong")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = str(names[0].value) if names else cert.subject.rfc4514_string()
    return State(signed=True, subject=subject, valid_until=cert.not_valid_after_utc)


def describe(config) -> str:
    current = state(config)
    if not current.signed:
        return f"reports are drawn unsigned: {current.problem}"
    return f"reports are signed by {current.subject}, valid until {current.valid_until:%Y-%m-%d}"
