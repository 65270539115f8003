"""Identity's domain errors (rendered as problem+json by core.errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quartermaster.core.errors import AppError, Conflict, NotFound

if TYPE_CHECKING:
    from quartermaster.identity.models import Tenant

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


class OrganizationRequired(Conflict):
    """A login naming no organization, by an account in several, none of them used last."""

    def __init__(self, organizations: list[Tenant]) -> None:
        names = ", ".join(f"{t.slug} ({t.name})" for t in organizations)
        super().__init__(
            "This account belongs to several organizations; name one with 'tenant' (its "
            f"slug or id): {names}.",
            code="organization-required",
            extensions={
                "organizations": [
                    {"id": str(t.id), "slug": t.slug, "name": t.name} for t in organizations
                ]
            },
        )


class InvitationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No invitation with this id in this organization.", code="invitation-not-found"
        )


class InvalidInvitation(AppError):
    def __init__(
        self, detail: str = "The invitation is invalid, expired, revoked or used."
    ) -> None:
        super().__init__(410, "invitation-invalid", detail)


class InvitationNotOpen(Conflict):
    def __init__(self, state: str) -> None:
        super().__init__(
            f"The invitation is {state}; only a pending or expired one can be sent again.",
            code="invitation-not-open",
        )


class AlreadyInvited(Conflict):
    def __init__(self, email: str, invitation_id: str) -> None:
        super().__init__(
            f"{email} has a pending invitation already; send it again with "
            f"POST /api/v1/invitations/{invitation_id}/resend.",
            code="already-invited",
            extensions={"invitation_id": invitation_id},
        )


class InvalidPasswordReset(AppError):
    def __init__(self) -> None:
        super().__init__(
            410,
            "password-reset-invalid",
            "The password reset link is invalid, expired or already used; ask for a new one.",
        )


class UsersOnly(Forbidden):
    def __init__(self, what: str) -> None:
        super().__init__(f"Only a user can {what}; an API key cannot.", code="users-only")
