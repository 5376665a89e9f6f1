"""The lean HTTP/1.1 pool over TLS, as it speaks to api.weixin.qq.com: the server's
certificate and name are checked, and a connection is kept for the next request.

The sandbox speaks plain HTTP; these tests stand up a TLS server on loopback with a
certificate made here, signed by a CA made here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from yarl import URL

from server.wechat.http1 import Http1Pool
from tests.wechat.http_server import read_request_body

OK = b'{"errcode":0}'


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(tmp_path, *, ip: str) -> tuple[str, str, str]:
    """(CA file, server certificate chain file, server key file) for a server at `ip`."""
    day = timedelta(days=1)
    start = datetime.now(UTC) - day
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("测试根证书"))
        .issuer_name(_name("测试根证书"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + 3 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("api.test"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + 3 * day)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, chain_file, key_file = (tmp_path / n for n in ("ca.pem", "chain.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(pem))
    chain_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(ca_file), str(chain_file), str(key_file)


class TlsServer:
    """Answers every POST with OK over TLS; counts connections and requests."""

    def __init__(self, chain: str, key: str) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(chain, key)
        self.connections = 0
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                self.bodies.append(await read_request_body(reader))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(OK)}\r\n\r\n".encode()
                    + OK
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        finally:
            writer.close()

    async def __aenter__(self) -> URL:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.context)
        port = self.server.sockets[0].getsockname()[1]
        return URL(f"https://127.0.0.1:{port}/cgi-bin/message/subscribe/send?access_token=t")

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


async def test_tls_answers_are_read_and_the_connection_kept(tmp_path):
    ca, chain, key = _certificates(tmp_path, ip="127.0.0.1")
    server = TlsServer(chain, key)
    async with server as url:
        pool = Http1Pool()
        # The system's trust store, plus this test's CA (WeChat's is a public CA).
        pool._tls = ssl.create_default_context(cafile=ca)
        try:
            for n in range(3):
                body = f'{{"n":{n}}}'.encode()
                status, headers, content = await pool.post(
                    url, body, {"Content-Type": "application/json"}, 5
                )
                assert (status, content) == (200, OK)
                assert headers["Content-Type"] == "application/json"
        finally:
            pool.close()
    assert server.bodies == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert server.connections == 1


@pytest.mark.parametrize(
    ("signed_for", "trust_the_test_ca"),
    [
        ("127.0.0.1", False),  # a certificate no trusted CA signed (the system's CAs only)
        ("127.0.0.2", True),  # a trusted certificate for another address than the one asked
    ],
)
async def test_a_certificate_that_does_not_prove_the_server_is_refused(
    tmp_path, signed_for, trust_the_test_ca
):
    ca, chain, key = _certificates(tmp_path, ip=signed_for)
    server = TlsServer(chain, key)
    async with server as url:
        pool = Http1Pool()
        if trust_the_test_ca:
            pool._tls = ssl.create_default_context(cafile=ca)
        try:
            with pytest.raises(ssl.SSLCertVerificationError):
                await pool.post(url, OK, None, 5)
        finally:
            pool.close()
    assert server.bodies == []
