"""Tests of the TikTok sandbox itself, rule by rule against /work/shared/docs/tiktok-api.md.

Every test drives the sandbox with a plain aiohttp.ClientSession, sends exact HTTP requests and checks the exact
status, JSON and headers, so a sandbox that drifts from the documented API fails here first.
"""

import ast
import asyncio
import hashlib
import json
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from sandbox import TikTokSandbox
from sandbox.media import frame_rate, make_jpeg, make_mov, make_mp4, make_png, make_webm, photo_format, probe
from sandbox.playground import STEP_S, open_playground, reset_playground, save_playground
from sandbox.samples import SAMPLE_BASE, SAMPLES, sample_bytes, write_samples
from sandbox.state import DEFAULT_EPOCH, USER_FIELD_SCOPES, VIDEO_FIELDS, Account

pytestmark = pytest.mark.unit

API = "https://open.tiktokapis.com"
TOKEN = "act.sandbox-demo"  # nosec B105
OTHER_TOKEN = "act.other-user"  # nosec B105
SHORT_TOKEN = "act.short-lived"  # nosec B105
SAME_USER_TOKEN = "act.same-user"  # nosec B105
STRAY_TOKEN = "whatever"  # nosec B105
MiB = 1024 * 1024
VERIFIED = "https://media.sandbox.example/verified/"
PUBLISH_ID = re.compile(r"^(v_pub_file|v_pub_url|v_inbox_file|v_inbox_url|p_pub_url|p_inbox_url)~v2-1\.\d{19}$")


# ---------------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Resp:
    status: int
    headers: CIMultiDictProxy
    body: Any  # parsed JSON, or None
    raw: bytes

    @property
    def code(self) -> str:
        return self.body["error"]["code"]

    @property
    def data(self) -> dict:
        return self.body["data"]


@pytest.fixture
def sb():
    with TikTokSandbox() as sandbox:
        yield sandbox


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def send(http, method, url, **kwargs) -> Resp:
    async with http.request(method, url, **kwargs) as response:
        raw = await response.read()
        body = json.loads(raw) if raw and response.content_type == "application/json" else None
        return Resp(response.status, response.headers, body, raw)


async def api(http, method, path, *, token=TOKEN, headers=None, **kwargs) -> Resp:
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await send(http, method, API + path, headers=headers, **kwargs)


async def user_info(http, fields, token=TOKEN) -> Resp:
    return await api(http, "GET", "/v2/user/info/", params={"fields": fields}, token=token)


def file_source(size, chunk=None, count=None) -> dict:
    chunk = size if chunk is None else chunk
    count = size // chunk if count is None else count
    return {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": count}


def url_source(url=VERIFIED + "clip.mp4") -> dict:
    return {"source": "PULL_FROM_URL", "video_url": url}


async def video_init(http, source_info, privacy="PUBLIC_TO_EVERYONE", token=TOKEN, **post_info) -> Resp:
    if privacy is not None:
        post_info["privacy_level"] = privacy
    body = {"post_info": post_info, "source_info": source_info}
    return await api(http, "POST", "/v2/post/publish/video/init/", json=body, token=token)


async def inbox_init(http, source_info, token=TOKEN) -> Resp:
    return await api(http, "POST", "/v2/post/publish/inbox/video/init/", json={"source_info": source_info}, token=token)


async def photo_init(http, mode="DIRECT_POST", images=None, cover=0, token=TOKEN, media_type="PHOTO", **post_info):
    if mode == "DIRECT_POST":
        post_info.setdefault("privacy_level", "PUBLIC_TO_EVERYONE")
    body = {
        "media_type": media_type,
        "post_mode": mode,
        "post_info": post_info,
        "source_info": {
            "source": "PULL_FROM_URL",
            "photo_images": [VERIFIED + "a.webp", VERIFIED + "b.webp"] if images is None else images,
            "photo_cover_index": cover,
        },
    }
    return await api(http, "POST", "/v2/post/publish/content/init/", json=body, token=token)


async def status(http, publish_id, token=TOKEN) -> Resp:
    return await api(http, "POST", "/v2/post/publish/status/fetch/", json={"publish_id": publish_id}, token=token)


async def put(http, url, data, first, last, total, content_type="video/mp4", headers=None) -> Resp:
    headers = {"Content-Type": content_type, "Content-Range": f"bytes {first}-{last}/{total}", **(headers or {})}
    return await send(http, "PUT", url, data=data, headers=headers)


async def upload_whole(http, upload_url, data) -> Resp:
    return await put(http, upload_url, data, 0, len(data) - 1, len(data))


async def posted_video(http, data, privacy="PUBLIC_TO_EVERYONE") -> str:
    init = await video_init(http, file_source(len(data)), privacy)
    assert init.code == "ok"
    assert (await upload_whole(http, init.data["upload_url"], data)).status == 201
    return init.data["publish_id"]


# ---------------------------------------------------------------------------------------------------------------------
# §0 envelope, hosts, routing
# ---------------------------------------------------------------------------------------------------------------------


async def test_envelope_and_fresh_deterministic_log_ids(sb, http):
    first = await user_info(http, "open_id")
    second = await user_info(http, "open_id")
    assert first.status == 200
    assert first.headers["Content-Type"] == "application/json"
    assert set(first.body) == {"data", "error"}
    assert first.body["error"] == {"code": "ok", "message": "", "log_id": "2026112100000000000000000000000001"}
    assert second.body["error"]["log_id"] == "2026112100000000000000000000000002"
    assert len(first.body["error"]["log_id"]) == 34
    assert first.headers["X-Tt-Logid"] == first.body["error"]["log_id"]


async def test_paths_need_trailing_slash_and_right_method(sb, http):
    missing_slash = await api(http, "GET", "/v2/user/info", params={"fields": "open_id"})
    wrong_method = await api(http, "GET", "/v2/video/list/", params={"fields": "id"})
    assert (missing_slash.status, missing_slash.code) == (404, "not_found")
    assert (wrong_method.status, wrong_method.code) == (404, "not_found")
    assert sb.requests[0].endpoint == "unknown"


async def test_no_real_network(sb, http):
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, "GET", "https://example.com/")
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, "POST", "https://hooks.example.org/x", json={})
    assert [r.endpoint for r in sb.requests] == ["download", "external"]
    assert sb.requests[0].status is None


async def test_context_manager_patches_and_restores_aiohttp():
    original = aiohttp.ClientSession._request
    async with TikTokSandbox() as sandbox:
        assert aiohttp.ClientSession._request is not original
        async with aiohttp.ClientSession() as session:
            assert (await user_info(session, "open_id")).status == 200
    assert aiohttp.ClientSession._request is original
    assert sandbox._mock.requests == {}  # aioresponses' own deep-copying recorder stays off


# ---------------------------------------------------------------------------------------------------------------------
# §1.2 / §3 tokens and scopes
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer act.unknown", "Basic act.sandbox-demo", "Bearer "])
async def test_missing_or_unknown_token_is_401(sb, http, header):
    headers = {} if header is None else {"Authorization": header}
    resp = await api(http, "GET", "/v2/user/info/", params={"fields": "open_id"}, token=None, headers=headers)
    assert (resp.status, resp.code, resp.data) == (401, "access_token_invalid", {})


async def test_expired_and_revoked_tokens_are_401(sb, http):
    sb.add_token(SHORT_TOKEN, expires_in=60, account=sb.account)
    assert (await user_info(http, "open_id", token=SHORT_TOKEN)).status == 200
    sb.advance(60)
    assert (await user_info(http, "open_id", token=SHORT_TOKEN)).code == "access_token_invalid"
    sb.revoke_token(TOKEN)
    assert (await user_info(http, "open_id")).code == "access_token_invalid"


SCOPE_CASES = [
    ("GET", "/v2/user/info/", {"fields": "open_id"}, None, {"user.info.profile", "user.info.stats"}),
    ("POST", "/v2/post/publish/creator_info/query/", None, None, {"video.upload"}),
    ("POST", "/v2/post/publish/video/init/", None, {}, {"video.upload"}),
    ("POST", "/v2/post/publish/inbox/video/init/", None, {}, {"video.publish"}),
    ("POST", "/v2/post/publish/content/init/", None, {}, {"user.info.basic"}),
    ("POST", "/v2/post/publish/status/fetch/", None, {"publish_id": "x"}, {"video.list"}),
    ("POST", "/v2/video/list/", {"fields": "id"}, {}, {"video.publish"}),
    ("POST", "/v2/video/query/", {"fields": "id"}, {"filters": {"video_ids": ["1"]}}, {"video.upload"}),
]


@pytest.mark.parametrize("method,path,params,body,scopes", SCOPE_CASES)
async def test_missing_endpoint_scope_is_401(sb, http, method, path, params, body, scopes):
    sb.add_token(OTHER_TOKEN, scopes=scopes)
    resp = await api(http, method, path, params=params, json=body, token=OTHER_TOKEN)
    assert (resp.status, resp.code) == (401, "scope_not_authorized")


