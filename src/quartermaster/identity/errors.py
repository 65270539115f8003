"""Identity's domain errors (rendered as problem+json by core.errors)."""

from __future__ import annotations

from quartermaster.core.errors import AppError, Conflict, NotFound

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Unauthenticated(AppError):
    def __init__(self, detail: str, *, code: str = "unauthenticated") -> None:
        super().__init__(401, code, detail, headers=BEARER_CHALLENGE)


class InvalidCredentials(Unauthenticated):
    # One message for unknown e-mail, wrong password, inactive account: nothing to learn.
    def __init__(self) -> None:
        super().__init__("The e-mail address or password is incorrect.", code="invalid-credentials")


class InvalidRefreshToken(Unauthenticated):
    def __init__(self, detail: str = "The refresh token is invalid, expired or revoked.") -> None:
        super().__init__(detail, code="invalid-refresh-token")


class Forbidden(AppError):
    def __init__(self, detail: str, *, code: str = "forbidden") -> None:
        super().__init__(403, code, detail)


class RoleAboveOwn(Forbidden):
    def __init__(self, role: str, own: str) -> None:
        super().__init__(
            f"You cannot grant or manage the role '{role}', which is above your own ('{own}').",
            code="role-above-own",
        )


class SignupDisabled(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Sign-up is disabled on this server; ask an administrator for an account.",
            code="signup-disabled",
        )


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "An account with this e-mail address already exists; log in instead "
            "(POST /api/v1/auth/token).",
            code="email-taken",
        )


class AlreadyMember(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(
            f"{email} is already a member of this organization.", code="already-member"
        )


class LastOwner(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This is the organization's last owner; make another member owner first.",
            code="last-owner",
        )


class MemberNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No member with this id in this organization.", code="member-not-found")


class NotAMemberOfTenant(NotFound):
    def __init__(self) -> None:
        super().__init__("You are not a member of that organization.", code="tenant-not-found")


class ApiKeyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No API key with this id in this organization.", code="api-key-not-found")


class WeakPassword(AppError):
    def __init__(self, message: str) -> None:
        super().__init__(
            422,
            "weak-password",
            f"The password is not acceptable: {message}.",
            extensions={
                "errors": [
                    {
                        "location": "body",
                        "field": "password",
                        "loc": ["body", "password"],
                        "message": message,
                        "type": "weak_password",
                    }
                ]
            },
        )
