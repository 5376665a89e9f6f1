"""Accounts: WeChat logins, tokens, roles with scope, invitations."""