@pytest.mark.parametrize("mode,scope", [("DIRECT_POST", "video.upload"), ("MEDIA_UPLOAD", "video.publish")])
async def test_photo_post_mode_decides_the_scope(sb, http, mode, scope):
    sb.add_token(OTHER_TOKEN, scopes=[scope])
    resp = await photo_init(http, mode, token=OTHER_TOKEN)
    assert (resp.status, resp.code) == (401, "scope_not_authorized")


# ---------------------------------------------------------------------------------------------------------------------
# §4 GET /v2/user/info/
# ---------------------------------------------------------------------------------------------------------------------


async def test_user_info_returns_only_requested_fields(sb, http):
    resp = await user_info(http, "open_id,display_name,follower_count,is_verified")
    assert resp.status == 200
    assert resp.data == {
        "user": {
            "open_id": sb.account.open_id,
            "display_name": "Sandbox Creator",
            "follower_count": 1234,
            "is_verified": False,
        }
    }


async def test_user_info_all_fields(sb, http):
    resp = await user_info(http, ",".join(USER_FIELD_SCOPES))
    user = resp.data["user"]
    assert (
        set(user)
        == set(USER_FIELD_SCOPES)
        == {
            "open_id",
            "union_id",
            "avatar_url",
            "avatar_url_100",
            "avatar_large_url",
            "display_name",
            "bio_description",
            "profile_deep_link",
            "profile_web_link",
            "is_verified",
            "username",
            "follower_count",
            "following_count",
            "likes_count",
            "video_count",
        }
    )
    assert user["video_count"] == 45 and user["username"] == "sandbox.creator"
    assert all(user[k].startswith("https://") for k in ("avatar_url", "avatar_url_100", "avatar_large_url"))


@pytest.mark.parametrize("fields", [None, "", ",", "open_id,avatar_url_200", "open_id,fps"])
async def test_user_info_fields_required_and_known(sb, http, fields):
    params = {} if fields is None else {"fields": fields}
    resp = await api(http, "GET", "/v2/user/info/", params=params)
    assert (resp.status, resp.code) == (400, "invalid_params")


async def test_user_info_unpermitted_field_is_scope_permission_missed(sb, http):
    sb.add_token(OTHER_TOKEN, scopes=["user.info.basic"])
    resp = await user_info(http, "open_id,follower_count", token=OTHER_TOKEN)
    assert (resp.status, resp.code) == (400, "scope_permission_missed")
    assert "follower_count" in resp.body["error"]["message"]


async def test_user_info_can_silently_drop_unpermitted_fields(http):
    with TikTokSandbox(silently_drop_unpermitted_fields=True, scopes=["user.info.basic"]) as sandbox:
        resp = await user_info(http, "open_id,username,likes_count")
        assert (resp.status, resp.code) == (200, "ok")
        assert resp.data == {"user": {"open_id": sandbox.account.open_id}}


# ---------------------------------------------------------------------------------------------------------------------
# §6 creator_info
# ---------------------------------------------------------------------------------------------------------------------


async def creator_info(http, token=TOKEN) -> Resp:
    return await api(http, "POST", "/v2/post/publish/creator_info/query/", token=token)


async def test_creator_info_public_account(sb, http):
    resp = await creator_info(http)
    assert resp.status == 200 and resp.code == "ok"
    assert resp.data == {
        "creator_avatar_url": sb.account.avatar_url,
        "creator_username": "sandbox.creator",
        "creator_nickname": "Sandbox Creator",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 600,
    }


async def test_creator_info_private_account_forces_duet_and_stitch_off(http):
    with TikTokSandbox(private=True, comment_disabled=True, max_video_post_duration_sec=180):
        data = (await creator_info(http)).data
    assert data["privacy_level_options"] == ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert (data["comment_disabled"], data["duet_disabled"], data["stitch_disabled"]) == (True, True, True)
    assert data["max_video_post_duration_sec"] == 180


@pytest.mark.parametrize(
    "settings,code",
    [
        ({"banned": True}, "spam_risk_user_banned_from_posting"),
        ({"posts_last_24h": 15}, "spam_risk_too_many_posts"),
    ],
)
async def test_creator_info_posting_blocks_answer_http_200(http, settings, code):
    with TikTokSandbox(**settings):
        resp = await creator_info(http)
    assert (resp.status, resp.code, resp.data) == (200, code, {})


async def test_creator_info_active_user_cap_answers_http_200(http):
    with TikTokSandbox(active_user_cap=1) as sandbox:
        sandbox.add_token(OTHER_TOKEN)
        assert (await video_init(http, url_source(), token=OTHER_TOKEN)).code == "ok"
        resp = await creator_info(http)
        assert (resp.status, resp.code, resp.data) == (200, "reached_active_user_cap", {})
        assert (await creator_info(http, token=OTHER_TOKEN)).code == "ok"  # already an active user


# ---------------------------------------------------------------------------------------------------------------------
# §7 / §8 / §10 init responses
# ---------------------------------------------------------------------------------------------------------------------


async def test_init_ids_and_upload_url(sb, http):
    results = {
        "v_pub_file": await video_init(http, file_source(1000)),
        "v_pub_url": await video_init(http, url_source()),
        "v_inbox_file": await inbox_init(http, file_source(1000)),
        "v_inbox_url": await inbox_init(http, url_source()),
        "p_pub_url": await photo_init(http),
        "p_inbox_url": await photo_init(http, "MEDIA_UPLOAD"),
    }
    for prefix, resp in results.items():
        assert (resp.status, resp.code) == (200, "ok")
        publish_id = resp.data["publish_id"]
        assert PUBLISH_ID.match(publish_id) and publish_id.startswith(prefix + "~") and len(publish_id) <= 64
        assert ("upload_url" in resp.data) == prefix.endswith("_file")
    upload_url = results["v_pub_file"].data["upload_url"]
    assert len(upload_url) <= 256
    assert re.fullmatch(
        r"https://open-upload\.tiktokapis\.com/video/\?upload_id=\d+&upload_token=[0-9a-f]+", upload_url
    )


async def test_upload_base_is_configurable(http):
    with TikTokSandbox(upload_base="https://upload.us.tiktokapis.com/upload/"):
        init = await video_init(http, file_source(1000))
        assert init.data["upload_url"].startswith("https://upload.us.tiktokapis.com/upload/?upload_id=")
        assert (await upload_whole(http, init.data["upload_url"], make_mp4(1000))).status == 201


@pytest.mark.parametrize(
    "size,chunk,count",
    [
        (4_194_304, 4_194_304, 1),  # whole-file example of the media transfer guide
        (50_000_123, 10_000_000, 5),  # chunked example: floor(5.0000123)
        (64_000_000, 64_000_000, 1),  # largest single chunk
        (10 * MiB + 5, 5 * MiB, 2),  # smallest chunks, remainder in the last one
        (3 * 64_000_000 + 63_999_999, 64_000_000, 3),  # final chunk just under 128 MB
        (819 * 5 * MiB, 5 * MiB, 819),  # most 5 MiB chunks that fit in 4 GiB
        (4 * 1024**3, 64_000_000, 67),  # 4 GiB
        (200, 200, 1),
    ],
)
async def test_chunk_plans_accepted(sb, http, size, chunk, count):
    resp = await video_init(http, file_source(size, chunk, count))
    assert (resp.status, resp.code) == (200, "ok")


@pytest.mark.parametrize(
    "size,chunk,count",
    [
        (50_000_123, 10_000_000, 6),  # ceil instead of floor
        (20_000_000, 4_000_000, 5),  # chunks under 5 MiB
        (5 * MiB * 2, 5 * MiB - 1, 2),  # floor would be 2, chunk still under 5 MiB
        (4_000_000, 2_000_000, 2),  # a file under 5 MiB must go whole
        (10_000_000, 6_000_000, 1),  # single chunk with chunk_size != video_size
        (64_000_001, 64_000_001, 1),  # over 64 MB needs several chunks
        (200_000_000, 100_000_000, 2),  # chunk over 64 MB
        (1001 * 5 * MiB, 5 * MiB, 1001),  # more than 1000 chunks (and over 4 GiB)
        (4 * 1024**3 + 1, 64_000_000, 67),  # over 4 GiB
        (0, 0, 0),
        (1000, 2000, 0),
    ],
)
async def test_chunk_plans_rejected(sb, http, size, chunk, count):
    resp = await video_init(http, file_source(size, chunk, count))
    assert resp.status == 400
    assert resp.body["error"]["code"] == "invalid_params"
    assert resp.body["error"]["message"] == "The chunk size is invalid"


