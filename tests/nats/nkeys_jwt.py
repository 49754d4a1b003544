"""NATS credentials made by hand (nsc is not in Debian): NKeys (Ed25519 from
python3-cryptography, base32 with a CRC16) and JWTs for an operator, an
account with JetStream and a user, as nats-server's memory resolver takes
them, and the user's .creds file."""
import base64
import hashlib
import json
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

PREFIX = {"operator": 14 << 3, "account": 0, "user": 20 << 3}
SEED = 18 << 3


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def b32(raw):
    return base64.b32encode(raw + crc16(raw).to_bytes(2, "little")).decode().rstrip("=")


class NKey:
    def __init__(self, kind):
        self.kind = kind
        self.raw = os.urandom(32)
        self.key = Ed25519PrivateKey.from_private_bytes(self.raw)
        pub = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = b32(bytes([PREFIX[kind]]) + pub)
        p = PREFIX[kind]
        self.seed = b32(bytes([SEED | (p >> 5), (p & 31) << 3]) + self.raw)

    def sign(self, data):
        return self.key.sign(data)


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(issuer, subject, name, nats):
    claims = {"iat": int(time.time()), "iss": issuer.public, "name": name, "sub": subject.public, "nats": nats}
    claims["jti"] = base64.b32encode(hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest()) \
        .decode().rstrip("=")
    head = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}." + _b64(issuer.sign(f"{head}.{body}".encode()))


class Trust:
    """An operator and one account with JetStream; users made on demand."""

    def __init__(self, workdir):
        self.dir = workdir
        self.operator = NKey("operator")
        self.account = NKey("account")
        self.operator_jwt = jwt(self.operator, self.operator, "proctree-test-op",
                                {"type": "operator", "version": 2})
        limits = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True,
                  "conn": -1, "leaf": -1, "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}
        self.account_jwt = jwt(self.operator, self.account, "proctree-test-account",
                               {"limits": limits, "type": "account", "version": 2})
        # JetStream needs a system account in operator mode
        self.system = NKey("account")
        self.system_jwt = jwt(self.operator, self.system, "SYS", {"type": "account", "version": 2})

    def server_config(self):
        op = os.path.join(self.dir, "operator.jwt")
        with open(op, "w") as f:
            f.write(self.operator_jwt)
        return (f'operator: "{op}"\nsystem_account: {self.system.public}\nresolver: MEMORY\n'
                f'resolver_preload: {{ {self.account.public}: "{self.account_jwt}", '
                f'{self.system.public}: "{self.system_jwt}" }}\n')

    def user_creds(self, name, signer=None):
        user = NKey("user")
        token = jwt(signer or self.account, user, name,
                    {"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2})
        path = os.path.join(self.dir, f"{name}.creds")
        with open(path, "w") as f:
            f.write(f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
                    f"-----BEGIN USER NKEY SEED-----\n{user.seed}\n------END USER NKEY SEED------\n")
        return path
