"""People and their access: accounts, passwords and e-mailed tokens (users), the password policy (passwords), the
lock after repeated failed logins (lockout), invitations of organisers and assessors (people), organisations and
their members, memberships, outgoing mail and the audit log.

May import: models, delphi.db / errors / extensions / security. Nothing from the other service packages.
"""