@pytest.mark.parametrize(
    "source_info",
    [
        {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000},
        {"source": "FILE_UPLOAD", "video_size": 1000.0, "chunk_size": 1000, "total_chunk_count": 1},
        {"source": "FILE_UPLOAD", "video_size": "1000", "chunk_size": 1000, "total_chunk_count": 1},
        {"source": "FILE_UPLOAD", "video_size": True, "chunk_size": 1, "total_chunk_count": 1},
        {"source": "PULL_FROM_URL"},
        {"source": "URL", "video_url": VERIFIED + "a.mp4"},
        {},
    ],
)
async def test_source_info_must_be_well_formed(sb, http, source_info):
    resp = await video_init(http, source_info)
    assert (resp.status, resp.code) == (400, "invalid_params")


async def test_invalid_param_spelling_and_multi_chunk_rejection_are_configurable(http):
    with TikTokSandbox(invalid_param_code="invalid_param", reject_multi_chunk=True):
        multi = await video_init(http, file_source(50_000_123, 10_000_000, 5))
        single = await video_init(http, file_source(64_000_000))
    assert (multi.status, multi.code, multi.body["error"]["message"]) == (
        400,
        "invalid_param",
        "The chunk size is invalid",
    )
    assert single.code == "ok"


async def test_init_needs_a_json_object_body(sb, http):
    path = "/v2/post/publish/video/init/"
    not_json = await api(http, "POST", path, data=b"{oops", headers={"Content-Type": "application/json"})
    text_plain = await api(http, "POST", path, data=json.dumps({"post_info": {}, "source_info": url_source()}))
    array = await api(http, "POST", path, json=[1])
    empty = await api(http, "POST", path)
    no_post_info = await api(http, "POST", path, json={"source_info": url_source()})
    for resp in (not_json, text_plain, array, empty, no_post_info):
        assert (resp.status, resp.code) == (400, "invalid_params")


@pytest.mark.parametrize(
    "title,ok",
    [
        ("a" * 2200, True),
        ("a" * 2201, False),
        ("\U0001f600" * 1100, True),  # an emoji is 2 UTF-16 units
        ("\U0001f600" * 1100 + "a", False),
        ("é" * 2200, True),
    ],
)
async def test_video_title_limit_counts_utf16_units(sb, http, title, ok):
    resp = await video_init(http, url_source(), title=title)
    assert (resp.status, resp.code) == ((200, "ok") if ok else (400, "invalid_params"))


async def test_post_info_types_are_checked(sb, http):
    assert (await video_init(http, url_source(), disable_duet="no")).status == 400
    assert (await video_init(http, url_source(), video_cover_timestamp_ms=1.5)).status == 400
    assert (await video_init(http, url_source(), title=5)).status == 400
    resp = await video_init(http, url_source(), disable_duet=True, brand_content_toggle=False, is_aigc=True)
    assert resp.code == "ok"


async def test_brand_toggles_can_be_required(http):
    with TikTokSandbox(require_brand_toggles=True):
        assert (await video_init(http, url_source())).status == 400
        both = await video_init(http, url_source(), brand_content_toggle=False, brand_organic_toggle=False)
        assert both.code == "ok"
        assert (await inbox_init(http, url_source())).code == "ok"  # inbox video has no post_info


@pytest.mark.parametrize(
    "private,privacy",
    [
        (False, None),
        (False, "FOLLOWER_OF_CREATOR"),
        (True, "PUBLIC_TO_EVERYONE"),
        (False, "public"),
    ],
)
async def test_privacy_level_must_be_a_creator_option(http, private, privacy):
    with TikTokSandbox(private=private):
        video = await video_init(http, url_source(), privacy)
        photo = await photo_init(http, privacy_level=privacy)
    for resp in (video, photo):
        assert (resp.status, resp.code) == (403, "privacy_level_option_mismatch")


@pytest.mark.parametrize(
    "url,ok",
    [
        (VERIFIED + "clip.mp4", True),
        (VERIFIED + "sub/dir/clip.mp4?sig=1", True),
        ("http://media.sandbox.example/verified/clip.mp4", False),  # https only
        ("https://media.sandbox.example/other/clip.mp4", False),  # outside the prefix
        ("https://media.sandbox.example.evil.test/verified/clip.mp4", False),
        ("https://cdn.brand.example/clip.mp4", True),  # verified domain
        ("https://video.cdn.brand.example/clip.mp4", True),  # ... and its subdomains
        ("https://brand.example/clip.mp4", False),  # but not its parent
        ("https://xcdn.brand.example/clip.mp4", False),
    ],
)
async def test_pull_from_url_needs_verified_https_url(http, url, ok):
    with TikTokSandbox(verified_domains=["cdn.brand.example"]):
        video = await video_init(http, url_source(url))
        inbox = await inbox_init(http, url_source(url))
        photo = await photo_init(http, images=[url])
    for resp in (video, inbox, photo):
        assert (resp.status, resp.code) == ((200, "ok") if ok else (403, "url_ownership_unverified"))


async def test_inbox_init_ignores_post_info(sb, http):
    body = {"source_info": file_source(1000), "post_info": {"privacy_level": "nonsense", "title": "x" * 5000}}
    resp = await api(http, "POST", "/v2/post/publish/inbox/video/init/", json=body)
    assert resp.code == "ok"


# ---------------------------------------------------------------------------------------------------------------------
# §12.3 unaudited clients and caps
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "private,privacy,ok",
    [
        (True, "SELF_ONLY", True),
        (True, "MUTUAL_FOLLOW_FRIENDS", False),
        (True, "FOLLOWER_OF_CREATOR", False),
        (False, "SELF_ONLY", False),
        (False, "PUBLIC_TO_EVERYONE", False),
    ],
)
async def test_unaudited_client_posts_self_only_to_private_accounts(http, private, privacy, ok):
    with TikTokSandbox(audited=False, private=private):
        video = await video_init(http, url_source(), privacy)
        photo = await photo_init(http, privacy_level=privacy)
    for resp in (video, photo):
        expected = (200, "ok") if ok else (403, "unaudited_client_can_only_post_to_private_accounts")
        assert (resp.status, resp.code) == expected


async def test_unaudited_client_allows_five_posting_users_per_day(http):
    with TikTokSandbox(audited=False, private=True) as sandbox:
        tokens = [TOKEN] + [f"act.user{i}" for i in range(5)]
        for token in tokens[1:]:
            sandbox.add_token(token, private=True)
        for token in tokens[:5]:
            assert (await video_init(http, url_source(), "SELF_ONLY", token=token)).code == "ok"
        sixth = await video_init(http, url_source(), "SELF_ONLY", token=tokens[5])
        assert (sixth.status, sixth.code) == (403, "reached_active_user_cap")
        assert (await video_init(http, url_source(), "SELF_ONLY", token=tokens[0])).code == "ok"  # already active
        sandbox.advance(24 * 3600)
        assert (await video_init(http, url_source(), "SELF_ONLY", token=tokens[5])).code == "ok"


async def test_daily_direct_post_cap_is_403_on_init(http):
    with TikTokSandbox(rate_limits={"video_init": None, "content_init": None}) as sandbox:
        for _ in range(14):
            assert (await video_init(http, url_source())).code == "ok"
        assert (await photo_init(http)).code == "ok"  # photo direct posts share the cap
        video = await video_init(http, url_source())
        photo = await photo_init(http)
        assert (video.status, video.code) == (403, "spam_risk_too_many_posts")
        assert (photo.status, photo.code) == (403, "spam_risk_too_many_posts")
        assert (await creator_info(http)).code == "spam_risk_too_many_posts"
        assert (await inbox_init(http, url_source())).code == "ok"  # inbox shares are capped separately
        sandbox.advance(24 * 3600)
        assert (await video_init(http, url_source())).code == "ok"


async def test_banned_creator_cannot_init(http):
    with TikTokSandbox(banned=True):
        for resp in (
            await video_init(http, url_source()),
            await inbox_init(http, url_source()),
            await photo_init(http),
            await photo_init(http, "MEDIA_UPLOAD"),
        ):
            assert (resp.status, resp.code) == (403, "spam_risk_user_banned_from_posting")


async def test_active_user_cap_is_403_on_init(http):
    with TikTokSandbox(active_user_cap=1) as sandbox:
        sandbox.add_token(OTHER_TOKEN)
        assert (await video_init(http, url_source())).code == "ok"
        resp = await video_init(http, url_source(), token=OTHER_TOKEN)
        assert (resp.status, resp.code) == (403, "reached_active_user_cap")


