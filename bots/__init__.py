"""Bots: the 公众号 callback (official_account) and the WeCom group robot (wecom)."""
