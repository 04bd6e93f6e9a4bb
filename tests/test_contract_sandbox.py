"""Contract suite: every action end to end through a REAL SDK ExecutionContext against the TikTok sandbox.

Nothing here mocks `context.fetch`: the SDK's own HTTP path runs (Bearer injection, HTTPError on 4xx,
RateLimitError on 429, non-JSON bodies, its own network retries), the integration's own aiohttp sessions move
the bytes, and the sandbox answers from its state (tokens, scopes, caps, rate windows, uploads, publishes).
Expected values are literals or the sandbox's own records; nothing re-computes what the product computes.
"""

import base64
import hashlib
import json
import re
from dataclasses import dataclass

import pytest
from autohive_integrations_sdk import ResultType

import tiktok_transfer
from sandbox import NEXT, TikTokSandbox
from sandbox.platform import make_context
from sandbox.transport import Reply

pytestmark = pytest.mark.unit

VERIFIED = "https://media.sandbox.example/verified/"
# Fake tokens: one the sandbox does not know, one of a second creator, one with fewer scopes.
UNKNOWN_TOKEN = "act.unknown"  # nosec B105
OTHER_TOKEN = "act.someone-else"  # nosec B105
LIMITED_TOKEN = "act.limited-scopes"  # nosec B105
ALL_SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats", "video.list", "video.publish", "video.upload"]
INIT_ENDPOINTS = ("video_init", "inbox_init", "content_init")
LOG_ID_SUFFIX = re.compile(r"\(TikTok log_id: (\d{14}[0-9A-F]{20})\)$")

SMALL_SIZE = 1_234_567
SMALL_MP4 = TikTokSandbox.make_mp4(SMALL_SIZE)
SMALL_SHA = hashlib.sha256(SMALL_MP4).hexdigest()
SMALL_RANGE = "bytes 0-1234566/1234567"

# 70,000,123 bytes: floor(70,000,123 / 10,000,000) = 7 chunks, the last one absorbs the 123 trailing bytes.
BIG_SIZE = 70_000_123
BIG_RANGES = [
    "bytes 0-9999999/70000123",
    "bytes 10000000-19999999/70000123",
    "bytes 20000000-29999999/70000123",
    "bytes 30000000-39999999/70000123",
    "bytes 40000000-49999999/70000123",
    "bytes 50000000-59999999/70000123",
    "bytes 60000000-70000122/70000123",
]
BIG_LENGTHS = ["10000000"] * 6 + ["10000123"]
BIG_STATUSES = [206] * 6 + [201]

# 65,000,000 bytes: 6 chunks, the last one is 15,000,000 bytes.
MID_SIZE = 65_000_000
MID_RANGES = [
    "bytes 0-9999999/65000000",
    "bytes 10000000-19999999/65000000",
    "bytes 20000000-29999999/65000000",
    "bytes 30000000-39999999/65000000",
    "bytes 40000000-49999999/65000000",
    "bytes 50000000-64999999/65000000",
]


# ---------------------------------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Media:
    data: bytes
    sha256: str


def media(data: bytes) -> Media:
    return Media(data, hashlib.sha256(data).hexdigest())


@pytest.fixture(scope="module")
def big_mp4() -> Media:
    return media(TikTokSandbox.make_mp4(BIG_SIZE))


@pytest.fixture(scope="module")
def big_mp4_base64(big_mp4) -> str:
    return base64.b64encode(big_mp4.data).decode("ascii")


@pytest.fixture
def sandbox(request):
    """Overrides conftest's sandbox so tests can ask for variants: parametrize("sandbox", [{...}], indirect=True).
    conftest's `context` fixture then authenticates against the variant."""
    with TikTokSandbox(**getattr(request, "param", {})) as sb:
        yield sb


def watch(sb: TikTokSandbox) -> list:
    """Keep every (endpoint, Reply) the sandbox answers, to read the log_id TikTok sent."""
    seen = []
    handle = sb.handle

    def recording(request):
        reply = handle(request)
        seen.append((sb.requests[-1].endpoint, reply))
        return reply

    sb.handle = recording
    return seen


@pytest.fixture
def replies(sandbox):
    return watch(sandbox)


def sent_log_id(replies: list, endpoint: str) -> str:
    """The log_id of the last JSON answer the sandbox gave on `endpoint`."""
    bodies = [json.loads(r.body) for name, r in replies if name == endpoint and r.content_type == "application/json"]
    assert bodies, f"the sandbox sent no JSON answer on {endpoint}"
    return bodies[-1]["error"]["log_id"]


def data_of(result) -> dict:
    assert result.type == ResultType.ACTION, result.result
    return result.result.data


def refused(result, *fragments: str) -> str:
    """An ActionError (never an exception, never a VALIDATION_ERROR) with a clean message naming `fragments`."""
    assert result.type == ResultType.ACTION_ERROR, result.result
    message = result.result.message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    assert not re.search(r"\bact\.\w", message), message  # no access token
    assert not re.search(r"HTTP \d{3}: ", message), message  # no SDK HTTPError text ("HTTP 401: {...}")
    for leak in ("Bearer", "<", "{", "Traceback", "Error("):  # no HTML, no body dumps, no Python reprs
        assert leak not in message, message
    return message


def tiktok_refused(result, code: str, replies: list, endpoint: str, *fragments: str) -> str:
    """Refused with TikTok's error code named and the log_id TikTok sent on `endpoint` at the very end."""
    message = refused(result, code, *fragments)
    assert LOG_ID_SUFFIX.search(message), message
    assert message.endswith(f"(TikTok log_id: {sent_log_id(replies, endpoint)})"), message
    return message


def inline_file(data: bytes, name="clip.mp4", content_type="video/mp4") -> dict:
    return {"name": name, "contentType": content_type, "content": base64.b64encode(data).decode("ascii")}


def assert_nothing_sent(sb: TikTokSandbox) -> None:
    """No publish request and no upload reached TikTok."""
    for endpoint in (*INIT_ENDPOINTS, "upload"):
        assert sb.calls(endpoint) == [], endpoint


def assert_token_only_to_tiktok_api(sb: TikTokSandbox, token: str) -> None:
    """Bearer token on every API request; no Authorization header at all on upload PUTs and downloads."""
    assert sb.requests
    for record in sb.requests:
        if record.endpoint in ("upload", "download"):
            assert "Authorization" not in record.headers, record
            assert record.token is None
        else:
            assert record.token == token, record
            assert record.headers["Authorization"] == f"Bearer {token}"


def only_publish_id(sb: TikTokSandbox) -> str:
    assert len(sb.publishes) == 1
    return next(iter(sb.publishes))


async def post_from_link(integration, ctx, url, privacy="PUBLIC_TO_EVERYONE"):
    inputs = {"video_url": url, "pull_from_url": True, "privacy_level": privacy}
    return await integration.execute_action("create_video_post", inputs, ctx)


# ---------------------------------------------------------------------------------------------------------------------
# 1. Happy paths
# ---------------------------------------------------------------------------------------------------------------------


async def test_get_user_info_returns_the_whole_profile(integration, sandbox, context):
    data = data_of(await integration.execute_action("get_user_info", {}, context))
    account = sandbox.account
    assert data == {
        "open_id": account.open_id,
        "union_id": account.union_id,
        "display_name": "Sandbox Creator",
        "username": "sandbox.creator",
        "avatar_url": account.avatar_url,
        "avatar_url_100": account.avatar_url_100,
        "avatar_large_url": account.avatar_large_url,
        "bio_description": "Posting from the TikTok sandbox.",
        "profile_deep_link": account.profile_deep_link,
        "profile_web_link": "https://www.tiktok.com/@sandbox.creator",
        "is_verified": False,
        "follower_count": 1234,
        "following_count": 56,
        "likes_count": 78901,
        "video_count": 45,
        "missing_scopes": [],
    }
    assert len(sandbox.calls("user_info")) == 1
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_get_creator_info(integration, sandbox, context):
    sandbox.account.comment_disabled = True
    sandbox.account.max_video_post_duration_sec = 300
    data = data_of(await integration.execute_action("get_creator_info", {}, context))
    assert data == {
        "creator_nickname": "Sandbox Creator",
        "creator_username": "sandbox.creator",
        "creator_avatar_url": sandbox.account.avatar_url,
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": True,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 300,
        "can_post": True,
        "cannot_post_reason": None,
    }
    [call] = sandbox.calls("creator_info")
    assert (call.method, call.token, call.status) == ("POST", sandbox.token, 200)


