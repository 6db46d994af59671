"""Huiliu (汇流): omnichannel customer service. See docs/architecture.md."""

__version__ = "0.1.0"