async def test_pending_inbox_shares_cap(http):
    with TikTokSandbox(rate_limits={"inbox_init": None}, processing_polls=0) as sandbox:
        ids = [(await inbox_init(http, url_source())).data["publish_id"] for _ in range(4)]
        assert (await photo_init(http, "MEDIA_UPLOAD")).code == "ok"  # photo shares count too
        sixth = await inbox_init(http, url_source())
        assert (sixth.status, sixth.code) == (403, "spam_risk_too_many_pending_share")
        assert (await photo_init(http, "MEDIA_UPLOAD")).code == "spam_risk_too_many_pending_share"
        assert (await status(http, ids[0])).data["status"] == "SEND_TO_USER_INBOX"
        sandbox.user_posts_from_inbox(ids[0])  # no longer pending
        assert (await inbox_init(http, url_source())).code == "ok"


@pytest.mark.parametrize("version,ok", [("31.7.9", False), ("31.8", True), ("31.8.0", True), ("40.0.1", True)])
async def test_photo_media_upload_needs_app_31_8(http, version, ok):
    with TikTokSandbox(app_version=version):
        resp = await photo_init(http, "MEDIA_UPLOAD")
        direct = await photo_init(http)
    assert (resp.status, resp.code) == ((200, "ok") if ok else (400, "app_version_check_failed"))
    assert direct.code == "ok"


# ---------------------------------------------------------------------------------------------------------------------
# §10 photos
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"media_type": "VIDEO"},
        {"mode": "DIRECT POST"},
        {"images": []},
        {"images": [VERIFIED + f"{i}.webp" for i in range(36)]},
        {"images": [VERIFIED + "a.webp", 5]},
        {"cover": 2},
        {"cover": -1},
        {"cover": "0"},
        {"title": "t" * 91},
        {"description": "d" * 4001},
    ],
)
async def test_photo_post_rules(sb, http, kwargs):
    resp = await photo_init(http, **kwargs)
    assert (resp.status, resp.code) == (400, "invalid_params")


async def test_photo_post_limits_accepted(sb, http):
    images = [VERIFIED + f"{i}.webp" for i in range(35)]
    resp = await photo_init(http, images=images, cover=34, title="t" * 90, description="\U0001f600" * 2000)
    assert resp.code == "ok"
    media_upload = await photo_init(http, "MEDIA_UPLOAD", title="draft")  # no privacy_level needed
    assert media_upload.code == "ok"


async def test_photo_source_must_be_pull_from_url(sb, http):
    body = {
        "media_type": "PHOTO",
        "post_mode": "DIRECT_POST",
        "post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "FILE_UPLOAD", "photo_images": [VERIFIED + "a.webp"], "photo_cover_index": 0},
    }
    resp = await api(http, "POST", "/v2/post/publish/content/init/", json=body)
    assert (resp.status, resp.code) == (400, "invalid_params")


# ---------------------------------------------------------------------------------------------------------------------
# §1.3 rate limits
# ---------------------------------------------------------------------------------------------------------------------

LIMITED = [
    ("video_init", "POST", "/v2/post/publish/video/init/", None, 6),
    ("inbox_init", "POST", "/v2/post/publish/inbox/video/init/", None, 6),
    ("content_init", "POST", "/v2/post/publish/content/init/", None, 6),
    ("creator_info", "POST", "/v2/post/publish/creator_info/query/", None, 20),
    ("status", "POST", "/v2/post/publish/status/fetch/", None, 30),
    ("user_info", "GET", "/v2/user/info/", {"fields": "open_id"}, 600),
    ("video_list", "POST", "/v2/video/list/", {"fields": "id"}, 600),
    ("video_query", "POST", "/v2/video/query/", {"fields": "id"}, 600),
]


@pytest.mark.parametrize("endpoint,method,path,params,limit", LIMITED)
async def test_rate_limit_per_token_per_minute(sb, http, endpoint, method, path, params, limit):
    sb.add_token(OTHER_TOKEN)
    for _ in range(limit):
        assert (await api(http, method, path, params=params)).status != 429
    throttled = await api(http, method, path, params=params)
    assert (throttled.status, throttled.code) == (429, "rate_limit_exceeded")
    assert "Retry-After" not in throttled.headers
    assert (await api(http, method, path, params=params, token=OTHER_TOKEN)).status != 429  # per token
    sb.advance(59)
    assert (await api(http, method, path, params=params)).status == 429
    sb.advance(1)
    assert (await api(http, method, path, params=params)).status != 429


async def test_rate_limit_window_slides_and_init_endpoints_count_separately(sb, http):
    for _ in range(3):
        await video_init(http, url_source())
    sb.advance(30)
    for _ in range(3):
        await video_init(http, url_source())
    assert (await video_init(http, url_source())).status == 429
    assert (await inbox_init(http, url_source())).code == "ok"  # its own limit
    sb.advance(30)  # the first three left the window
    for _ in range(3):
        assert (await video_init(http, url_source())).code == "ok"
    assert (await video_init(http, url_source())).status == 429


async def test_custom_clock_drives_time_rules(http):
    now = [1_000_000.0]
    with TikTokSandbox(clock=lambda: now[0]) as sandbox:
        for _ in range(6):
            await video_init(http, url_source())
        assert (await video_init(http, url_source())).status == 429
        now[0] += 60
        assert (await video_init(http, url_source())).code == "ok"
        with pytest.raises(TypeError):
            sandbox.advance(1)


# ---------------------------------------------------------------------------------------------------------------------
# §9 PUT {upload_url}
# ---------------------------------------------------------------------------------------------------------------------


async def test_chunked_upload_worked_example(sb, http):
    size, chunk = 50_000_123, 10_000_000
    data = make_mp4(size)
    init = await video_init(http, file_source(size, chunk, 5))
    url = init.data["upload_url"]
    ranges = [(0, 9_999_999), (10_000_000, 19_999_999), (20_000_000, 29_999_999), (30_000_000, 39_999_999)]
    ranges.append((40_000_000, 50_000_122))
    for i, (first, last) in enumerate(ranges):
        resp = await put(http, url, data[first : last + 1], first, last, size)
        assert resp.status == (201 if i == 4 else 206)
        assert resp.headers["Content-Range"] == f"bytes 0-{last}/{size}"
        assert "Retry-After" not in resp.headers
    upload = sb.upload_for(init.data["publish_id"])
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.received == size and upload.complete
    assert [c.content_range for c in upload.chunks] == [f"bytes {a}-{b}/{size}" for a, b in ranges]
    assert [c.content_length for c in upload.chunks] == ["10000000"] * 4 + ["10000123"]
    assert [c.status for c in upload.chunks] == [206, 206, 206, 206, 201]
    assert {c.content_type for c in upload.chunks} == {"video/mp4"}


@pytest.mark.parametrize("content_type", ["video/mp4", "video/quicktime", "video/webm", "VIDEO/MP4; codecs=avc1"])
async def test_upload_content_types_accepted(sb, http, content_type):
    init = await video_init(http, file_source(1000))
    resp = await put(http, init.data["upload_url"], make_mp4(1000), 0, 999, 1000, content_type=content_type)
    assert resp.status == 201


async def test_upload_header_rules(sb, http):
    data = make_mp4(1000)
    url = (await video_init(http, file_source(1000))).data["upload_url"]
    no_type = await send(http, "PUT", url, data=data, headers={"Content-Range": "bytes 0-999/1000"})
    bad_type = await put(http, url, data, 0, 999, 1000, content_type="application/octet-stream")
    bad_length = await put(http, url, data, 0, 999, 1000, headers={"Content-Length": "999"})
    no_range = await send(http, "PUT", url, data=data, headers={"Content-Type": "video/mp4"})
    bad_range = await send(
        http, "PUT", url, data=data, headers={"Content-Type": "video/mp4", "Content-Range": "bytes=0-999/1000"}
    )
    wrong_total = await put(http, url, data, 0, 999, 1001)
    short_body = await put(http, url, data[:500], 0, 999, 1000)
    for resp in (no_type, bad_type, bad_length, no_range, bad_range, wrong_total, short_body):
        assert resp.status == 400
    assert (await put(http, url, data, 0, 999, 1000)).status == 201  # nothing above was stored


async def test_upload_out_of_order_is_416_with_progress(sb, http):
    size, chunk = 15 * MiB + 7, 5 * MiB
    data = bytes(size)
    url = (await video_init(http, file_source(size, chunk, 3))).data["upload_url"]
    skipped = await put(http, url, data[chunk : 2 * chunk], chunk, 2 * chunk - 1, size)
    assert (skipped.status, skipped.headers["Content-Range"]) == (416, f"bytes */{size}")
    assert (await put(http, url, data[:chunk], 0, chunk - 1, size)).status == 206
    again = await put(http, url, data[:chunk], 0, chunk - 1, size)
    assert (again.status, again.headers["Content-Range"]) == (416, f"bytes 0-{chunk - 1}/{size}")
    # The last chunk absorbs the remainder: a plain chunk_size-sized third chunk is refused.
    assert (await put(http, url, data[chunk : 2 * chunk], chunk, 2 * chunk - 1, size)).status == 206
    short_last = await put(http, url, data[2 * chunk : 3 * chunk], 2 * chunk, 3 * chunk - 1, size)
    assert short_last.status == 416
    assert (await put(http, url, data[2 * chunk :], 2 * chunk, size - 1, size)).status == 201
    after = await put(http, url, data[2 * chunk :], 2 * chunk, size - 1, size)
    assert (after.status, after.headers["Content-Range"]) == (416, f"bytes 0-{size - 1}/{size}")


