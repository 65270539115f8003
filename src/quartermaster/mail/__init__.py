"""The outbox of e-mails as administrators see it (the mail port itself is core/mail)."""
