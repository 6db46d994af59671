"""Routing: skill groups, their queues and the assignment of waiting conversations.

``engine`` decides (a pure function over a snapshot, property-tested); ``actions`` takes the
snapshot and applies the decisions inside one locked transaction, so the database — not a
process's memory — keeps assignments single and agents within capacity.
"""