async def test_upload_unknown_task_is_404(sb, http):
    url = (await video_init(http, file_source(1000))).data["upload_url"]
    data = make_mp4(1000)
    wrong_token = re.sub(r"upload_token=\w+", "upload_token=nope", url)
    wrong_id = re.sub(r"upload_id=\d+", "upload_id=1", url)
    assert (await upload_whole(http, wrong_token, data)).status == 404
    assert (await upload_whole(http, wrong_id, data)).status == 404
    assert (await send(http, "POST", url, data=data)).status == 404


async def test_upload_url_expires_after_one_hour(sb, http):
    size, chunk = 10 * MiB, 5 * MiB
    data = bytes(size)
    init = await video_init(http, file_source(size, chunk, 2))
    url = init.data["upload_url"]
    assert (await put(http, url, data[:chunk], 0, chunk - 1, size)).status == 206
    sb.advance(3599)
    assert (await status(http, init.data["publish_id"])).data["status"] == "PROCESSING_UPLOAD"
    sb.advance(1)
    assert (await put(http, url, data[chunk:], chunk, size - 1, size)).status == 403
    failed = await status(http, init.data["publish_id"])
    assert (failed.data["status"], failed.data["fail_reason"]) == ("FAILED", "internal")


async def test_upload_needs_no_authorization_but_records_it(sb, http):
    url = (await video_init(http, file_source(1000))).data["upload_url"]
    data = make_mp4(1000)
    resp = await put(http, url, data, 0, 999, 1000, headers={"Authorization": f"Bearer {STRAY_TOKEN}"})
    assert resp.status == 201
    assert sb.uploads[url.split("upload_id=")[1].split("&")[0]].chunks[0].authorization == f"Bearer {STRAY_TOKEN}"
    assert sb.calls("upload")[0].token == STRAY_TOKEN


async def test_upload_body_kinds(sb, http):
    data = make_mp4(1000)

    async def stream():
        for i in range(0, 1000, 300):
            yield data[i : i + 300]

    bodies = {"bytearray": bytearray(data), "memoryview": memoryview(data)}
    for kind, body in bodies.items():
        init = await video_init(http, file_source(1000))
        assert (await upload_whole(http, init.data["upload_url"], body)).status == 201, kind
        assert sb.upload_for(init.data["publish_id"]).sha256 == hashlib.sha256(data).hexdigest()
    # aiohttp sends an async iterable chunked, without Content-Length, unless the caller sets one.
    init = await video_init(http, file_source(1000))
    url = init.data["upload_url"]
    assert (await put(http, url, stream(), 0, 999, 1000)).status == 400
    assert sb.calls("upload")[-1].streamed
    resp = await put(http, url, stream(), 0, 999, 1000, headers={"Content-Length": "1000"})
    assert resp.status == 201
    assert sb.upload_for(init.data["publish_id"]).sha256 == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------------------------------
# §11 status fetch and the publish lifecycle
# ---------------------------------------------------------------------------------------------------------------------


async def test_status_errors(sb, http):
    sb.add_token(OTHER_TOKEN)
    publish_id = (await video_init(http, url_source())).data["publish_id"]
    unknown = await status(http, "v_pub_url~v2-1.1234567890123456789")
    foreign = await status(http, publish_id, token=OTHER_TOKEN)
    missing = await api(http, "POST", "/v2/post/publish/status/fetch/", json={})
    assert (unknown.status, unknown.code) == (400, "invalid_publish_id")
    assert (foreign.status, foreign.code) == (400, "token_not_authorized_for_specified_publish_id")
    assert (missing.status, missing.code) == (400, "invalid_params")
    sb.add_token(SAME_USER_TOKEN, account=sb.account)  # another token of the same creator may read it
    assert (await status(http, publish_id, token=SAME_USER_TOKEN)).code == "ok"


