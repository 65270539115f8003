"""Realtime: live events over WebSocket and Server-Sent Events, with resume.

The outbox relay (``core/relay.py``) appends each committed event to its tenant's Redis
stream and publishes it; this module delivers it to the tenant's subscribed clients.
"""
