"""The real-time gateway: the WebSocket protocol of docs/protocol.md.

``frames`` defines every frame; ``connection`` runs one socket (an ordered, bounded send
queue with per-conversation seq tracking); ``hub`` indexes this process's sockets and fans
bus events out to them; ``gateway`` holds the two WebSocket endpoints.
"""

PROTOCOL_VERSION = 1