async def test_file_upload_direct_post_lifecycle(sb, http):
    size, chunk = 10 * MiB + 3, 5 * MiB
    data = make_mp4(size)
    init = await video_init(http, file_source(size, chunk, 2), title="my #clip")
    publish_id, url = init.data["publish_id"], init.data["upload_url"]
    first = await status(http, publish_id)
    assert first.data == {"status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 0}
    await put(http, url, data[:chunk], 0, chunk - 1, size)
    assert (await status(http, publish_id)).data["uploaded_bytes"] == chunk
    await put(http, url, data[chunk:], chunk, size - 1, size)
    processing = await status(http, publish_id)  # processing_polls=1: one more fetch still processing
    assert processing.data == {"status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": size}
    done = await status(http, publish_id)
    assert done.data["status"] == "PUBLISH_COMPLETE" and "fail_reason" not in done.data
    (post_id,) = done.data["publicaly_available_post_id"]
    assert isinstance(post_id, int) and len(str(post_id)) == 19
    assert f'"publicaly_available_post_id": [{post_id}]' in done.raw.decode()  # a JSON number, not a string
    assert (await status(http, publish_id)).data == done.data  # terminal
    # A public video joins the creator's public list, newest first.
    listed = await api(http, "POST", "/v2/video/list/", params={"fields": "id,title"}, json={"max_count": 1})
    assert listed.data["videos"] == [{"id": str(post_id), "title": "my #clip"}]


@pytest.mark.parametrize("polls", [0, 3])
async def test_processing_polls_setting(http, polls):
    with TikTokSandbox(processing_polls=polls):
        publish_id = (await video_init(http, url_source())).data["publish_id"]
        seen = [(await status(http, publish_id)).data["status"] for _ in range(polls + 1)]
    assert seen == ["PROCESSING_DOWNLOAD"] * polls + ["PUBLISH_COMPLETE"]


async def test_pull_from_url_direct_post_lifecycle(sb, http):
    sb.host_file(VERIFIED + "clip.mp4", make_mp4(4000))
    publish_id = (await video_init(http, url_source(), "SELF_ONLY")).data["publish_id"]
    downloading = await status(http, publish_id)
    assert downloading.data["status"] == "PROCESSING_DOWNLOAD"
    assert 0 <= downloading.data["downloaded_bytes"] < 4000 and "uploaded_bytes" not in downloading.data
    done = await status(http, publish_id)
    # SELF_ONLY: published, but no public post id.
    assert done.data == {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [], "downloaded_bytes": 4000}
    assert sb.calls("download") == []  # TikTok's own pull is not a client request


async def test_inbox_lifecycle_and_user_posting(sb, http):
    init = await inbox_init(http, file_source(1000))
    publish_id = init.data["publish_id"]
    with pytest.raises(ValueError):
        sb.user_posts_from_inbox(publish_id)  # nothing in the inbox yet
    await upload_whole(http, init.data["upload_url"], make_mp4(1000))
    assert (await status(http, publish_id)).data["status"] == "PROCESSING_UPLOAD"
    inbox = await status(http, publish_id)
    assert inbox.data == {"status": "SEND_TO_USER_INBOX", "publicaly_available_post_id": [], "uploaded_bytes": 1000}
    post_id = sb.user_posts_from_inbox(publish_id)
    second = sb.user_posts_from_inbox(publish_id, privacy_level="SELF_ONLY")
    done = await status(http, publish_id)
    assert done.data["status"] == "PUBLISH_COMPLETE"
    assert done.data["publicaly_available_post_id"] == [post_id] and second not in [post_id]


async def test_fail_publish_now_and_next(sb, http):
    sb.host_file(VERIFIED + "clip.mp4", make_mp4(500))
    first = (await video_init(http, url_source())).data["publish_id"]
    sb.fail_publish(first, "spam_risk_text")
    failed = await status(http, first)
    assert failed.data == {
        "status": "FAILED",
        "fail_reason": "spam_risk_text",
        "publicaly_available_post_id": [],
        "downloaded_bytes": 0,
    }
    sb.fail_publish("next", "duration_check_failed")
    second = (await video_init(http, url_source())).data["publish_id"]
    third = (await video_init(http, url_source())).data["publish_id"]
    assert (await status(http, second)).data["status"] == "PROCESSING_DOWNLOAD"
    assert (await status(http, second)).data["fail_reason"] == "duration_check_failed"
    assert (await status(http, third)).data["status"] == "PROCESSING_DOWNLOAD"
    assert (await status(http, third)).data["status"] == "PUBLISH_COMPLETE"


@pytest.mark.parametrize("hosting", [{"redirect_to": VERIFIED + "real.mp4"}, {"status": 404}, {"break_after": 10}])
async def test_pulling_a_bad_hosted_link_fails(sb, http, hosting):
    sb.host_file(VERIFIED + "clip.mp4", make_mp4(500), **hosting)
    publish_id = (await video_init(http, url_source())).data["publish_id"]
    await status(http, publish_id)
    done = await status(http, publish_id)
    assert (done.data["status"], done.data["fail_reason"]) == ("FAILED", "video_pull_failed")


async def test_cancel_only_while_downloading(sb, http):
    pull = (await video_init(http, url_source())).data["publish_id"]
    file = (await video_init(http, file_source(1000))).data["publish_id"]
    path = "/v2/post/publish/cancel/"
    assert (await api(http, "POST", path, json={"publish_id": pull})).code == "ok"
    assert (await status(http, pull)).data["fail_reason"] == "publish_cancelled"
    again = await api(http, "POST", path, json={"publish_id": pull})
    assert (again.status, again.code) == (400, "publish_not_cancellable")
    assert (await api(http, "POST", path, json={"publish_id": file})).code == "publish_not_cancellable"


async def test_media_checks_are_opt_in(http):
    with TikTokSandbox(check_media=True, processing_polls=0) as sandbox:
        garbage = await posted_video(http, b"\x00" * 1000)
        too_long = await posted_video(http, make_mp4(1000, duration_s=601))
        fine = await posted_video(http, make_mov(1000, duration_s=600))
        webm = await posted_video(http, make_webm(1000, duration_s=30))
        assert (await status(http, garbage)).data["fail_reason"] == "file_format_check_failed"
        assert (await status(http, too_long)).data["fail_reason"] == "duration_check_failed"
        assert (await status(http, fine)).data["status"] == "PUBLISH_COMPLETE"
        assert (await status(http, webm)).data["status"] == "PUBLISH_COMPLETE"
        assert sandbox.account.library[0]["duration"] == 30


# ---------------------------------------------------------------------------------------------------------------------
# §5 video list and query
# ---------------------------------------------------------------------------------------------------------------------


async def video_list(http, fields="id,create_time", token=TOKEN, **body) -> Resp:
    return await api(http, "POST", "/v2/video/list/", params={"fields": fields}, json=body, token=token)


async def test_video_list_pages_through_the_library(sb, http):
    first = await video_list(http)
    assert len(first.data["videos"]) == 10 and first.data["has_more"] is True
    assert first.data["cursor"] == first.data["videos"][-1]["create_time"] * 1000
    seen = list(first.data["videos"])
    cursor = first.data["cursor"]
    while True:
        page = await video_list(http, cursor=cursor, max_count=20)
        seen += page.data["videos"]
        cursor = page.data["cursor"]
        if not page.data["has_more"]:
            break
    assert len(seen) == 45 and len({v["id"] for v in seen}) == 45
    times = [v["create_time"] for v in seen]
    assert times == sorted(times, reverse=True) and len(set(times)) == 45
    assert all(re.fullmatch(r"\d{19}", v["id"]) for v in seen)
    assert cursor == times[-1] * 1000
    empty = await video_list(http, cursor=cursor)
    assert empty.data == {"videos": [], "cursor": cursor, "has_more": False}


async def test_video_list_cursor_is_a_millisecond_timestamp(sb, http):
    library = sb.account.library
    cursor = library[5]["create_time"] * 1000 + 1  # includes video 5, excludes 0-4
    page = await video_list(http, "id", cursor=cursor, max_count=3)
    assert [v["id"] for v in page.data["videos"]] == [v["id"] for v in library[5:8]]
    zero = await video_list(http, "id", cursor=0, max_count=1)  # 0 behaves like no cursor
    assert zero.data["videos"] == [{"id": library[0]["id"]}]


async def test_video_list_returns_all_video_object_fields(sb, http):
    resp = await video_list(http, ",".join(VIDEO_FIELDS), max_count=20)
    videos = resp.data["videos"]
    assert all(set(v) == set(VIDEO_FIELDS) for v in videos)
    assert len(VIDEO_FIELDS) == 15
    assert any(v["view_count"] == 0 for v in videos)
    video = videos[0]
    assert isinstance(video["id"], str) and isinstance(video["create_time"], int)
    assert video["share_url"] == (
        f"https://www.tiktok.com/@sandbox.creator/video/{video['id']}?utm_campaign=tt4d_open_api&utm_source=sandbox"
    )
    assert "x-expires=" in video["cover_image_url"]


@pytest.mark.parametrize(
    "fields,body",
    [
        (None, {}),
        ("id,fps", {}),
        ("id,is_aigc", {}),
        ("id", {"max_count": 21}),
        ("id", {"max_count": 0}),
        ("id", {"max_count": "5"}),
        ("id", {"cursor": -1}),
        ("id", {"cursor": 1.5}),
    ],
)
async def test_video_list_rejects_bad_requests(sb, http, fields, body):
    params = {} if fields is None else {"fields": fields}
    resp = await api(http, "POST", "/v2/video/list/", params=params, json=body)
    assert (resp.status, resp.code) == (400, "invalid_params")


async def test_video_list_library_size_is_configurable(sb, http):
    sb.add_token(OTHER_TOKEN, library_size=3)
    resp = await video_list(http, "id", token=OTHER_TOKEN, max_count=20)
    assert len(resp.data["videos"]) == 3 and resp.data["has_more"] is False


async def test_video_query_returns_only_own_videos(sb, http):
    other = sb.add_token(OTHER_TOKEN)
    mine = [v["id"] for v in sb.account.library[:3]]
    theirs = other.library[0]["id"]
    body = {"filters": {"video_ids": [mine[2], theirs, mine[0], "123"]}}
    resp = await api(http, "POST", "/v2/video/query/", params={"fields": "id,title"}, json=body)
    assert resp.code == "ok"
    assert [v["id"] for v in resp.data["videos"]] == [mine[2], mine[0]]
    assert set(resp.data["videos"][0]) == {"id", "title"}


@pytest.mark.parametrize(
    "fields,body",
    [
        (None, {"filters": {"video_ids": ["1"]}}),
        ("id,fps", {"filters": {"video_ids": ["1"]}}),
        ("id", {"filters": {"video_ids": []}}),
        ("id", {"filters": {"video_ids": [str(i) for i in range(21)]}}),
        ("id", {"filters": {"video_ids": [1234]}}),
        ("id", {"video_ids": ["1"]}),
        ("id", {}),
    ],
)
async def test_video_query_rejects_bad_requests(sb, http, fields, body):
    params = {} if fields is None else {"fields": fields}
    resp = await api(http, "POST", "/v2/video/query/", params=params, json=body)
    assert (resp.status, resp.code) == (400, "invalid_params")


async def test_video_query_accepts_twenty_ids(sb, http):
    ids = [v["id"] for v in sb.account.library[:20]]
    resp = await api(http, "POST", "/v2/video/query/", params={"fields": "id"}, json={"filters": {"video_ids": ids}})
    assert [v["id"] for v in resp.data["videos"]] == ids


# ---------------------------------------------------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------------------------------------------------


async def test_fault_kinds(sb, http):
    for kind in ("500", "502_html", "429", "timeout", "disconnect"):
        sb.inject("user_info", kind)
    internal = await user_info(http, "open_id")
    assert (internal.status, internal.code, internal.data) == (500, "internal_error", {})
    gateway = await user_info(http, "open_id")
    assert gateway.status == 502 and gateway.headers["Content-Type"] == "text/html" and gateway.body is None
    assert gateway.raw.startswith(b"<html>")
    limited = await user_info(http, "open_id")
    assert (limited.status, limited.code) == (429, "rate_limit_exceeded") and "Retry-After" not in limited.headers
    with pytest.raises(asyncio.TimeoutError):
        await user_info(http, "open_id")
    with pytest.raises(aiohttp.ClientConnectionError):
        await user_info(http, "open_id")
    assert (await user_info(http, "open_id")).status == 200
    assert [r.fault for r in sb.calls("user_info")] == ["500", "502_html", "429", "timeout", "disconnect", None]
    assert [r.status for r in sb.calls("user_info")] == [500, 502, 429, None, None, 200]


async def test_faults_repeat_and_stay_on_their_endpoint(sb, http):
    sb.inject("status", "500", times=2)
    assert (await user_info(http, "open_id")).status == 200
    publish_id = (await video_init(http, url_source())).data["publish_id"]
    assert [(await status(http, publish_id)).status for _ in range(3)] == [500, 500, 200]
    with pytest.raises(ValueError):
        sb.inject("nope", "500")
    with pytest.raises(ValueError):
        sb.inject("status", "404")


async def test_lost_init_response_still_creates_the_publish(sb, http):
    sb.inject("video_init", "timeout", after_receive=True)
    with pytest.raises(asyncio.TimeoutError):
        await video_init(http, url_source())
    assert len(sb.publishes) == 1


@pytest.mark.parametrize("after_receive,retry_status", [(False, 206), (True, 416)])
async def test_upload_timeout_before_or_after_the_chunk_is_stored(sb, http, after_receive, retry_status):
    size, chunk = 10 * MiB, 5 * MiB
    data = bytes(size)
    init = await video_init(http, file_source(size, chunk, 2))
    sb.inject("upload", "timeout", after_receive=after_receive)
    with pytest.raises(asyncio.TimeoutError):
        await put(http, init.data["upload_url"], data[:chunk], 0, chunk - 1, size)
    retry = await put(http, init.data["upload_url"], data[:chunk], 0, chunk - 1, size)
    assert retry.status == retry_status
    assert retry.headers["Content-Range"] == f"bytes 0-{chunk - 1}/{size}"
    assert sb.upload_for(init.data["publish_id"]).received == chunk


async def test_download_faults(sb, http):
    url = sb.host_file("https://files.example/v.mp4", b"video")
    sb.inject("download", "disconnect")
    sb.inject("download", "502_html")
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, "GET", url)
    assert (await send(http, "GET", url)).status == 502
    assert (await send(http, "GET", url)).raw == b"video"


