"""Roles and permissions: what each account may do, and over which groups (docs/roles.md)."""