@pytest.mark.parametrize("prefix", ["", "data:video/mp4;base64,"], ids=["plain", "data-url"])
async def test_direct_video_post_from_inline_base64_then_status_until_published(integration, sandbox, context, prefix):
    file = inline_file(SMALL_MP4)
    file["content"] = prefix + file["content"]
    inputs = {"file": file, "privacy_level": "PUBLIC_TO_EVERYONE", "caption": "Launch day 🎉 #fyp", "is_aigc": True}
    data = data_of(await integration.execute_action("create_video_post", inputs, context))

    publish_id = only_publish_id(sandbox)
    assert data == {
        "publish_id": publish_id,
        "status": "PROCESSING_UPLOAD",
        "source": "FILE_UPLOAD",
        "video_size": SMALL_SIZE,
        "chunk_count": 1,
        "content_type": "video/mp4",
        "creator_nickname": "Sandbox Creator",
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "forced_settings": [],
        "published": False,
        "failed": False,
        "is_final": False,
        "fail_reason": None,
        "publicaly_available_post_id": [],
        "post_id": None,
        "post_url": None,
        "share_url": None,
        "embed_link": None,
        "cover_image_url": None,
        "missing_scopes": [],
        "explanation": "TikTok is processing the video; the post appears for everyone within a few minutes: run Get "
        "Post Status with the publish_id to follow it.",
    }
    assert len(sandbox.calls("creator_info")) == 1
    [init] = sandbox.calls("video_init")
    assert init.json == {
        "post_info": {
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": True,
            "disable_duet": True,
            "disable_stitch": True,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
            "title": "Launch day 🎉 #fyp",
            "is_aigc": True,
        },
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": SMALL_SIZE,
            "chunk_size": SMALL_SIZE,
            "total_chunk_count": 1,
        },
    }
    upload = sandbox.upload_for(publish_id)
    assert upload.complete and upload.sha256 == SMALL_SHA
    assert [(c.content_range, c.content_length, c.content_type, c.status, c.authorization) for c in upload.chunks] == [
        (SMALL_RANGE, str(SMALL_SIZE), "video/mp4", 201, None)
    ]

    status = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 5}, context)
    )
    post_ids = status["publicaly_available_post_id"]
    assert status["status"] == "PUBLISH_COMPLETE" and status["is_final"] is True
    assert (status["published"], status["failed"]) == (True, False)
    assert status["waiting_on_user"] is False and status["fail_reason"] is None
    assert len(post_ids) == 1 and re.fullmatch(r"\d{19}", post_ids[0])
    assert post_ids == [str(i) for i in sandbox.publishes[publish_id].public_post_ids]
    assert status["uploaded_bytes"] == SMALL_SIZE
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_draft_reaches_inbox_then_user_posts_it(integration, sandbox, context):
    data = data_of(await integration.execute_action("upload_video_draft", {"files": [inline_file(SMALL_MP4)]}, context))
    publish_id = only_publish_id(sandbox)
    assert data == {
        "publish_id": publish_id,
        "status": "PROCESSING_UPLOAD",
        "source": "FILE_UPLOAD",
        "video_size": SMALL_SIZE,
        "chunk_count": 1,
        "content_type": "video/mp4",
        "published": False,
        "failed": False,
        "explanation": "TikTok is taking the video; the creator then gets a notification in the TikTok app to finish "
        "and post it (status SEND_TO_USER_INBOX): run Get Post Status with the publish_id to follow it.",
    }
    assert sandbox.calls("creator_info") == []
    [init] = sandbox.calls("inbox_init")
    assert init.json == {
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": SMALL_SIZE,
            "chunk_size": SMALL_SIZE,
            "total_chunk_count": 1,
        }
    }
    assert sandbox.upload_for(publish_id).sha256 == SMALL_SHA

    inbox = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 5}, context)
    )
    assert (inbox["status"], inbox["is_final"], inbox["waiting_on_user"]) == ("SEND_TO_USER_INBOX", False, True)
    assert inbox["publicaly_available_post_id"] == []

    post_id = sandbox.user_posts_from_inbox(publish_id)
    done = data_of(await integration.execute_action("get_post_status", {"publish_id": publish_id}, context))
    assert (done["status"], done["is_final"], done["waiting_on_user"]) == ("PUBLISH_COMPLETE", True, False)
    assert done["publicaly_available_post_id"] == [str(post_id)]
    assert re.fullmatch(r"\d{19}", done["publicaly_available_post_id"][0])
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_get_videos_pages_through_the_whole_library(integration, sandbox, context):
    data = data_of(await integration.execute_action("get_videos", {"max_count": 45}, context))
    library = sandbox.account.library
    videos = data["videos"]
    assert [v["id"] for v in videos] == [v["id"] for v in library]
    assert all(isinstance(v["id"], str) and re.fullmatch(r"\d{19}", v["id"]) for v in videos)
    assert data["has_more"] is False
    assert [call.json["max_count"] for call in sandbox.calls("video_list")] == [20, 20, 5]
    # literal engagement rates: (likes + comments + shares) / views * 100, rounded to 2 decimals
    assert {i: videos[i]["engagement_rate"] for i in (0, 1, 4, 13, 20, 44)} == {
        0: 14.0,
        1: 14.98,
        4: 0.0,
        13: 0.0,
        20: 14.5,
        44: 14.42,
    }
    first = videos[0]
    assert (first["view_count"], first["like_count"], first["comment_count"], first["share_count"]) == (150, 21, 0, 0)
    assert first["title"] == "Sandbox clip #1" and first["create_time"] == library[0]["create_time"]
    assert first["cover_image_url"].startswith("https://") and "embed_html" not in first
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_get_videos_default_page_and_cursor_continuation(integration, sandbox, context):
    library = sandbox.account.library
    first = data_of(await integration.execute_action("get_videos", {}, context))
    assert [v["id"] for v in first["videos"]] == [v["id"] for v in library[:20]]
    assert first["has_more"] is True and isinstance(first["cursor"], int)

    second = data_of(await integration.execute_action("get_videos", {"cursor": first["cursor"]}, context))
    assert [v["id"] for v in second["videos"]] == [v["id"] for v in library[20:40]]
    assert sandbox.calls("video_list")[-1].json == {"max_count": 20, "cursor": first["cursor"]}

    rest = data_of(
        await integration.execute_action("get_videos", {"cursor": second["cursor"], "max_count": 100}, context)
    )
    assert [v["id"] for v in rest["videos"]] == [v["id"] for v in library[40:]]
    assert rest["has_more"] is False


async def test_get_video_reports_another_users_id_as_not_found(integration, sandbox, context):
    other = sandbox.add_account(display_name="Somebody Else")
    mine = [sandbox.account.library[0]["id"], sandbox.account.library[1]["id"]]
    theirs = other.library[0]["id"]
    data = data_of(await integration.execute_action("get_video", {"video_ids": [mine[0], theirs, mine[1]]}, context))
    assert [v["id"] for v in data["videos"]] == mine
    assert data["not_found"] == [theirs]
    assert data["videos"][1]["engagement_rate"] == 14.98
    [call] = sandbox.calls("video_query")
    assert call.json == {"filters": {"video_ids": [mine[0], theirs, mine[1]]}}
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_photo_direct_post_then_published(integration, sandbox, context):
    photos = [VERIFIED + "a.jpg", VERIFIED + "b.webp"]
    inputs = {
        "photo_urls": photos,
        "cover_photo": 2,
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "title": "Two photos",
        "caption": "A pair #photo",
        "allow_comments": True,
        "auto_add_music": True,
    }
    data = data_of(await integration.execute_action("create_photo_post", inputs, context))
    publish_id = only_publish_id(sandbox)
    assert data == {
        "publish_id": publish_id,
        "status": "PROCESSING_DOWNLOAD",
        "post_mode": "DIRECT_POST",
        "photo_count": 2,
        "creator_nickname": "Sandbox Creator",
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "forced_settings": [],
        "published": False,
        "failed": False,
        "explanation": "TikTok is processing the photos; the post appears for everyone within a few minutes: run Get "
        "Post Status with the publish_id to follow it.",
        "photo_warnings": [],
    }
    assert len(sandbox.calls("creator_info")) == 1
    [init] = sandbox.calls("content_init")
    assert init.json == {
        "media_type": "PHOTO",
        "post_mode": "DIRECT_POST",
        "post_info": {
            "title": "Two photos",
            "description": "A pair #photo",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "disable_comment": False,
            "auto_add_music": True,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
        },
        "source_info": {"source": "PULL_FROM_URL", "photo_images": photos, "photo_cover_index": 1},
    }
    status = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 5}, context)
    )
    assert status["status"] == "PUBLISH_COMPLETE"
    assert [len(p) for p in status["publicaly_available_post_id"]] == [19]
    assert status["downloaded_bytes"] == sandbox.publishes[publish_id].download_size
    assert status["uploaded_bytes"] is None
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_photo_media_upload_goes_to_the_inbox(integration, sandbox, context):
    inputs = {"photo_urls": [VERIFIED + "only.jpg"], "post_mode": "MEDIA_UPLOAD", "title": "Draft photo"}
    data = data_of(await integration.execute_action("create_photo_post", inputs, context))
    publish_id = only_publish_id(sandbox)
    assert data == {
        "publish_id": publish_id,
        "status": "PROCESSING_DOWNLOAD",
        "post_mode": "MEDIA_UPLOAD",
        "photo_count": 1,
        "creator_nickname": None,
        "privacy_level": None,
        "forced_settings": [],
        "published": False,
        "failed": False,
        "explanation": "TikTok is taking the photos; the creator then gets a notification in the TikTok app to finish "
        "and post it (status SEND_TO_USER_INBOX): run Get Post Status with the publish_id to follow it.",
        "photo_warnings": [],
    }
    assert sandbox.calls("creator_info") == []
    [init] = sandbox.calls("content_init")
    assert init.json["post_mode"] == "MEDIA_UPLOAD" and init.json["post_info"] == {"title": "Draft photo"}
    status = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 5}, context)
    )
    assert (status["status"], status["waiting_on_user"]) == ("SEND_TO_USER_INBOX", True)


