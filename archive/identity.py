"""Who seals: the school's signing key with its certificate and the chain up to the school CA.

The product's own key is «электронная печать системы (контроль целостности)» — a seal for
integrity, not an electronic signature under 63-ФЗ; nothing here calls it «ЭП/ЭЦП»."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa


@dataclass(frozen=True)
class SigningIdentity:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    # the issuers of ``certificate`` up to and including the root (the school CA)
    chain: tuple[x509.Certificate, ...]

    @property
    def root(self) -> x509.Certificate:
        return self.chain[-1] if self.chain else self.certificate
