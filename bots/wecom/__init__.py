"""The WeCom (企业微信) group robot: leaders' groups, reached through webhook keys."""
