"""Outbound webhooks: a merchant's endpoints, the events they subscribe to, and signed
deliveries through the outbox (docs/webhooks.md)."""
