"""The realtime module's surface for the application layer (api.py, cli.py)."""

from quartermaster.realtime.channels import CHANNELS, Channel, channel_of
from quartermaster.realtime.gateway import Gateway, gateway_lifespan

__all__ = ["CHANNELS", "Channel", "Gateway", "channel_of", "gateway_lifespan"]
