"""WeChat adapters: the async API client, the shared token store and the local sandbox."""
