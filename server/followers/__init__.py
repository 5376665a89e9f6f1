"""公众号 followers: who follows the official account and which person each one is."""
