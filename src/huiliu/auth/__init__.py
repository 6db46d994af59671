"""Who is calling: principals, signed tokens, passwords and the FastAPI dependencies."""
