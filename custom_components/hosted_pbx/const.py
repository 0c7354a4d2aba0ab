"""Constants of the hosted_pbx integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "hosted_pbx"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
CONF_INVITATION_ID: Final = "invitation_id"
CONF_LOGIN_TOKEN: Final = "login_token"  # noqa: S105 - the key, not a token

PROVIDER_VDB: Final = "vdb"
PROVIDER_VOIPZEKER: Final = "voipzeker"
# Every provider key, in menu order; only implemented ones are offered (see providers.py).
PROVIDER_KEYS: Final = ("vdb", "voipcenter", "voipzeker", "voipms", "business_isp")
PROVIDER_NAMES: Final = {
    "vdb": "VdB Diensten",
    "voipcenter": "VoipCenter",
    "voipzeker": "VOIPZeker",
    "voipms": "VoIP.ms",
    "business_isp": "Business-ISP",
}

CONF_WATCHED_EXTENSIONS: Final = "watched_extensions"
CONF_WATCHED_QUEUES: Final = "watched_queues"
CONF_QUOTA_SHARE: Final = "quota_share"
# Percent of the provider's quota Home Assistant may use: the portal and other tools keep room.
DEFAULT_QUOTA_SHARE: Final = 80

ATTR_DEVICE_ID: Final = "device_id"
ATTR_NUMBER: Final = "number"
ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_SENDER: Final = "sender"

SERVICE_CLICK_TO_CALL: Final = "click_to_call"
SERVICE_SEND_SMS: Final = "send_sms"

EVENT_CALL: Final = "hosted_pbx_call"
