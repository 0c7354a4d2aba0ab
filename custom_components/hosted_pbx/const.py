"""Constants of the hosted_pbx integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "hosted_pbx"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
# Kept in the entry so the provider's side stays right across reloads and restarts.
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_WEBHOOK_REGISTERED: Final = "webhook_registered_url"

CONF_WATCHED_EXTENSIONS: Final = "watched_extensions"
CONF_WATCHED_QUEUES: Final = "watched_queues"
CONF_QUOTA_SHARE: Final = "quota_share"
# Percent of the provider's quota Home Assistant may use: the portal and other tools keep room.
DEFAULT_QUOTA_SHARE: Final = 80
CONF_NOTIFY_TO: Final = "sms_notify_to"  # who the notify entities text
CONF_MAX_CALL_MINUTES: Final = "max_call_minutes"  # placed calls are followed this long
DEFAULT_MAX_CALL_MINUTES: Final = 120
CONF_LOW_CREDIT: Final = "low_credit_threshold"
DEFAULT_LOW_CREDIT: Final = 5.0  # in the account's currency

ATTR_DEVICE_ID: Final = "device_id"
ATTR_NUMBER: Final = "number"
ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_SENDER: Final = "sender"
ATTR_MODE: Final = "mode"

SERVICE_CLICK_TO_CALL: Final = "click_to_call"
SERVICE_SEND_SMS: Final = "send_sms"
SERVICE_HANG_UP: Final = "hang_up"

# Pushed events are fired as ``hosted_pbx_<type>``: hosted_pbx_call, hosted_pbx_sms_received.
EVENT_PREFIX: Final = DOMAIN
EVENT_CALL: Final = f"{DOMAIN}_call"
