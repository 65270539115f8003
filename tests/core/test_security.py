"""Security primitives: password hashing with upgrade, signed tokens, secret digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
import pytest

from quartermaster.core.security import (
    JWT_ALGORITHM,
    InvalidToken,
    PasswordHasher,
    digest,
    same_digest,
    sign_token,
    verify_token,
)

SECRET = "unit-test-secret-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=1024)


class TestPasswordHasher:
    def test_new_hashes_are_argon2id_and_salted(self, hasher: PasswordHasher) -> None:
        first, second = hasher.hash(PASSWORD), hasher.hash(PASSWORD)
        assert first.startswith("$argon2id$")
        assert first != second
        assert PASSWORD not in first

    async def test_current_argon2_hash_verifies_without_an_upgrade(
        self, hasher: PasswordHasher
    ) -> None:
        assert await hasher.verify_and_update(PASSWORD, hasher.hash(PASSWORD)) == (True, None)

    async def test_wrong_password_does_not_verify(self, hasher: PasswordHasher) -> None:
        valid, new_hash = await hasher.verify_and_update("not the password", hasher.hash(PASSWORD))
        assert valid is False
        assert new_hash is None

    async def test_bcrypt_hash_verifies_and_yields_an_argon2id_replacement(
        self, hasher: PasswordHasher
    ) -> None:
        legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()

        valid, new_hash = await hasher.verify_and_update(PASSWORD, legacy)

        assert valid is True
        assert new_hash is not None
        assert new_hash.startswith("$argon2id$")
        assert await hasher.verify_and_update(PASSWORD, new_hash) == (True, None)

    async def test_wrong_password_against_bcrypt_hash_is_rejected_without_upgrade(
        self, hasher: PasswordHasher
    ) -> None:
        legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        assert await hasher.verify_and_update("not the password", legacy) == (False, None)

    async def test_argon2_hash_with_weaker_parameters_is_upgraded(
        self, hasher: PasswordHasher
    ) -> None:
        stronger = PasswordHasher(time_cost=2, memory_kib=2048)
        valid, new_hash = await stronger.verify_and_update(PASSWORD, hasher.hash(PASSWORD))
        assert valid is True
        assert new_hash is not None
        assert "t=2" in new_hash

    async def test_missing_hash_never_verifies(self, hasher: PasswordHasher) -> None:
        assert await hasher.verify_and_update(PASSWORD, None) == (False, None)
        assert await hasher.verify_and_update("", None) == (False, None)


class TestSignedTokens:
    def test_round_trip_carries_claims_with_iat_and_exp(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        token = sign_token({"sub": "u-1"}, SECRET, ttl=timedelta(minutes=5), now=now)

        claims = verify_token(token, SECRET, required=("sub",))

        assert claims["sub"] == "u-1"
        assert claims["iat"] == int(now.timestamp())
        assert claims["exp"] - claims["iat"] == 300
        assert jwt.get_unverified_header(token)["alg"] == JWT_ALGORITHM

    def test_expired_token_is_rejected_as_expired(self) -> None:
        issued = datetime.now(UTC) - timedelta(hours=1)
        token = sign_token({"sub": "u-1"}, SECRET, ttl=timedelta(minutes=5), now=issued)

        with pytest.raises(InvalidToken, match="expired"):
            verify_token(token, SECRET, required=("sub",))

    def test_token_signed_with_another_secret_is_rejected(self) -> None:
        token = sign_token(
            {"sub": "u-1"}, "another-secret-of-sufficient-length-000000", ttl=timedelta(minutes=5)
        )

        with pytest.raises(InvalidToken, match="invalid"):
            verify_token(token, SECRET, required=("sub",))

    def test_token_missing_a_required_claim_is_rejected(self) -> None:
        token = sign_token({"sub": "u-1"}, SECRET, ttl=timedelta(minutes=5))

        with pytest.raises(InvalidToken):
            verify_token(token, SECRET, required=("sub", "tid"))

    def test_token_without_expiry_is_rejected(self) -> None:
        token = jwt.encode({"sub": "u-1", "iat": 0}, SECRET, algorithm=JWT_ALGORITHM)

        with pytest.raises(InvalidToken):
            verify_token(token, SECRET, required=("sub",))

    def test_unsigned_token_is_rejected(self) -> None:
        now = int(datetime.now(UTC).timestamp())
        token = jwt.encode({"sub": "u-1", "iat": now, "exp": now + 300}, None, algorithm="none")

        with pytest.raises(InvalidToken):
            verify_token(token, SECRET, required=("sub",))

    def test_tampered_payload_is_rejected(self) -> None:
        token = sign_token({"sub": "u-1", "role": "viewer"}, SECRET, ttl=timedelta(minutes=5))
        header, _, signature = token.split(".")
        forged = jwt.encode(
            {**jwt.decode(token, options={"verify_signature": False}), "role": "owner"},
            "a-forger-guess-that-is-long-enough-0123456789",
            algorithm=JWT_ALGORITHM,
        ).split(".")[1]

        with pytest.raises(InvalidToken):
            verify_token(f"{header}.{forged}.{signature}", SECRET, required=("sub",))


class TestDigests:
    def test_digest_is_deterministic_sha256_hex_and_not_the_secret(self) -> None:
        secret = "a" * 64
        assert digest(secret) == digest(secret)
        assert len(digest(secret)) == 64
        assert int(digest(secret), 16) >= 0
        assert digest(secret) != secret
        assert digest(secret) != digest("a" * 63 + "b")

    def test_same_digest_matches_only_the_original_secret(self) -> None:
        stored = digest("the-secret")
        assert same_digest("the-secret", stored) is True
        assert same_digest("the-secreT", stored) is False
        assert same_digest("", stored) is False
