"""A Google service-account file whose token_uri points at the fake (fresh RSA key each time)."""

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_PROJECT_ID = "vigilants-fake"


def write_service_account(path: str | Path, base_url: str, project_id: str = DEFAULT_PROJECT_ID) -> Path:
    """Write the JSON file FIREBASE_CREDENTIALS names; google-auth will ask `base_url + "/token"`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "fake-key-1",
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": f"{base_url}/auth",
        "token_uri": f"{base_url}/token",
        "auth_provider_x509_cert_url": f"{base_url}/certs",
        "client_x509_cert_url": f"{base_url}/certs/firebase-adminsdk",
        "universe_domain": "googleapis.com",
    }
    path = Path(path)
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return path