@pytest.mark.parametrize("sandbox", [{"private": True, "comment_disabled": True}], indirect=True)
async def test_interactions_the_creator_switched_off_are_forced_and_reported(integration, sandbox, context):
    inputs = {
        "video_url": VERIFIED + "clip.mp4",
        "pull_from_url": True,
        "privacy_level": "FOLLOWER_OF_CREATOR",
        "allow_comments": True,
        "allow_duet": True,
        "allow_stitch": True,
    }
    data = data_of(await integration.execute_action("create_video_post", inputs, context))
    assert data["status"] == "PROCESSING_DOWNLOAD" and data["source"] == "PULL_FROM_URL"
    assert sorted(data["forced_settings"]) == ["allow_comments", "allow_duet", "allow_stitch"]
    [init] = sandbox.calls("video_init")
    assert init.json["source_info"] == {"source": "PULL_FROM_URL", "video_url": VERIFIED + "clip.mp4"}
    post_info = init.json["post_info"]
    assert (post_info["disable_comment"], post_info["disable_duet"], post_info["disable_stitch"]) == (True, True, True)
    assert sandbox.calls("upload") == [] and all("Range" in c.headers for c in sandbox.calls("download"))


async def test_connected_account(integration, sandbox, context):
    result = await integration.get_connected_account(context)
    assert result.type == ResultType.CONNECTED_ACCOUNT
    info = result.result
    assert (info.user_id, info.username, info.first_name, info.last_name) == (
        sandbox.account.open_id,
        "sandbox.creator",
        "Sandbox",
        "Creator",
    )
    assert info.avatar_url == sandbox.account.avatar_large_url
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_connected_account_with_a_dead_token_raises_in_words(integration, sandbox):
    """Through the real SDK: the platform gets a clear exception (and caches nothing), never an empty account."""
    async with make_context(UNKNOWN_TOKEN) as ctx:
        with pytest.raises(Exception, match=r"^Could not read the connected TikTok account\. TikTok error ") as raised:
            await integration.get_connected_account(ctx)
    assert "access_token_invalid" in str(raised.value) and UNKNOWN_TOKEN not in str(raised.value)


# ---------------------------------------------------------------------------------------------------------------------
# 2. Multi-chunk uploads: the bytes TikTok received are the bytes we generated
# ---------------------------------------------------------------------------------------------------------------------


def assert_big_upload(sb: TikTokSandbox, publish_id: str, expected: Media, content_type="video/mp4") -> None:
    upload = sb.upload_for(publish_id)
    assert upload.complete
    assert upload.sha256 == expected.sha256
    assert upload.received == BIG_SIZE
    assert [c.content_range for c in upload.chunks] == BIG_RANGES
    assert [c.content_length for c in upload.chunks] == BIG_LENGTHS
    assert [c.status for c in upload.chunks] == BIG_STATUSES
    assert {c.content_type for c in upload.chunks} == {content_type}
    assert {c.authorization for c in upload.chunks} == {None}


