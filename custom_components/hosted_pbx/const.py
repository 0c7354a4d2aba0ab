"""Constants of the hosted_pbx integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "hosted_pbx"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"

PROVIDER_VDB: Final = "vdb"
# Every provider key, in menu order; only implemented ones are offered (see providers.py).
PROVIDER_KEYS: Final = ("vdb", "voipcenter", "voipzeker", "voipms", "business_isp")
PROVIDER_NAMES: Final = {
    "vdb": "VdB Diensten",
    "voipcenter": "VoipCenter",
    "voipzeker": "VOIPZeker",
    "voipms": "VoIP.ms",
    "business_isp": "Business-ISP",
}

ATTR_DEVICE_ID: Final = "device_id"
ATTR_NUMBER: Final = "number"
ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_SENDER: Final = "sender"

SERVICE_CLICK_TO_CALL: Final = "click_to_call"
SERVICE_SEND_SMS: Final = "send_sms"
