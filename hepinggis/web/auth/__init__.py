"""Who may do what, and the record of it: accounts, logins and sessions (`_accounts`), passwords,
the login guard, HTTP Basic for ``/ogc``, the administrative duties, the security settings, the
middleware that wraps the app (`_security`), the audit trail with its chain and retention, the
signing key, and the 安全/修改密码 pages (`routes`)."""
