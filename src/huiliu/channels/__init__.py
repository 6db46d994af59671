"""Channel adapters: each translates its channel's traffic into the one message pipeline."""
