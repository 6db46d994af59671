"""Satisfaction surveys: configured per tenant, asked on every channel, stored per
conversation and agent (docs/satisfaction.md)."""
