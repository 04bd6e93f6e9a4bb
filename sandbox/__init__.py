from .media import make_jpeg, make_mov, make_mp4, make_png, make_webm
from .state import ALL_SCOPES, Account, ManualClock, RequestRecord, Upload
from .tiktok_sandbox import API_BASE, DEFAULT_TOKEN, ENDPOINTS, FAULT_KINDS, NEXT, TikTokSandbox

__all__ = [
    "ALL_SCOPES",
    "API_BASE",
    "DEFAULT_TOKEN",
    "ENDPOINTS",
    "FAULT_KINDS",
    "NEXT",
    "Account",
    "ManualClock",
    "RequestRecord",
    "TikTokSandbox",
    "Upload",
    "make_jpeg",
    "make_mov",
    "make_mp4",
    "make_png",
    "make_webm",
]
