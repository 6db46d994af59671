"""Tickets: work a chat could not settle, owned by someone until solved (docs/tickets.md)."""
