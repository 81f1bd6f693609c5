import pytest
from cryptography.fernet import Fernet

from accounts import crypto


def test_it_round_trips_and_hides_the_plaintext():
    token = crypto.encrypt("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    assert "NhqPtmdS" not in token
    assert crypto.decrypt(token).startswith("NhqPtmdS")


def test_it_fails_loudly_on_a_tampered_token():
    token = crypto.encrypt("secret-value")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(crypto.CredentialsUnavailable) as exc_info:
        crypto.decrypt(tampered)
    assert "secret-value" not in str(exc_info.value)


def test_it_decrypts_with_an_older_key_after_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.DESK_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("rotate-me")
    settings.DESK_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "rotate-me"
    # New writes use the first key only: they no longer decrypt with the old one alone.
    fresh = crypto.encrypt("rotate-me")
    settings.DESK_ENCRYPTION_KEYS = [old]
    with pytest.raises(crypto.CredentialsUnavailable):
        crypto.decrypt(fresh)


def test_it_refuses_tokens_when_the_key_is_gone(settings):
    token = crypto.encrypt("lost")
    settings.DESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.CredentialsUnavailable):
        crypto.decrypt(token)


def test_it_fingerprints_stably_without_revealing_the_key():
    key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    assert crypto.fingerprint(key) == crypto.fingerprint(key)
    assert len(crypto.fingerprint(key)) == 16
    assert crypto.fingerprint(key) not in key