# ---------------------------------------------------------------------------------------------------------------------
# Hosted download links
# ---------------------------------------------------------------------------------------------------------------------


async def test_hosted_file_served_with_or_without_length(sb, http):
    sb.host_file("https://files.example/a.mp4?sig=1", b"abc")
    sb.host_file("https://files.example/b.webm", b"defg", content_type="video/webm", send_length=False)
    a = await send(http, "GET", "https://files.example/a.mp4?sig=1")
    b = await send(http, "GET", "https://files.example/b.webm")
    assert (a.status, a.raw, a.headers["Content-Type"], a.headers["Content-Length"]) == (200, b"abc", "video/mp4", "3")
    assert (b.raw, b.headers["Content-Type"]) == (b"defg", "video/webm") and "Content-Length" not in b.headers
    head = await send(http, "HEAD", "https://files.example/a.mp4?sig=1")
    assert (head.status, head.raw, head.headers["Content-Length"]) == (200, b"", "3")
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http, "GET", "https://files.example/a.mp4")  # the query is part of the link
    missing = sb.host_file("https://files.example/gone", b"not found", content_type="text/plain", status=404)
    assert (await send(http, "GET", missing)).status == 404


async def test_hosted_redirect(sb, http):
    sb.host_file("https://short.example/x", b"", redirect_to="https://files.example/real.mp4")
    sb.host_file("https://files.example/real.mp4", b"real")
    async with http.get("https://short.example/x", headers={"Authorization": "Bearer leak"}) as response:
        assert (response.status, await response.read()) == (200, b"real")
        assert len(response.history) == 1 and response.history[0].status == 302
    async with http.get("https://short.example/x", allow_redirects=False) as response:
        assert (response.status, response.headers["Location"]) == (302, "https://files.example/real.mp4")
    first, second = sb.calls("download")[:2]
    assert first.headers["authorization"] == "Bearer leak"
    assert "Authorization" not in second.headers  # aiohttp drops it when the origin changes


async def test_hosted_file_that_breaks_mid_body(sb, http):
    sb.host_file("https://files.example/big.mp4", b"0123456789", break_after=4)
    async with http.get("https://files.example/big.mp4") as response:
        assert response.headers["Content-Length"] == "10"
        received = b""
        with pytest.raises(aiohttp.ClientPayloadError):
            async for piece in response.content.iter_chunked(3):
                received += piece
    assert received == b"0123"


async def test_downloads_are_logged_but_not_tiktok_requests(sb, http):
    url = sb.host_file("https://files.example/a.mp4", b"abc")
    await send(http, "GET", url, headers={"X-Test": "1"})
    await user_info(http, "open_id")
    (download,) = sb.calls("download")
    assert "Authorization" not in download.headers and download.headers["x-test"] == "1"
    assert [r.endpoint for r in sb.tiktok_requests] == ["user_info"]


# ---------------------------------------------------------------------------------------------------------------------
# Request log
# ---------------------------------------------------------------------------------------------------------------------


async def test_request_records(sb, http):
    await api(http, "POST", "/v2/video/list/", params={"fields": "id"}, json={"max_count": 2})
    (record,) = sb.calls("video_list")
    assert record.method == "POST"
    assert record.url == "https://open.tiktokapis.com/v2/video/list/"
    assert record.query == {"fields": "id"}
    assert record.headers["authorization"] == f"Bearer {TOKEN}"
    assert record.json == {"max_count": 2}
    assert record.body_length == len(b'{"max_count": 2}')
    assert record.content_type == "application/json"
    assert (record.token, record.status, record.fault, record.streamed) == (TOKEN, 200, None, False)
    assert record.time == sb.clock()


async def test_upload_bodies_are_not_kept(sb, http):
    init = await video_init(http, file_source(1000))
    await upload_whole(http, init.data["upload_url"], make_mp4(1000))
    (record,) = sb.calls("upload")
    assert (record.json, record.body_length, record.status) == (None, 1000, 201)
    upload = sb.upload_for(init.data["publish_id"])
    assert record.query == {"upload_id": upload.upload_id, "upload_token": upload.upload_token}
    assert record.url == "https://open-upload.tiktokapis.com/video/"


# ---------------------------------------------------------------------------------------------------------------------
# Media helpers
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [200, 1000, 5 * MiB + 1])
def test_make_mp4_layout(size):
    data = make_mp4(size, duration_s=12.5)
    assert len(data) == size
    ftyp_size, kind, brand = struct.unpack(">I4s4s", data[:12])
    assert (kind, brand) == (b"ftyp", b"isom")
    moov_size, moov = struct.unpack(">I4s", data[ftyp_size : ftyp_size + 8])
    assert moov == b"moov"
    mvhd = data[ftyp_size + 8 : ftyp_size + moov_size]
    assert mvhd[4:8] == b"mvhd" and mvhd[8] == 0  # version 0
    assert struct.unpack(">II", mvhd[20:28]) == (1000, 12500)  # timescale, duration
    mdat_at = ftyp_size + moov_size
    assert struct.unpack(">I4s", data[mdat_at : mdat_at + 8]) == (size - mdat_at, b"mdat")
    assert probe(data) == ("mp4", 12.5)


def test_make_mov_and_webm():
    mov = make_mov(500, duration_s=3)
    assert len(mov) == 500 and mov[4:12] == b"ftypqt  " and probe(mov) == ("mov", 3.0)
    webm = make_webm(700, duration_s=42)
    assert len(webm) == 700 and webm[:4] == b"\x1a\x45\xdf\xa3" and b"\x42\x82\x84webm" in webm[:64]
    assert probe(webm) == ("webm", 42.0)
    assert TikTokSandbox.make_mp4 is make_mp4
    with pytest.raises(ValueError):
        make_mp4(199)


async def test_progress_header_can_use_the_byte_count_reading(http):
    """The guide's `bytes 0-{UPLOADED_BYTES}/{TOTAL}` read as a count: N is the number of bytes held."""
    size, chunk = 12_000_000, 6_000_000
    data = make_mp4(size)
    with TikTokSandbox(progress_as_count=True):
        init = await video_init(http, file_source(size, chunk, 2))
        url = init.data["upload_url"]
        first = await put(http, url, data[:chunk], 0, chunk - 1, size)
        assert (first.status, first.headers["Content-Range"]) == (206, f"bytes 0-{chunk}/{size}")
        again = await put(http, url, data[:chunk], 0, chunk - 1, size)
        assert (again.status, again.headers["Content-Range"]) == (416, f"bytes 0-{chunk}/{size}")


# ---------------------------------------------------------------------------------------------------------------------
# Sample media builders: video track, moov last, WebM tracks, JPEG, PNG
# ---------------------------------------------------------------------------------------------------------------------


