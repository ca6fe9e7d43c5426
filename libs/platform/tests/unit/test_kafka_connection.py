"""Every Kafka client's connection options: plaintext by default, TLS with the
configured CA and client certificate, SCRAM credentials for SASL, and
settings that refuse SASL without credentials."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from regua_platform.kafka import connection_options
from regua_platform.settings import KafkaSettings


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regua-test-ca")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_plaintext_by_default() -> None:
    options = connection_options(KafkaSettings(bootstrap_servers="k:9092"))
    assert options == {"bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_carries_scram_credentials_and_a_verifying_tls_context(tmp_path: Path) -> None:
    ca, key = self_signed(tmp_path)
    settings = KafkaSettings(
        bootstrap_servers="k:9093",
        security_protocol="SASL_SSL",
        sasl_username="regua-invoice",
        sasl_password="s3cret",
        ssl_cafile=str(ca),
        ssl_certfile=str(ca),
        ssl_keyfile=str(key),
    )
    options = connection_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("regua-invoice", "s3cret")
    context: ssl.SSLContext = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "regua-test-ca"),),)]


def test_sasl_plaintext_has_no_tls_context() -> None:
    options = connection_options(
        KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p")
    )
    assert "ssl_context" not in options and options["sasl_mechanism"] == "SCRAM-SHA-512"


@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
def test_sasl_without_credentials_is_refused(protocol: str) -> None:
    with pytest.raises(ValidationError, match="sasl_username and sasl_password"):
        KafkaSettings(security_protocol=protocol)  # type: ignore[arg-type]