async def test_big_inline_base64_goes_in_seven_chunks(integration, sandbox, context, big_mp4, big_mp4_base64):
    file = {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}
    inputs = {"file": file, "privacy_level": "SELF_ONLY"}
    data = data_of(await integration.execute_action("create_video_post", inputs, context))
    assert (data["video_size"], data["chunk_count"], data["content_type"]) == (BIG_SIZE, 7, "video/mp4")
    [init] = sandbox.calls("video_init")
    assert init.json["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 70_000_123,
        "chunk_size": 10_000_000,
        "total_chunk_count": 7,
    }
    assert_big_upload(sandbox, data["publish_id"], big_mp4)
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "spooled"])
async def test_big_link_is_downloaded_and_uploaded_intact(integration, sandbox, context, big_mp4, send_length):
    url = sandbox.host_file(
        "https://cdn.example.com/big.mp4?X-Amz-Expires=300&X-Amz-Signature=abc123",
        big_mp4.data,
        send_length=send_length,
    )
    data = data_of(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    assert (data["source"], data["video_size"], data["chunk_count"]) == ("FILE_UPLOAD", BIG_SIZE, 7)
    assert_big_upload(sandbox, data["publish_id"], big_mp4)
    [download] = sandbox.calls("download")
    assert download.query == {"X-Amz-Expires": "300", "X-Amz-Signature": "abc123"}
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_pre_signed_link_keeps_its_exact_encoding(integration, sandbox, context):
    # Re-encoding %2F or %3D in a signed query would break the signature; the sandbox serves only the exact link.
    video = TikTokSandbox.make_mp4(300_000)
    url = sandbox.host_file(
        "https://bucket.example.com/v.mp4?X-Amz-Credential=AKIA%2F20261121%2Fus-east-1&X-Amz-Signature=ab%3Dcd", video
    )
    inputs = {"file": {"name": "v.mp4", "contentType": "video/mp4", "url": url}}
    data = data_of(await integration.execute_action("upload_video_draft", inputs, context))
    assert sandbox.upload_for(data["publish_id"]).sha256 == hashlib.sha256(video).hexdigest()


async def test_big_link_behind_a_redirect(integration, sandbox, context, big_mp4):
    target = sandbox.host_file("https://files.example.net/real/big.mp4", big_mp4.data)
    short = sandbox.host_file("https://short.example.org/v/123", b"", redirect_to=target)
    inputs = {"file": {"name": "big.mp4", "contentType": "video/mp4", "url": short}, "privacy_level": "SELF_ONLY"}
    data = data_of(await integration.execute_action("create_video_post", inputs, context))
    assert_big_upload(sandbox, data["publish_id"], big_mp4)
    downloads = sandbox.calls("download")
    assert [(d.url, d.status) for d in downloads] == [
        ("https://short.example.org/v/123", 302),
        ("https://files.example.net/real/big.mp4", 200),
    ]
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


@pytest.mark.parametrize(
    "make,content_type,name",
    [(TikTokSandbox.make_mov, "video/quicktime", "clip.mov"), (TikTokSandbox.make_webm, "video/webm", "clip.webm")],
    ids=["mov", "webm"],
)
async def test_mov_and_webm_multi_chunk(integration, sandbox, context, make, content_type, name):
    expected = media(make(MID_SIZE))
    url = sandbox.host_file(f"https://cdn.example.com/{name}", expected.data, content_type="application/octet-stream")
    inputs = {"file": {"name": name, "contentType": "application/octet-stream", "url": url}}
    data = data_of(await integration.execute_action("upload_video_draft", inputs, context))
    assert (data["content_type"], data["video_size"], data["chunk_count"]) == (content_type, MID_SIZE, 6)
    upload = sandbox.upload_for(data["publish_id"])
    assert upload.complete and upload.sha256 == expected.sha256
    assert [c.content_range for c in upload.chunks] == MID_RANGES
    assert [c.content_length for c in upload.chunks] == ["10000000"] * 5 + ["15000000"]
    assert {c.content_type for c in upload.chunks} == {content_type}
    assert [c.status for c in upload.chunks] == [206] * 5 + [201]


@pytest.mark.parametrize(
    "make,content_type", [(TikTokSandbox.make_mov, "video/quicktime"), (TikTokSandbox.make_webm, "video/webm")]
)
async def test_small_inline_mov_and_webm(integration, sandbox, context, make, content_type):
    expected = media(make(300_000))
    data = data_of(
        await integration.execute_action("upload_video_draft", {"file": inline_file(expected.data)}, context)
    )
    upload = sandbox.upload_for(data["publish_id"])
    assert data["content_type"] == content_type
    assert upload.sha256 == expected.sha256
    assert [(c.content_range, c.content_type) for c in upload.chunks] == [("bytes 0-299999/300000", content_type)]


# ---------------------------------------------------------------------------------------------------------------------
# 3. Links refused before anything is posted
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host,reason",
    [
        ("127.0.0.1", "loopback"),
        ("2130706433", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("10.20.30.40", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "link-local"),
        ("[fe80::1]", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0.", "unspecified"),  # fully qualified form of 0.0.0.0
        ("100.64.0.1", "non-public"),
    ],
)
async def test_links_to_non_public_addresses_are_refused_without_any_request(
    integration, sandbox, context, host, reason
):
    inputs = {"video_url": f"https://{host}/video.mp4", "privacy_level": "SELF_ONLY"}
    refused(await integration.execute_action("create_video_post", inputs, context), reason, "address")
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "url,reason",
    [
        ("http://cdn.example.com/v.mp4", "https://"),
        ("https://user:secret@cdn.example.com/v.mp4", "password"),
    ],
)
async def test_insecure_or_credentialed_file_links_are_refused(integration, sandbox, context, url, reason):
    inputs = {"file": {"name": "v.mp4", "contentType": "video/mp4", "url": url}}
    message = refused(await integration.execute_action("upload_video_draft", inputs, context), reason)
    assert "secret" not in message
    assert sandbox.requests == []


async def test_plain_http_video_url_is_refused_in_words(integration, sandbox, context):
    inputs = {"video_url": "http://cdn.example.com/v.mp4", "privacy_level": "SELF_ONLY"}
    result = await integration.execute_action("create_video_post", inputs, context)
    assert result.type == ResultType.ACTION_ERROR
    assert result.result.message == "The video link must start with https://. Give a secure link; nothing was posted."
    assert sandbox.requests == []


async def test_redirect_to_a_private_address_is_refused(integration, sandbox, context):
    url = sandbox.host_file("https://cdn.example.com/jump.mp4", b"", redirect_to="https://10.0.0.1/x.mp4")
    refused(await integration.execute_action("upload_video_draft", {"video_url": url}, context), "private")
    assert [d.url for d in sandbox.calls("download")] == [url]
    assert_nothing_sent(sandbox)


async def test_broken_download_after_init_posts_nothing(integration, sandbox, context, big_mp4):
    url = sandbox.host_file("https://cdn.example.com/flaky.mp4", big_mp4.data, break_after=25_000_000)
    message = refused(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    assert "nothing was posted" in message.lower()
    upload = sandbox.upload_for(only_publish_id(sandbox))
    assert not upload.complete
    assert upload.received < BIG_SIZE


async def test_broken_download_without_length_posts_nothing(integration, sandbox, context, big_mp4):
    url = sandbox.host_file("https://cdn.example.com/flaky.mp4", big_mp4.data, send_length=False, break_after=3_000_000)
    message = refused(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    assert "nothing was posted" in message.lower()
    assert_nothing_sent(sandbox)


async def test_download_answering_404_is_refused(integration, sandbox, context):
    url = sandbox.host_file("https://cdn.example.com/gone.mp4", b"Not Found", content_type="text/plain", status=404)
    refused(await integration.execute_action("upload_video_draft", {"video_url": url}, context), "404")
    assert_nothing_sent(sandbox)


async def test_linked_file_that_is_not_a_video_is_refused_before_init(integration, sandbox, context):
    url = sandbox.host_file("https://cdn.example.com/notes.mp4", b"%PDF-1.7\n" + bytes(5000), content_type="video/mp4")
    inputs = {"video_url": url, "privacy_level": "PUBLIC_TO_EVERYONE"}
    refused(await integration.execute_action("create_video_post", inputs, context), "MP4, MOV or WebM")
    assert_nothing_sent(sandbox)


async def test_linked_video_longer_than_the_creator_may_post_is_refused_before_init(integration, sandbox, context):
    sandbox.account.max_video_post_duration_sec = 60
    url = sandbox.host_file("https://cdn.example.com/long.mp4", TikTokSandbox.make_mp4(400_000, duration_s=61.5))
    inputs = {"video_url": url, "privacy_level": "PUBLIC_TO_EVERYONE"}
    refused(await integration.execute_action("create_video_post", inputs, context), "61.5", "60")
    assert len(sandbox.calls("creator_info")) == 1
    assert_nothing_sent(sandbox)


async def test_linked_video_at_the_duration_limit_is_posted(integration, sandbox, context):
    sandbox.account.max_video_post_duration_sec = 60
    url = sandbox.host_file("https://cdn.example.com/ok.mp4", TikTokSandbox.make_mp4(400_000, duration_s=60))
    inputs = {"video_url": url, "privacy_level": "PUBLIC_TO_EVERYONE"}
    data = data_of(await integration.execute_action("create_video_post", inputs, context))
    assert sandbox.upload_for(data["publish_id"]).complete


@pytest.mark.parametrize("kind", ["timeout", "disconnect", "502_html"])
async def test_download_failing_before_any_byte_posts_nothing(integration, sandbox, context, kind):
    url = sandbox.host_file("https://cdn.example.com/clip.mp4", SMALL_MP4)
    sandbox.inject("download", kind)
    message = refused(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    assert "nothing was posted" in message.lower() and "html" not in message.lower()
    assert len(sandbox.calls("download")) == 1
    assert_nothing_sent(sandbox)


async def test_redirect_chain_longer_than_three_hops_is_refused(integration, sandbox, context):
    hops = [f"https://hop{n}.example.com/v.mp4" for n in range(5)]
    for here, there in zip(hops, hops[1:]):
        sandbox.host_file(here, b"", redirect_to=there)
    sandbox.host_file(hops[-1], SMALL_MP4)
    refused(await integration.execute_action("upload_video_draft", {"video_url": hops[0]}, context), "redirect")
    assert [d.url for d in sandbox.calls("download")] == hops[:4]
    assert_nothing_sent(sandbox)


async def test_redirect_chain_of_three_hops_is_followed(integration, sandbox, context):
    hops = [f"https://hop{n}.example.com/v.mp4" for n in range(4)]
    for here, there in zip(hops, hops[1:]):
        sandbox.host_file(here, b"", redirect_to=there)
    sandbox.host_file(hops[-1], SMALL_MP4)
    data = data_of(await integration.execute_action("upload_video_draft", {"video_url": hops[0]}, context))
    assert sandbox.upload_for(data["publish_id"]).sha256 == SMALL_SHA
    assert_token_only_to_tiktok_api(sandbox, sandbox.token)


async def test_captions_exactly_at_tiktoks_utf16_limits_are_accepted_by_tiktok(integration, sandbox, context):
    title = "a" * 2198 + "\U0001f389"  # 2199 characters, 2200 UTF-16 units
    inputs = {"video_url": VERIFIED + "clip.mp4", "pull_from_url": True, "privacy_level": "SELF_ONLY", "caption": title}
    data_of(await integration.execute_action("create_video_post", inputs, context))
    assert sandbox.calls("video_init")[0].json["post_info"]["title"] == title

    photo_title, description = "b" * 88 + "\U0001f389", "c" * 3998 + "\U0001f389"
    inputs = {
        "photo_urls": [VERIFIED + "a.jpg"],
        "privacy_level": "SELF_ONLY",
        "title": photo_title,
        "caption": description,
    }
    data_of(await integration.execute_action("create_photo_post", inputs, context))
    post_info = sandbox.calls("content_init")[0].json["post_info"]
    assert (post_info["title"], post_info["description"]) == (photo_title, description)


# ---------------------------------------------------------------------------------------------------------------------
# 4. TikTok's documented error codes, produced by the sandbox from its state
# ---------------------------------------------------------------------------------------------------------------------

# (action, inputs, the endpoint that answers first)
EVERY_ENDPOINT = [
    ("get_user_info", {}, "user_info"),
    ("get_creator_info", {}, "creator_info"),
    ("create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}, "creator_info"),
    ("upload_video_draft", {"file": inline_file(SMALL_MP4)}, "inbox_init"),
    ("get_post_status", {"publish_id": "v_pub_file~v2-1.7000000000000000001"}, "status"),
    ("get_videos", {}, "video_list"),
    ("get_video", {"video_ids": ["7000000000000000001"]}, "video_query"),
    ("create_photo_post", {"photo_urls": [VERIFIED + "a.jpg"], "post_mode": "MEDIA_UPLOAD"}, "content_init"),
]


@pytest.mark.parametrize("action,inputs,endpoint", EVERY_ENDPOINT, ids=[c[0] for c in EVERY_ENDPOINT])
async def test_unknown_token_is_access_token_invalid(integration, sandbox, replies, action, inputs, endpoint):
    async with make_context(UNKNOWN_TOKEN) as ctx:
        result = await integration.execute_action(action, inputs, ctx)
    message = tiktok_refused(result, "access_token_invalid", replies, endpoint, "reconnect")
    assert UNKNOWN_TOKEN not in message
    assert [r.endpoint for r in sandbox.requests if r.endpoint != "download"] == [endpoint]  # preflight reads aside
    assert [r.token for r in sandbox.requests if r.endpoint == endpoint] == [UNKNOWN_TOKEN]


SCOPE_CASES = [
    ("video.publish", "get_creator_info", {}, "creator_info"),
    (
        "video.publish",
        "create_video_post",
        {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"},
        "creator_info",
    ),
    (
        "video.publish",
        "create_photo_post",
        {"photo_urls": [VERIFIED + "a.jpg"], "privacy_level": "SELF_ONLY"},
        "creator_info",
    ),
    ("video.upload", "upload_video_draft", {"file": inline_file(SMALL_MP4)}, "inbox_init"),
    (
        "video.upload",
        "create_photo_post",
        {"photo_urls": [VERIFIED + "a.jpg"], "post_mode": "MEDIA_UPLOAD"},
        "content_init",
    ),
    ("video.list", "get_videos", {}, "video_list"),
    ("video.list", "get_video", {"video_ids": ["7000000000000000001"]}, "video_query"),
]


@pytest.mark.parametrize("missing,action,inputs,endpoint", SCOPE_CASES, ids=[f"{c[1]}-{c[0]}" for c in SCOPE_CASES])
async def test_token_without_the_scope_is_scope_not_authorized(
    integration, sandbox, replies, missing, action, inputs, endpoint
):
    sandbox.add_token(LIMITED_TOKEN, scopes=[s for s in ALL_SCOPES if s != missing], account=sandbox.account)
    async with make_context(LIMITED_TOKEN) as ctx:
        result = await integration.execute_action(action, inputs, ctx)
    tiktok_refused(result, "scope_not_authorized", replies, endpoint)
    assert [r.endpoint for r in sandbox.requests if r.endpoint != "download"] == [endpoint]  # preflight reads aside
    assert sandbox.calls("upload") == []
    assert sandbox.publishes == {}


@pytest.mark.parametrize(
    "sandbox",
    [{}, {"silently_drop_unpermitted_fields": True}],
    ids=["scope_permission_missed", "dropped"],
    indirect=True,
)
@pytest.mark.parametrize(
    "granted,missing",
    [
        (["user.info.basic"], ["user.info.profile", "user.info.stats"]),
        (["user.info.basic", "user.info.profile"], ["user.info.stats"]),
        (["user.info.basic", "user.info.stats"], ["user.info.profile"]),
    ],
    ids=["basic-only", "no-stats", "no-profile"],
)
async def test_get_user_info_degrades_when_scopes_are_missing(integration, sandbox, granted, missing):
    sandbox.add_token(LIMITED_TOKEN, scopes=granted, account=sandbox.account)
    async with make_context(LIMITED_TOKEN) as ctx:
        data = data_of(await integration.execute_action("get_user_info", {}, ctx))
    assert data["missing_scopes"] == missing
    assert (data["open_id"], data["display_name"]) == (sandbox.account.open_id, "Sandbox Creator")
    assert data["avatar_large_url"] == sandbox.account.avatar_large_url
    profile = ("username", "bio_description", "profile_deep_link", "profile_web_link", "is_verified")
    stats = ("follower_count", "following_count", "likes_count", "video_count")
    if "user.info.profile" in missing:
        assert all(data[f] is None for f in profile)
    else:
        assert (data["username"], data["is_verified"]) == ("sandbox.creator", False)
    if "user.info.stats" in missing:
        assert all(data[f] is None for f in stats)
    else:
        assert (data["follower_count"], data["video_count"]) == (1234, 45)
    assert {r.token for r in sandbox.requests} == {LIMITED_TOKEN}


@pytest.mark.parametrize(
    "setting,value,code",
    [
        ("posts_last_24h", 15, "spam_risk_too_many_posts"),
        ("banned", True, "spam_risk_user_banned_from_posting"),
    ],
)
@pytest.mark.parametrize(
    "action,inputs",
    [
        ("create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "PUBLIC_TO_EVERYONE"}),
        ("create_photo_post", {"photo_urls": [VERIFIED + "a.jpg"], "privacy_level": "PUBLIC_TO_EVERYONE"}),
    ],
    ids=["video", "photo"],
)
async def test_creator_caps_answered_with_http_200_stop_the_post(
    integration, sandbox, context, replies, setting, value, code, action, inputs
):
    setattr(sandbox.account, setting, value)
    result = await integration.execute_action(action, inputs, context)
    tiktok_refused(result, code, replies, "creator_info")
    [call] = sandbox.calls("creator_info")
    assert call.status == 200
    assert_nothing_sent(sandbox)


@pytest.mark.parametrize("sandbox", [{"active_user_cap": 1}], indirect=True)
async def test_active_user_cap_stops_the_post(integration, sandbox, context, replies):
    sandbox.add_token(OTHER_TOKEN)
    async with make_context(OTHER_TOKEN) as other:
        data_of(await post_from_link(integration, other, VERIFIED + "theirs.mp4"))
    result = await integration.execute_action(
        "create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "PUBLIC_TO_EVERYONE"}, context
    )
    tiktok_refused(result, "reached_active_user_cap", replies, "creator_info")
    mine = [c for c in sandbox.calls("creator_info") if c.token == sandbox.token]
    assert [c.status for c in mine] == [200]
    assert [c.token for c in sandbox.calls("video_init")] == [OTHER_TOKEN]
    assert sandbox.calls("upload") == []


async def test_banned_account_cannot_send_drafts_either(integration, sandbox, context, replies):
    sandbox.account.banned = True
    result = await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context)
    tiktok_refused(result, "spam_risk_user_banned_from_posting", replies, "inbox_init")
    assert sandbox.calls("upload") == []


@pytest.mark.parametrize("sandbox", [{"audited": False}], indirect=True)
@pytest.mark.parametrize("privacy", ["PUBLIC_TO_EVERYONE", "SELF_ONLY"])
@pytest.mark.parametrize("media_kind", ["video", "photo"])
async def test_unaudited_client_cannot_post_to_a_public_account(
    integration, sandbox, context, replies, privacy, media_kind
):
    if media_kind == "video":
        action, inputs = "create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": privacy}
        endpoint = "video_init"
    else:
        action, inputs = "create_photo_post", {"photo_urls": [VERIFIED + "a.jpg"], "privacy_level": privacy}
        endpoint = "content_init"
    result = await integration.execute_action(action, inputs, context)
    message = refused(result, "unaudited_client_can_only_post_to_private_accounts")
    if sandbox.calls(endpoint):  # TikTok answered (the integration cannot know the app's audit state)
        assert message.endswith(f"(TikTok log_id: {sent_log_id(replies, endpoint)})")
        assert len(sandbox.calls(endpoint)) == 1
    assert sandbox.calls("upload") == [] and sandbox.publishes == {}


@pytest.mark.parametrize("sandbox", [{"audited": False, "private": True}], indirect=True)
async def test_unaudited_client_posts_self_only_to_a_private_account(integration, sandbox, context):
    inputs = {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}
    data = data_of(await integration.execute_action("create_video_post", inputs, context))
    assert sandbox.upload_for(data["publish_id"]).sha256 == SMALL_SHA
    status = data_of(
        await integration.execute_action(
            "get_post_status", {"publish_id": data["publish_id"], "wait_seconds": 5}, context
        )
    )
    assert status["status"] == "PUBLISH_COMPLETE"
    assert status["publicaly_available_post_id"] == []  # a SELF_ONLY post never becomes public


async def test_pull_from_unverified_url_is_url_ownership_unverified(integration, sandbox, context, replies):
    inputs = {"video_url": "https://cdn.unverified.example/v.mp4", "pull_from_url": True, "privacy_level": "SELF_ONLY"}
    result = await integration.execute_action("create_video_post", inputs, context)
    tiktok_refused(result, "url_ownership_unverified", replies, "video_init")
    assert len(sandbox.calls("video_init")) == 1 and all("Range" in c.headers for c in sandbox.calls("download"))


async def test_draft_pull_from_unverified_url_is_url_ownership_unverified(integration, sandbox, context, replies):
    inputs = {"video_url": "https://cdn.unverified.example/v.mp4", "pull_from_url": True}
    result = await integration.execute_action("upload_video_draft", inputs, context)
    tiktok_refused(result, "url_ownership_unverified", replies, "inbox_init")


@pytest.mark.parametrize("mode", ["DIRECT_POST", "MEDIA_UPLOAD"])
async def test_photos_from_unverified_url_are_url_ownership_unverified(integration, sandbox, context, replies, mode):
    inputs = {"photo_urls": [VERIFIED + "a.jpg", "https://images.unverified.example/b.jpg"], "post_mode": mode}
    if mode == "DIRECT_POST":
        inputs["privacy_level"] = "PUBLIC_TO_EVERYONE"
    result = await integration.execute_action("create_photo_post", inputs, context)
    tiktok_refused(result, "url_ownership_unverified", replies, "content_init")
    assert len(sandbox.calls("content_init")) == 1


async def test_privacy_level_not_offered_is_refused_client_side_with_the_options(integration, sandbox, context):
    inputs = {"file": inline_file(SMALL_MP4), "privacy_level": "FOLLOWER_OF_CREATOR"}
    message = refused(await integration.execute_action("create_video_post", inputs, context), "FOLLOWER_OF_CREATOR")
    assert "PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY" in message
    assert len(sandbox.calls("creator_info")) == 1
    assert_nothing_sent(sandbox)


async def test_privacy_level_option_mismatch_from_tiktok(integration, sandbox, context, replies):
    """The creator switches the account to private between creator_info and init: TikTok refuses the init."""
    handle = sandbox.handle

    def flip_after_creator_info(request):
        reply = handle(request)
        if sandbox.requests[-1].endpoint == "creator_info":
            sandbox.account.private = True
        return reply

    sandbox.handle = flip_after_creator_info
    inputs = {"file": inline_file(SMALL_MP4), "privacy_level": "PUBLIC_TO_EVERYONE"}
    result = await integration.execute_action("create_video_post", inputs, context)
    tiktok_refused(result, "privacy_level_option_mismatch", replies, "video_init")
    assert len(sandbox.calls("video_init")) == 1 and sandbox.calls("upload") == []


async def test_sixth_pending_draft_is_spam_risk_too_many_pending_share(integration, sandbox, context, replies):
    for n in range(5):
        inputs = {"video_url": f"{VERIFIED}draft{n}.mp4", "pull_from_url": True}
        data_of(await integration.execute_action("upload_video_draft", inputs, context))
    inputs = {"file": inline_file(SMALL_MP4)}
    result = await integration.execute_action("upload_video_draft", inputs, context)
    tiktok_refused(result, "spam_risk_too_many_pending_share", replies, "inbox_init", "drafts")
    assert len(sandbox.calls("inbox_init")) == 6 and sandbox.calls("upload") == []


async def test_photo_media_upload_needs_a_recent_app(integration, sandbox, context, replies):
    sandbox.account.app_version = "30.0.0"
    inputs = {"photo_urls": [VERIFIED + "a.jpg"], "post_mode": "MEDIA_UPLOAD"}
    result = await integration.execute_action("create_photo_post", inputs, context)
    tiktok_refused(result, "app_version_check_failed", replies, "content_init", "31.8")


async def test_seventh_init_in_a_minute_is_rate_limited_until_the_window_reopens(
    integration, sandbox, context, replies
):
    for n in range(6):
        data_of(await post_from_link(integration, context, f"{VERIFIED}clip{n}.mp4"))
    result = await post_from_link(integration, context, VERIFIED + "clip6.mp4")
    tiktok_refused(result, "rate_limit_exceeded", replies, "video_init")
    assert [c.status for c in sandbox.calls("video_init")] == [200] * 6 + [429]  # the publish was not repeated

    sandbox.advance(61)
    data = data_of(await post_from_link(integration, context, VERIFIED + "clip7.mp4"))
    assert data["status"] == "PROCESSING_DOWNLOAD"
    assert len(sandbox.calls("video_init")) == 8 and len(sandbox.publishes) == 7


async def test_unknown_publish_id_is_invalid_publish_id(integration, sandbox, context, replies):
    inputs = {"publish_id": "v_pub_file~v2-1.7000000000000000001"}
    result = await integration.execute_action("get_post_status", inputs, context)
    tiktok_refused(result, "invalid_publish_id", replies, "status")


async def test_another_accounts_publish_id_is_not_authorized(integration, sandbox, context, replies):
    sandbox.add_token(OTHER_TOKEN)
    async with make_context(OTHER_TOKEN) as other:
        theirs = data_of(await post_from_link(integration, other, VERIFIED + "theirs.mp4"))["publish_id"]
    result = await integration.execute_action("get_post_status", {"publish_id": theirs}, context)
    tiktok_refused(result, "token_not_authorized_for_specified_publish_id", replies, "status")
    assert sandbox.calls("status")[-1].token == sandbox.token


async def _chunk_size_refusal(integration, big_mp4_base64, **settings) -> tuple[str, str]:
    with TikTokSandbox(reject_multi_chunk=True, **settings) as sb:
        seen = watch(sb)
        async with make_context(sb.token) as ctx:
            file = {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}
            result = await integration.execute_action("upload_video_draft", {"file": file}, ctx)
        # One more legal plan is tried after a definite chunk-size refusal, never a third.
        assert len(sb.calls("inbox_init")) == 2 and sb.calls("upload") == []
        return refused(result, "The chunk size is invalid"), sent_log_id(seen, "inbox_init")


async def test_invalid_param_and_invalid_params_get_the_same_advice(integration, big_mp4_base64):
    plural, plural_log = await _chunk_size_refusal(integration, big_mp4_base64)
    singular, singular_log = await _chunk_size_refusal(integration, big_mp4_base64, invalid_param_code="invalid_param")
    assert "invalid_params" in plural and plural.endswith(f"(TikTok log_id: {plural_log})")
    assert "invalid_param" in singular and "invalid_params" not in singular
    assert singular.endswith(f"(TikTok log_id: {singular_log})")
    assert plural.replace("invalid_params", "X").replace(plural_log, "L") == singular.replace(
        "invalid_param", "X"
    ).replace(singular_log, "L")


@pytest.mark.parametrize("sandbox", [{"reject_multi_chunk": True}], indirect=True)
async def test_direct_post_chunk_size_refusal(integration, sandbox, context, replies, big_mp4_base64):
    file = {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}
    result = await integration.execute_action(
        "create_video_post", {"file": file, "privacy_level": "SELF_ONLY"}, context
    )
    tiktok_refused(result, "invalid_params", replies, "video_init", "The chunk size is invalid")
    assert sandbox.calls("upload") == []


# ---------------------------------------------------------------------------------------------------------------------
# 5. Injected faults
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind,failed_status", [("500", 500), ("timeout", None), ("disconnect", None)])
async def test_chunk_failing_once_is_resent(integration, sandbox, context, kind, failed_status):
    sandbox.inject("upload", kind)
    data = data_of(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    puts = sandbox.calls("upload")
    assert [(p.fault, p.status) for p in puts] == [(kind, failed_status), (None, 201)]
    assert {p.headers["Content-Range"] for p in puts} == {SMALL_RANGE}
    upload = sandbox.upload_for(data["publish_id"])
    assert upload.complete and upload.sha256 == SMALL_SHA
    assert [(c.content_range, c.status) for c in upload.chunks] == [(SMALL_RANGE, 201)]
    assert len(sandbox.calls("inbox_init")) == 1


async def test_chunk_failing_twice_succeeds_on_the_third_attempt(integration, sandbox, context):
    sandbox.inject("upload", "500", times=2)
    data = data_of(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    assert [p.status for p in sandbox.calls("upload")] == [500, 500, 201]
    assert sandbox.upload_for(data["publish_id"]).sha256 == SMALL_SHA


async def test_the_last_part_failing_three_times_is_never_called_nothing_posted(integration, sandbox, context):
    sandbox.inject("upload", "500", times=3)  # a fourth attempt would succeed: the integration must stop at three
    message = refused(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    # The last (only) part's bytes went out: the post may exist, so the status is asked before anything is said.
    assert message == (
        "The last part of the video was sent, but TikTok's upload server answered HTTP 500 and TikTok's status does "
        "not show the whole video yet (it shows 0.0 MB of 1.2 MB). TikTok may have received it and may post it, so "
        f"do not run this step again: check Get Post Status with publish_id {only_publish_id(sandbox)} in a few "
        "minutes, and post again only if it reports FAILED."
    )
    assert len(sandbox.calls("upload")) == 3
    assert len(sandbox.calls("status")) == 1
    assert not sandbox.upload_for(only_publish_id(sandbox)).complete


@pytest.mark.parametrize("kind", ["timeout", "disconnect"])
async def test_last_chunk_stored_but_answer_lost_then_416_completes(integration, sandbox, context, kind):
    sandbox.inject("upload", kind, after_receive=True)
    data = data_of(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    upload = sandbox.upload_for(data["publish_id"])
    assert [(c.content_range, c.status) for c in upload.chunks] == [(SMALL_RANGE, 201), (SMALL_RANGE, 416)]
    assert upload.complete and upload.sha256 == SMALL_SHA and upload.received == SMALL_SIZE


@pytest.mark.parametrize(
    "sandbox", [{}, {"progress_as_count": True}], indirect=True, ids=["last-byte-held", "byte-count-held"]
)
async def test_first_of_seven_chunks_stored_but_answer_lost_then_416_and_continue(
    integration, sandbox, context, big_mp4, big_mp4_base64
):
    # §9.4 writes TikTok's progress as `bytes 0-{UPLOADED_BYTES}/{TOTAL}`: N may be the last byte or a count.
    sandbox.inject("upload", "timeout", after_receive=True)
    file = {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}
    data = data_of(await integration.execute_action("upload_video_draft", {"file": file}, context))
    upload = sandbox.upload_for(data["publish_id"])
    assert [c.content_range for c in upload.chunks] == [BIG_RANGES[0], *BIG_RANGES]
    assert [c.status for c in upload.chunks] == [206, 416, *BIG_STATUSES[1:]]
    assert upload.complete and upload.sha256 == big_mp4.sha256 and upload.received == BIG_SIZE


async def test_a_single_chunk_from_a_link_is_held_on_disk_and_resent_intact(integration, sandbox, context, monkeypatch):
    # A whole video of up to 64 MB goes as one chunk; past the in-memory limit it is held in a temporary file.
    monkeypatch.setattr(tiktok_transfer, "IN_MEMORY_CHUNK_MAX", 1_000_000)
    video = TikTokSandbox.make_mp4(3_000_000)
    url = sandbox.host_file("https://cdn.example.com/three.mp4", video)
    sandbox.inject("upload", "500")
    data = data_of(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    puts = [(r.headers["Content-Range"], r.status) for r in sandbox.calls("upload")]
    assert puts == [("bytes 0-2999999/3000000", 500), ("bytes 0-2999999/3000000", 201)]
    assert sandbox.upload_for(data["publish_id"]).sha256 == hashlib.sha256(video).hexdigest()


MiB = 1024 * 1024


@pytest.mark.parametrize(
    "size,source_info,ranges",
    [
        (4_900_000, (4_900_000, 4_900_000, 1), ["bytes 0-4899999/4900000"]),
        (5 * MiB, (5 * MiB, 5 * MiB, 1), ["bytes 0-5242879/5242880"]),
        (12_345_678, (12_345_678, 12_345_678, 1), ["bytes 0-12345677/12345678"]),
        (50_000_123, (50_000_123, 50_000_123, 1), ["bytes 0-50000122/50000123"]),
        (
            64 * MiB + 1,
            (67_108_865, 10_000_000, 6),
            [
                "bytes 0-9999999/67108865",
                "bytes 10000000-19999999/67108865",
                "bytes 20000000-29999999/67108865",
                "bytes 30000000-39999999/67108865",
                "bytes 40000000-49999999/67108865",
                "bytes 50000000-67108864/67108865",
            ],
        ),
    ],
    ids=["4.9MB", "5MiB", "12345678B", "50000123B", "64MiB+1"],
)
async def test_chunk_plan_on_the_wire_for_the_issues_sizes(integration, sandbox, context, size, source_info, ranges):
    video = TikTokSandbox.make_mp4(size)
    url = sandbox.host_file(f"https://cdn.example.com/{size}.mp4", video)
    data = data_of(await integration.execute_action("upload_video_draft", {"video_url": url}, context))
    [init] = sandbox.calls("inbox_init")
    sent = init.json["source_info"]
    assert (sent["video_size"], sent["chunk_size"], sent["total_chunk_count"]) == source_info
    upload = sandbox.upload_for(data["publish_id"])
    assert [c.content_range for c in upload.chunks] == ranges
    last_length = 17_108_865 if len(ranges) > 1 else size  # 67,108,865 - 50,000,000: the remainder rides along
    assert [int(c.content_length) for c in upload.chunks] == [10_000_000] * (len(ranges) - 1) + [last_length]
    assert upload.complete and upload.sha256 == hashlib.sha256(video).hexdigest()


async def test_a_one_byte_file_is_refused_as_not_a_video(integration, sandbox, context):
    result = await integration.execute_action("upload_video_draft", {"file": inline_file(b"\x00")}, context)
    refused(result, "not an MP4, MOV or WebM video")
    assert_nothing_sent(sandbox)


@pytest.mark.parametrize(
    "progress, puts, status_requests",
    [({"Content-Range": "bytes 0-99/300000"}, 2, 1), ({}, 2, 0)],
    ids=["range-not-matching-asks-status", "no-range-settled-by-a-resend"],
)
async def test_a_206_to_a_stored_last_part_is_settled_never_called_nothing_posted(
    integration, sandbox, context, progress, puts, status_requests
):
    # TikTok's media transfer guide: only 201 says TikTok has the whole video. A 206 to the last part is settled by
    # a resend (a 2xx to it means TikTok holds the part) or, when its range is no help, by TikTok's status.
    handle = sandbox.handle

    def last_part_answered_206(request):
        reply = handle(request)
        return Reply(206, b"", "text/plain", progress) if request.method == "PUT" else reply

    sandbox.handle = last_part_answered_206
    data = data_of(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    assert data["status"] == "PROCESSING_UPLOAD" and sandbox.upload_for(data["publish_id"]).complete
    assert (len(sandbox.calls("upload")), len(sandbox.calls("status"))) == (puts, status_requests)


def third_put_says_nothing_arrived(sb: TikTokSandbox) -> None:
    """The 3rd PUT is answered 416 `bytes */total`: TikTok claims to hold nothing, so the upload must restart."""
    handle, seen = sb.handle, []

    def wrapped(request):
        if request.method == "PUT":
            seen.append(request)
            if len(seen) == 3:
                return Reply(416, b"", "text/plain", {"Content-Range": f"bytes */{BIG_SIZE}"})
        return handle(request)

    sb.handle = wrapped


async def test_a_restart_request_rewinds_an_inline_video(integration, sandbox, context, big_mp4, big_mp4_base64):
    third_put_says_nothing_arrived(sandbox)
    file = {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}
    data = data_of(await integration.execute_action("upload_video_draft", {"file": file}, context))
    upload = sandbox.upload_for(data["publish_id"])
    assert upload.complete and upload.sha256 == big_mp4.sha256


async def test_a_restart_request_cannot_rewind_a_link_and_says_so(integration, sandbox, context, big_mp4):
    # The chunks already passed on from a download are gone: the source itself refuses to go back.
    third_put_says_nothing_arrived(sandbox)
    url = sandbox.host_file("https://cdn.example.com/big.mp4", big_mp4.data)
    result = await integration.execute_action("upload_video_draft", {"video_url": url}, context)
    refused(result, "cannot be read again", "nothing was posted")
    assert not sandbox.upload_for(only_publish_id(sandbox)).complete


def fail_nth_put(sb: TikTokSandbox, n: int, kind: str, after_receive: bool) -> None:
    """Make the n-th PUT to the upload host fail (inject() alone always hits the next one)."""
    handle = sb.handle
    seen = 0

    def wrapped(request):
        nonlocal seen
        if request.method == "PUT" and request.url.host == "open-upload.tiktokapis.com":
            seen += 1
            if seen == n:
                sb.inject("upload", kind, after_receive=after_receive)
        return handle(request)

    sb.handle = wrapped


@pytest.mark.parametrize(
    "kind,after_receive", [("500", False), ("disconnect", False), ("timeout", True)], ids=["500", "disconnect", "lost"]
)
@pytest.mark.parametrize("source", ["inline", "link", "spooled"])
async def test_third_of_seven_chunks_failing_is_recovered(
    integration, sandbox, context, big_mp4, big_mp4_base64, source, kind, after_receive
):
    if source == "inline":
        inputs = {"file": {"name": "big.mp4", "contentType": "video/mp4", "content": big_mp4_base64}}
    else:
        url = sandbox.host_file("https://cdn.example.com/big.mp4", big_mp4.data, send_length=source == "link")
        inputs = {"video_url": url}
    fail_nth_put(sandbox, 3, kind, after_receive)
    data = data_of(await integration.execute_action("upload_video_draft", inputs, context))
    upload = sandbox.upload_for(data["publish_id"])
    assert upload.complete and upload.sha256 == big_mp4.sha256 and upload.received == BIG_SIZE
    puts = sandbox.calls("upload")
    assert [p.headers["Content-Range"] for p in puts] == [*BIG_RANGES[:3], *BIG_RANGES[2:]]
    assert [p.fault for p in puts] == [None, None, kind, None, None, None, None, None]
    if after_receive:  # the third chunk was stored, its answer lost: the resend gets 416 and the upload goes on
        assert [c.status for c in upload.chunks] == [206, 206, 206, 416, 206, 206, 206, 201]
    else:
        assert [c.status for c in upload.chunks] == BIG_STATUSES
        assert [c.content_range for c in upload.chunks] == BIG_RANGES


PUBLISH_CASES = [
    ("create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}, "video_init"),
    ("upload_video_draft", {"file": inline_file(SMALL_MP4)}, "inbox_init"),
    ("create_photo_post", {"photo_urls": [VERIFIED + "a.jpg"], "privacy_level": "SELF_ONLY"}, "content_init"),
]


@pytest.mark.parametrize("kind", ["timeout", "disconnect"])
@pytest.mark.parametrize("action,inputs,endpoint", PUBLISH_CASES, ids=[c[2] for c in PUBLISH_CASES])
async def test_publish_request_lost_in_transit_is_not_resent(
    integration, sandbox, context, instant_sdk_backoff, kind, action, inputs, endpoint
):
    sandbox.inject(endpoint, kind)
    refused(await integration.execute_action(action, inputs, context), "not sent again")
    assert len(sandbox.calls(endpoint)) == 1
    assert sandbox.calls("upload") == []


async def test_init_accepted_but_answer_lost_is_not_resent(integration, sandbox, context, instant_sdk_backoff):
    sandbox.inject("video_init", "timeout", after_receive=True)
    inputs = {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}
    refused(await integration.execute_action("create_video_post", inputs, context), "not sent again")
    assert len(sandbox.calls("video_init")) == 1
    assert len(sandbox.publishes) == 1  # TikTok did create it: a resend would have made a second post
    assert sandbox.calls("upload") == []


@pytest.mark.parametrize("action,inputs,endpoint", PUBLISH_CASES, ids=[c[2] for c in PUBLISH_CASES])
async def test_429_on_a_publish_request_is_not_repeated(
    integration, sandbox, context, replies, instant_sdk_backoff, action, inputs, endpoint
):
    sandbox.inject(endpoint, "429")
    result = await integration.execute_action(action, inputs, context)
    tiktok_refused(result, "rate_limit_exceeded", replies, endpoint)
    assert len(sandbox.calls(endpoint)) == 1
    assert sandbox.calls("upload") == [] and sandbox.publishes == {}


READ_CASES = [
    ("get_user_info", {}, "user_info"),
    ("get_creator_info", {}, "creator_info"),
    ("get_videos", {"max_count": 5}, "video_list"),
    ("get_video", {"video_ids": ["7000000000000000001"]}, "video_query"),
    ("get_post_status", None, "status"),
]


async def _read_inputs(integration, sandbox, context, inputs):
    if inputs is not None:
        return inputs
    publish_id = data_of(await post_from_link(integration, context, VERIFIED + "clip.mp4"))["publish_id"]
    return {"publish_id": publish_id}


HIGH_LIMIT_READS = [case for case in READ_CASES if case[2] in ("user_info", "video_list", "video_query")]
LOW_LIMIT_READS = [case for case in READ_CASES if case[2] in ("creator_info", "status")]


@pytest.mark.parametrize("action,inputs,endpoint", HIGH_LIMIT_READS, ids=[c[2] for c in HIGH_LIMIT_READS])
async def test_429_on_a_read_is_retried_and_succeeds(integration, sandbox, context, action, inputs, endpoint):
    inputs = await _read_inputs(integration, sandbox, context, inputs)
    sandbox.inject(endpoint, "429")
    data_of(await integration.execute_action(action, inputs, context))
    assert [c.status for c in sandbox.calls(endpoint)] == [429, 200]


@pytest.mark.parametrize("action,inputs,endpoint", LOW_LIMIT_READS, ids=[c[2] for c in LOW_LIMIT_READS])
async def test_429_on_creator_info_or_status_is_not_retried(
    integration, sandbox, context, replies, action, inputs, endpoint
):
    # 20 and 30 requests a minute: another try within the same minute would only be refused again.
    inputs = await _read_inputs(integration, sandbox, context, inputs)
    before = len(sandbox.calls(endpoint))
    sandbox.inject(endpoint, "429")
    result = await integration.execute_action(action, inputs, context)
    tiktok_refused(result, "rate_limit_exceeded", replies, endpoint)
    assert len(sandbox.calls(endpoint)) == before + 1


async def test_429_on_every_read_attempt_ends_in_a_clear_error(integration, sandbox, context, replies):
    sandbox.inject("video_list", "429", times=50)
    result = await integration.execute_action("get_videos", {}, context)
    tiktok_refused(result, "rate_limit_exceeded", replies, "video_list")
    assert len(sandbox.calls("video_list")) == 3  # the first try and the two retries of READ_RETRY_DELAYS_S


@pytest.mark.parametrize("action,inputs,endpoint", READ_CASES, ids=[c[2] for c in READ_CASES])
async def test_reads_are_tried_again_after_a_network_error(
    integration, sandbox, context, instant_sdk_backoff, action, inputs, endpoint
):
    inputs = await _read_inputs(integration, sandbox, context, inputs)
    sandbox.inject(endpoint, "timeout")
    sandbox.inject(endpoint, "disconnect")
    data_of(await integration.execute_action(action, inputs, context))
    assert [c.fault for c in sandbox.calls(endpoint)][-3:] == ["timeout", "disconnect", None]


@pytest.mark.parametrize(
    "action,inputs,endpoint",
    [
        ("get_user_info", {}, "user_info"),
        ("get_videos", {}, "video_list"),
        ("create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}, "video_init"),
        ("upload_video_draft", {"file": inline_file(SMALL_MP4)}, "inbox_init"),
    ],
    ids=["user_info", "video_list", "video_init", "inbox_init"],
)
async def test_html_502_becomes_a_clean_error(
    integration, sandbox, context, instant_sdk_backoff, action, inputs, endpoint
):
    sandbox.inject(endpoint, "502_html")
    message = refused(await integration.execute_action(action, inputs, context), "502")
    assert "Bad Gateway" not in message and "html" not in message.lower()
    if endpoint in INIT_ENDPOINTS:
        assert len(sandbox.calls(endpoint)) == 1
    assert sandbox.calls("upload") == []


@pytest.mark.parametrize(
    "action,inputs,endpoint",
    [
        ("get_post_status", {"publish_id": "v_pub_file~v2-1.7000000000000000001"}, "status"),
        ("create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}, "video_init"),
    ],
    ids=["status", "video_init"],
)
async def test_500_internal_error_names_the_code(integration, sandbox, context, replies, action, inputs, endpoint):
    sandbox.inject(endpoint, "500")
    tiktok_refused(await integration.execute_action(action, inputs, context), "internal_error", replies, endpoint)
    assert len(sandbox.calls(endpoint)) == 1
    assert sandbox.calls("upload") == []


@pytest.mark.parametrize("sandbox", [{"upload_url_ttl": 0}], indirect=True)
async def test_expired_upload_url_ends_with_a_clear_error(integration, sandbox, context):
    message = refused(await integration.execute_action("upload_video_draft", {"file": inline_file(SMALL_MP4)}, context))
    assert "expired" in message.lower()
    assert [c.status for c in sandbox.calls("upload")] == [403]
    assert not sandbox.upload_for(only_publish_id(sandbox)).complete
    assert len(sandbox.calls("status")) == 1  # the last part's bytes went out: its status settles what happened


# ---------------------------------------------------------------------------------------------------------------------
# 6. get_post_status with wait_seconds
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sandbox,status_requests", [({"processing_polls": 1}, 2), ({"processing_polls": 3}, 4)], indirect=["sandbox"]
)
async def test_wait_returns_at_the_first_final_status(integration, sandbox, context, status_requests):
    publish_id = data_of(await post_from_link(integration, context, VERIFIED + "clip.mp4"))["publish_id"]
    data = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 20}, context)
    )
    assert (data["status"], data["is_final"]) == ("PUBLISH_COMPLETE", True)
    assert len(sandbox.calls("status")) == status_requests
    assert data["downloaded_bytes"] == 10_000_000 and data["uploaded_bytes"] is None


async def test_wait_stops_at_send_to_user_inbox(integration, sandbox, context):
    inputs = {"video_url": VERIFIED + "draft.mp4", "pull_from_url": True}
    publish_id = data_of(await integration.execute_action("upload_video_draft", inputs, context))["publish_id"]
    data = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 20}, context)
    )
    assert (data["status"], data["is_final"], data["waiting_on_user"]) == ("SEND_TO_USER_INBOX", False, True)
    assert len(sandbox.calls("status")) == 2


async def test_without_wait_the_status_is_read_once(integration, sandbox, context):
    publish_id = data_of(await post_from_link(integration, context, VERIFIED + "clip.mp4"))["publish_id"]
    data = data_of(await integration.execute_action("get_post_status", {"publish_id": publish_id}, context))
    assert (data["status"], data["is_final"], data["waiting_on_user"]) == ("PROCESSING_DOWNLOAD", False, False)
    assert len(sandbox.calls("status")) == 1


async def test_failed_publish_returns_at_once_with_its_reason(integration, sandbox, context):
    publish_id = data_of(await post_from_link(integration, context, VERIFIED + "clip.mp4"))["publish_id"]
    sandbox.fail_publish(publish_id, "spam_risk_text")
    data = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 20}, context)
    )
    assert (data["status"], data["is_final"], data["fail_reason"]) == ("FAILED", True, "spam_risk_text")
    assert "spam_risk_text" in data["explanation"]
    assert data["publicaly_available_post_id"] == []
    assert len(sandbox.calls("status")) == 1


async def test_publish_failing_during_processing_is_reported(integration, sandbox, context):
    sandbox.fail_publish(NEXT, "duration_check_failed")
    data = data_of(
        await integration.execute_action(
            "create_video_post", {"file": inline_file(SMALL_MP4), "privacy_level": "SELF_ONLY"}, context
        )
    )
    status = data_of(
        await integration.execute_action(
            "get_post_status", {"publish_id": data["publish_id"], "wait_seconds": 20}, context
        )
    )
    assert (status["status"], status["fail_reason"]) == ("FAILED", "duration_check_failed")
    assert status["uploaded_bytes"] == SMALL_SIZE
    assert len(sandbox.calls("status")) == 2


async def test_pull_from_a_redirecting_link_fails_with_video_pull_failed(integration, sandbox, context):
    sandbox.host_file(VERIFIED + "moved.mp4", b"", redirect_to=VERIFIED + "real.mp4")
    publish_id = data_of(await post_from_link(integration, context, VERIFIED + "moved.mp4"))["publish_id"]
    data = data_of(
        await integration.execute_action("get_post_status", {"publish_id": publish_id, "wait_seconds": 20}, context)
    )
    assert (data["status"], data["is_final"], data["fail_reason"]) == ("FAILED", True, "video_pull_failed")
    # TikTok pulls it; the integration only read its head for the preflight
    assert all("Range" in c.headers for c in sandbox.calls("download"))


@pytest.mark.parametrize("sandbox", [{"check_media": True}], indirect=True)
async def test_pulled_video_too_long_is_refused_before_the_init(integration, sandbox, context):
    sandbox.host_file(VERIFIED + "long.mp4", TikTokSandbox.make_mp4(5000, duration_s=601))
    result = await post_from_link(integration, context, VERIFIED + "long.mp4")
    refused(result, "601.0 seconds", "at most 600", "nothing was posted")
    assert sandbox.calls("video_init") == []
