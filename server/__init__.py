"""送教通 server package."""