def top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(kind, offset, size) of each top-level ISO box."""
    boxes, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        boxes.append((kind, offset, size))
        offset += size
    return boxes


def box_payload(data: bytes, kind: bytes) -> bytes:
    at = data.index(kind)
    (size,) = struct.unpack(">I", data[at - 4 : at])
    return data[at + 4 : at - 4 + size]


@pytest.mark.parametrize("fps, moov_last", [(30, False), (120, False), (25, True), (59.94, False)])
def test_make_mp4_video_track(fps, moov_last):
    size = 400_000
    data = make_mp4(size, duration_s=10, fps=fps, moov_last=moov_last, width=720, height=1280)
    assert len(data) == size
    kinds = [kind for kind, _, _ in top_level_boxes(data)]
    assert kinds == ([b"ftyp", b"mdat", b"moov"] if moov_last else [b"ftyp", b"moov", b"mdat"])
    _, moov_at, moov_size = top_level_boxes(data)[kinds.index(b"moov")]
    moov = data[moov_at : moov_at + moov_size]
    tkhd = box_payload(moov, b"tkhd")
    assert struct.unpack(">II", tkhd[-8:]) == (720 << 16, 1280 << 16)
    assert b"vide" in box_payload(moov, b"hdlr") and b"avcC" in moov
    assert frame_rate(moov) == pytest.approx(fps, abs=0.01)
    # The sample tables tile the mdat: the chunk offset is the first media byte, each sample a filler NAL unit.
    (frames,) = struct.unpack(">I", box_payload(moov, b"stts")[8:12])
    sample_size, count = struct.unpack(">II", box_payload(moov, b"stsz")[4:12])
    (offset,) = struct.unpack(">I", box_payload(moov, b"stco")[8:12])
    _, mdat_at, mdat_size = top_level_boxes(data)[kinds.index(b"mdat")]
    assert frames == count == round(10 * fps) and offset == mdat_at + 8
    assert offset + count * sample_size <= mdat_at + mdat_size
    assert struct.unpack(">IB", data[offset : offset + 5]) == (sample_size - 4, 0x0C)
    head = data[: 64 * 1024]
    assert probe(head) == ("mp4", None if moov_last else 10.0)  # moov last: not in the first bytes
    assert frame_rate(head) == (None if moov_last else pytest.approx(fps, abs=0.01))


def test_make_mp4_without_fps_is_unchanged_and_refuses_impossible_tracks():
    assert b"trak" not in make_mp4(1000) and frame_rate(make_mp4(1000)) is None
    with pytest.raises(ValueError):
        make_mp4(1000, duration_s=600, fps=60)  # 36,000 frames cannot fit in 1000 bytes


def test_make_webm_with_a_video_track():
    data = make_webm(5000, duration_s=8, fps=25, width=640, height=360)
    assert len(data) == 5000 and probe(data) == ("webm", 8.0)
    assert b"\x86\x01" + (5).to_bytes(7, "big") + b"V_VP9" in data  # CodecID
    assert b"\x23\xe3\x83\x01" + (4).to_bytes(7, "big") + struct.pack(">I", 40_000_000) in data  # 40 ms a frame
    assert b"\xb0\x01" + (2).to_bytes(7, "big") + struct.pack(">H", 640) in data


@pytest.mark.parametrize("width, height", [(1080, 1920), (17, 9), (8, 8)])
def test_make_jpeg(width, height):
    data = make_jpeg(width, height)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9" and photo_format(data) == "jpeg"
    sof = data.index(b"\xff\xc0")
    assert struct.unpack(">BHH", data[sof + 4 : sof + 9]) == (8, height, width)
    blocks = -(-width // 8) * -(-height // 8)
    sos = data.index(b"\xff\xda")
    scan = data[sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0] : -2]
    assert len(scan) == -(-2 * blocks // 8) and b"\xff" not in scan[:-1]  # two bits a block, nothing to stuff


def test_make_png():
    data = make_png(300, 200)
    assert photo_format(data) == "png"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        offset += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBB", chunks[b"IHDR"][:10]) == (300, 200, 8, 0)
    assert zlib.decompress(chunks[b"IDAT"]) == (b"\x00" + b"\x80" * 300) * 200


def test_photo_format_sniffing():
    assert photo_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert photo_format(make_mp4(1000)) is None


async def test_media_checks_frame_rate_and_photo_format(http):
    with TikTokSandbox(check_media=True, processing_polls=0) as sandbox:
        fast = await posted_video(http, make_mp4(100_000, duration_s=5, fps=120))
        usual = await posted_video(http, make_mp4(100_000, duration_s=5, fps=60))
        slow = await posted_video(http, make_mp4(100_000, duration_s=5, fps=15))
        assert (await status(http, fast)).data["fail_reason"] == "frame_rate_check_failed"
        assert (await status(http, usual)).data["status"] == "PUBLISH_COMPLETE"
        assert (await status(http, slow)).data["fail_reason"] == "frame_rate_check_failed"
        sandbox.host_file(VERIFIED + "p.png", make_png(100, 100), content_type="image/png")
        sandbox.host_file(VERIFIED + "p.jpg", make_jpeg(100, 100), content_type="image/jpeg")
        png = (await photo_init(http, images=[VERIFIED + "p.jpg", VERIFIED + "p.png"])).data["publish_id"]
        jpeg = (await photo_init(http, images=[VERIFIED + "p.jpg"])).data["publish_id"]
        assert (await status(http, png)).data["fail_reason"] == "file_format_check_failed"
        assert (await status(http, jpeg)).data["status"] == "PUBLISH_COMPLETE"


# ---------------------------------------------------------------------------------------------------------------------
# The package's shape, the samples and the `make run` playground
# ---------------------------------------------------------------------------------------------------------------------


def test_sandbox_modules_depend_one_way():
    """No import cycle inside sandbox/ (type-only imports count too): transport knows nothing of the sandbox."""
    folder = Path(__file__).resolve().parent.parent / "sandbox"
    graph = {}
    for path in folder.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sandbox."):
                imported.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                imported.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sandbox."))
        graph[path.stem] = imported - {path.stem}
    assert graph["transport"] == set()

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph.get(start, ()))

    assert [name for name in graph if name != "__init__" and reaches(name, name)] == []


def test_samples_are_what_their_names_say(tmp_path):
    by_name = {sample.name: sample for sample in SAMPLES}
    assert probe(sample_bytes("clip.mp4")) == ("mp4", 10.0) and frame_rate(sample_bytes("clip.mp4")) == 30
    assert probe(sample_bytes("clip-moov-last.mp4")[:65536]) == ("mp4", None)
    assert probe(sample_bytes("clip-moov-last.mp4")) == ("mp4", 12.0)
    assert probe(sample_bytes("too-long.mp4"))[1] > Account(index=1, username="x").max_video_post_duration_sec
    assert frame_rate(sample_bytes("clip-120fps.mp4")) == 120
    assert probe(sample_bytes("clip.webm")) == ("webm", 10.0)
    assert [photo_format(sample_bytes(n)) for n in ("photo-1.jpg", "photo-2.jpg", "photo-3.jpg", "photo.png")] == [
        "jpeg",
        "jpeg",
        "jpeg",
        "png",
    ]
    assert all(sample.url.startswith(VERIFIED) for sample in SAMPLES)
    written = write_samples(tmp_path / "samples")
    assert {p.name: p.read_bytes() for p in written} == {name: sample_bytes(name) for name in by_name}


async def playground_post(folder, http) -> str:
    sandbox = open_playground(folder)
    with sandbox:
        init = await video_init(http, url_source(SAMPLE_BASE + "clip.mp4"))
        assert (await status(http, init.data["publish_id"])).data["status"] == "PROCESSING_DOWNLOAD"
    save_playground(sandbox, folder)
    return init.data["publish_id"]


async def test_playground_keeps_its_state_between_runs(tmp_path, http):
    publish_id = await playground_post(tmp_path / "a", http)
    assert publish_id == await playground_post(tmp_path / "b", http)  # deterministic from a fresh state
    again = open_playground(tmp_path / "a")
    assert again.clock() == DEFAULT_EPOCH + 2 * STEP_S  # one step per run
    with again:
        done = await status(http, publish_id)
        assert (done.data["status"], done.data["downloaded_bytes"]) == (
            "PUBLISH_COMPLETE",
            len(sample_bytes("clip.mp4")),
        )
        newest = (await video_list(http, "id")).data["videos"][0]["id"]
        assert int(newest) == again.publishes[publish_id].post_ids[0]
        assert (await video_init(http, url_source(SAMPLE_BASE + "clip.mp4"))).code == "ok"
    save_playground(again, tmp_path / "a")
    state = json.loads((tmp_path / "a" / "state.json").read_text())
    assert state["seq"] > 0 and len(state["publishes"]) == 2
    assert reset_playground(tmp_path / "a") and not reset_playground(tmp_path / "a")
    assert open_playground(tmp_path / "a").publishes == {}


async def test_playground_keeps_uploads_rate_windows_and_caps(tmp_path, http):
    sandbox = open_playground(tmp_path)
    data = sample_bytes("clip.mp4")
    with sandbox:
        publish_id = await posted_video(http, data)
        for _ in range(5):
            assert (await video_init(http, file_source(len(data)))).code == "ok"
    save_playground(sandbox, tmp_path)
    restored = open_playground(tmp_path)
    upload = restored.upload_for(publish_id)
    assert (upload.sha256, upload.complete, upload.head) == (
        hashlib.sha256(data).hexdigest(),
        True,
        data[: upload.HEAD_BYTES],
    )
    assert restored._posts_last_day(restored.account) == 6
    with restored:  # 30 s later: still inside the one-minute window of 6 video inits
        assert (await video_init(http, file_source(len(data)))).code == "rate_limit_exceeded"
