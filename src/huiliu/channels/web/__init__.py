"""The web widget and app SDK channel: visitor sessions over the real-time gateway."""
