"""The web console (server-rendered pages) and the projector page's templates."""
