"""The 公众号 bot: callback blueprint, router, handlers and the custom menu."""
