"""Identity: tenants, users, memberships and roles, tokens, API keys, the audit log."""
