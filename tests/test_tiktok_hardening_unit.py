"""Hardening: each finding of the adversarial pass (issue 10), closed with a test that failed before its fix.

Through execute_action with `mock_context` (its fetch an AsyncMock answering like the SDK), a small shared
context whose fetch follows the SDK's own retry rule (finding 1), the real SDK's ExecutionContext against the
`loopback` server where the SDK's own parsing is the point (findings 3, 4 and 6), and the link guard directly.
"""

import asyncio
import base64
import json
import socket
from types import SimpleNamespace

import aiohttp
import pytest
import tiktok_api
import tiktok_transfer
import tiktok_posting
from aiohttp import web
from aiohttp.abc import AbstractResolver
from autohive_integrations_sdk import ExecutionContext, FetchResponse, HTTPError, RateLimitError, ResultType

from tiktok_testkit import data_of, message_of, LOG_ID, TOKEN, LoopbackGuard, ok
from tiktok_api import InputError, clean_detail, read_envelope, secrets_of
from tiktok_transfer import ChunkPlan

pytestmark = pytest.mark.unit

VIDEO_INIT = "https://open.tiktokapis.com/v2/post/publish/video/init/"
INBOX_INIT = "https://open.tiktokapis.com/v2/post/publish/inbox/video/init/"
CONTENT_INIT = "https://open.tiktokapis.com/v2/post/publish/content/init/"
CREATOR_INFO = "https://open.tiktokapis.com/v2/post/publish/creator_info/query/"
USER_INFO = "https://open.tiktokapis.com/v2/user/info/"
INIT_URLS = (VIDEO_INIT, INBOX_INIT, CONTENT_INIT)
PULL_URL = "https://media.example.com/verified/clip.mp4"
PHOTOS = ["https://media.example.com/verified/one.webp", "https://media.example.com/verified/two.webp"]
UNCERTAIN = "may have been created anyway, so the request was not sent again"
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
CREATOR = {
    "creator_nickname": "Ada Films",
    "creator_username": "ada.films",
    "privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"],
    "comment_disabled": False,
    "duet_disabled": False,
    "stitch_disabled": False,
    "max_video_post_duration_sec": 300,
}

# Every action that asks TikTok to create something, with inputs that reach its init request without a download.
PUBLISHES = [
    ("create_video_post", {"video_url": PULL_URL, "pull_from_url": True, "privacy_level": "SELF_ONLY"}, VIDEO_INIT),
    ("upload_video_draft", {"video_url": PULL_URL, "pull_from_url": True}, INBOX_INIT),
    ("create_photo_post", {"photo_urls": PHOTOS, "privacy_level": "SELF_ONLY"}, CONTENT_INIT),
]


def urls(mock_context):
    return [c.args[0] for c in mock_context.fetch.await_args_list]


def init_answers(answer):
    """creator_info answers normally; every other request gets `answer` (raised when it is an exception)."""

    def fetch(url, **kwargs):
        if url == CREATOR_INFO:
            return ok(CREATOR)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return fetch


def text_reply(body, status=200, content_type="text/plain"):
    return FetchResponse(status=status, headers={"Content-Type": content_type}, data=body)


def sdk_retry_after_crash(value):
    """What SDK 2.0.1's fetch raises for a 429 whose Retry-After is not a whole number: its own int() fails."""
    headers = {"Retry-After": value}
    return _raised(lambda: int(headers.get("Retry-After", 60)))


def _raised(action):
    try:
        action()
    except Exception as error:  # noqa: BLE001 - the exception itself is the value wanted
        return error
    raise AssertionError("expected an exception")


def real_context(token=TOKEN):
    return ExecutionContext(
        auth={"auth_type": "PlatformOauth2", "credentials": {"access_token": token}},
        request_config={"max_retries": 3, "timeout": 30},
    )


def port_of(loopback) -> int:
    return int(loopback.base.rsplit(":", 1)[1])


def mp4(size: int) -> bytes:
    return (MP4_HEAD + bytes(size))[:size]


def inline(data: bytes) -> dict:
    return {"name": "clip.mp4", "contentType": "video/mp4", "content": base64.b64encode(data).decode()}


# ---- 1. SDK retries off per request, without touching the shared context ---------------------------------------------


class SharedContext:
    """One ExecutionContext shared by overlapping runs. Its fetch follows SDK 2.0.1's rule: after a network error
    it sends the request again while retry_count < config["max_retries"], reading the config at that moment.
    Every request here loses its connection."""

    def __init__(self):
        self.config = {"max_retries": 3, "timeout": 30}
        self.auth = {"auth_type": "PlatformOauth2", "credentials": {"access_token": TOKEN}}
        self.sent = []

    async def fetch(
        self,
        url,
        method="GET",
        params=None,
        data=None,
        json=None,
        headers=None,
        content_type=None,
        timeout=None,
        retry_count=0,
    ):
        self.sent.append(url)
        await asyncio.sleep(0)  # in flight (suspended) while the other runs start
        try:
            raise aiohttp.ServerDisconnectedError()
        except aiohttp.ClientError:
            if retry_count < self.config["max_retries"]:
                return await self.fetch(
                    url, method, params, data, json, headers, content_type, timeout, retry_count + 1
                )
            raise


class TestSharedContextPublishesOnce:
    async def test_twenty_overlapping_posts_send_twenty_inits_and_leave_the_config_alone(self, integration):
        context = SharedContext()
        config = context.config
        inputs = {"video_url": PULL_URL, "pull_from_url": True}

        results = await asyncio.gather(
            *(integration.execute_action("upload_video_draft", inputs, context) for _ in range(20))
        )

        assert all(UNCERTAIN in message_of(r) for r in results)
        assert context.sent == [INBOX_INIT] * 20  # each init exactly once
        assert context.config is config and config == {"max_retries": 3, "timeout": 30}

    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_every_request_asks_the_sdk_for_no_retry(self, integration, mock_context, action, inputs, init_url):
        mock_context.fetch.side_effect = init_answers(ok({"publish_id": "v_pub_1"}))

        data_of(await integration.execute_action(action, inputs, mock_context))

        assert [c.kwargs["retry_count"] for c in mock_context.fetch.await_args_list] == [3] * len(urls(mock_context))
        assert mock_context.config == {"max_retries": 3, "timeout": 30}

    @pytest.mark.parametrize(
        ("config", "expected"),
        [
            ({"max_retries": 3, "timeout": 30}, 3),
            ({"max_retries": 0}, 0),
            ({"max_retries": 2.5}, 3),
            ({"max_retries": True}, 1),
            ({"max_retries": "3"}, 0),
            ({}, 0),
            (None, 0),
            ("max_retries=3", 0),
        ],
    )
    def test_the_retry_count_is_read_safely(self, tiktok_module, config, expected):
        assert tiktok_api.sdk_retry_count(SimpleNamespace(config=config)) == expected
        assert tiktok_api.sdk_retry_count(object()) == 0


# ---- 2. Numeric-looking hosts, the socket's peer, cloud metadata addresses -------------------------------------------

NUMERIC_HOSTS = [
    "https://1.2.3.4.5/v.mp4",
    "https://4294967297/v.mp4",
    "https://[::ffff:127.1]/v.mp4",
    "https://0x5db8d822/v.mp4",
    "https://1.2.3.04/v.mp4",
    "https://168.63.129.16/v.mp4",
    "https://[fd00:ec2::254]/v.mp4",
    "https://100.100.100.200/v.mp4",
]


class TestLinkSafety:
    @pytest.mark.parametrize("url", NUMERIC_HOSTS)
    async def test_numeric_hosts_and_metadata_addresses_are_refused_before_anything_is_sent(
        self, integration, mock_context, url
    ):
        inputs = {"video_url": url, "pull_from_url": True}

        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert "which is not allowed" in message and "nothing was posted" in message
        assert url.split("/")[2] not in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize("url", NUMERIC_HOSTS)
    async def test_photo_links_are_held_to_the_same_rule(self, integration, mock_context, url):
        inputs = {"photo_urls": [PHOTOS[0], url], "post_mode": "MEDIA_UPLOAD"}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert "photo link #2 points to" in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("https://1.2.3.4.5/v.mp4", "unusual form"),
            ("https://4294967297/v.mp4", "unusual form"),
            ("https://[::ffff:127.1]/v.mp4", "unusual form"),
            ("https://168.63.129.16/v.mp4", "cloud metadata"),
            ("https://[fd00:ec2::254]/v.mp4", "cloud metadata"),
            ("https://100.100.100.200/v.mp4", "cloud metadata"),
        ],
    )
    def test_the_guard_names_the_reason(self, url, reason):
        with pytest.raises(InputError, match=reason):
            tiktok_transfer.LinkGuard().check_link(url)

    @pytest.mark.parametrize(
        "url", ["https://8.8.8.8/v.mp4", "https://cdn.example.com./v.mp4", "https://1e100.net/v.mp4"]
    )
    def test_plain_public_hosts_still_pass(self, url):
        assert str(tiktok_transfer.LinkGuard().check_link(url)) == url


# ---- 3. A publish answer that cannot be read -------------------------------------------------------------------------


class TestUnreadablePublishAnswers:
    @pytest.mark.parametrize(
        "answer",
        [
            UnicodeDecodeError("utf-8", b"\xff\xfe{", 0, 1, "invalid start byte"),  # SDK: non-UTF-8 JSON
            FetchResponse(status=200, headers={}, data={"data": {}, "error": {"code": ["ok"], "log_id": LOG_ID}}),
            text_reply({"data": {}, "error": {"code": 7, "message": "?"}}),
            text_reply(None),
            text_reply([{"error": {"code": "ok"}}], content_type="application/json"),
            HTTPError(502, "<html>Bad gateway</html>", "<html>Bad gateway</html>"),
            HTTPError(400, "x", {"error": {"code": {"nested": "ok"}, "message": "?"}}),
            RuntimeError("the SDK failed in a way nobody foresaw"),
        ],
        ids=["non-utf8", "code-list", "code-number", "empty", "json-list", "html-502", "code-object", "unknown"],
    )
    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_says_the_post_may_exist(self, integration, mock_context, action, inputs, init_url, answer):
        mock_context.fetch.side_effect = init_answers(answer)

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert UNCERTAIN in message, message
        assert "failed unexpectedly" not in message
        assert urls(mock_context).count(init_url) == 1

    async def test_non_utf8_json_through_the_real_sdk(self, integration, loopback, tiktok_module, monkeypatch):
        monkeypatch.setattr(tiktok_api, "INBOX_INIT_URL", loopback.url("/v2/post/publish/inbox/video/init/"))
        body = b'{"data": {"publish_id": "v_pub_\xff"}, "error": {"code": "ok"}}'
        loopback.host("/v2/post/publish/inbox/video/init/", body, headers={"Content-Type": "application/json"})

        async with real_context() as context:
            inputs = {"video_url": PULL_URL, "pull_from_url": True}
            message = message_of(await integration.execute_action("upload_video_draft", inputs, context))

        assert UNCERTAIN in message
        assert len(loopback.requests) == 1


# ---- 4. A successful answer without a JSON Content-Type -------------------------------------------------------------


class TestSuccessWithoutJsonContentType:
    @pytest.mark.parametrize("content_type", ["text/plain", "text/html; charset=utf-8", ""])
    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_a_publish_is_reported_as_created(
        self, integration, mock_context, action, inputs, init_url, content_type
    ):
        envelope = {"data": {"publish_id": "v_pub_1"}, "error": {"code": "ok", "message": "", "log_id": LOG_ID}}
        mock_context.fetch.side_effect = init_answers(text_reply(json.dumps(envelope), content_type=content_type))

        assert data_of(await integration.execute_action(action, inputs, mock_context))["publish_id"] == "v_pub_1"

    async def test_a_read_returns_tiktoks_data(self, integration, mock_context):
        envelope = {"data": CREATOR, "error": {"code": "ok", "message": "", "log_id": LOG_ID}}
        mock_context.fetch.return_value = text_reply(json.dumps(envelope))

        data = data_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert data["creator_nickname"] == "Ada Films"

    async def test_through_the_real_sdk(self, integration, loopback, tiktok_module, monkeypatch):
        monkeypatch.setattr(tiktok_api, "INBOX_INIT_URL", loopback.url("/init/"))
        body = json.dumps({"data": {"publish_id": "v_pub_9"}, "error": {"code": "ok", "log_id": LOG_ID}})
        loopback.host("/init/", body.encode(), headers={"Content-Type": "text/plain"})

        async with real_context() as context:
            inputs = {"video_url": PULL_URL, "pull_from_url": True}
            data = data_of(await integration.execute_action("upload_video_draft", inputs, context))

        assert data["publish_id"] == "v_pub_9"


# ---- 5. Redaction of the connection's own token, bounded texts ------------------------------------------------------

# A token of another shape than act.xxx, and a refresh token.
ODD_TOKEN = "Zq9-opaque-4f1c2d3e4b5a69788796a5b4"  # nosec B105
REFRESH = "r-opaque-0011223344556677"  # nosec B105


class TestRedactionAndBounds:
    @pytest.fixture
    def odd_context(self, mock_context):
        mock_context.auth = {
            "auth_type": "PlatformOauth2",
            "credentials": {"access_token": ODD_TOKEN, "refresh_token": REFRESH},
        }
        return mock_context

    @pytest.mark.parametrize(
        "error",
        [
            HTTPError(401, "x", {"error": {"code": "access_token_invalid", "message": f"bad token {ODD_TOKEN}"}}),
            HTTPError(400, "x", {"error": {"code": "invalid_params", "message": "n" * 290 + ODD_TOKEN}}),
            HTTPError(400, "x", {"error": {"code": "invalid_params", "message": f"refresh {REFRESH} refused"}}),
            HTTPError(400, "x", {"error": {"code": "invalid_params", "log_id": f"L-{ODD_TOKEN}"}}),
            HTTPError(400, "x", {"error": {"code": ODD_TOKEN, "message": "?"}}),
        ],
        ids=["message", "at-the-cut", "refresh-token", "log-id", "code"],
    )
    async def test_no_credential_of_any_shape_reaches_the_message(self, integration, odd_context, error):
        odd_context.fetch.side_effect = error

        message = message_of(await integration.execute_action("get_creator_info", {}, odd_context))

        assert ODD_TOKEN not in message and REFRESH not in message
        assert ODD_TOKEN[:12] not in message  # not even the part before a cut

    async def test_a_publish_message_is_redacted_too(self, integration, odd_context):
        error = HTTPError(403, "x", {"error": {"code": "spam_risk", "message": f"token={ODD_TOKEN}", "log_id": LOG_ID}})
        odd_context.fetch.side_effect = init_answers(error)

        inputs = {"video_url": PULL_URL, "pull_from_url": True}
        message = message_of(await integration.execute_action("upload_video_draft", inputs, odd_context))

        assert ODD_TOKEN not in message and LOG_ID in message

    async def test_tiktoks_message_and_log_id_are_cut_to_a_bounded_length(self, integration, mock_context):
        error = {"code": "invalid_params", "message": "m" * 200_092, "log_id": "L" * 100_000}
        mock_context.fetch.side_effect = HTTPError(400, "x", {"error": error})

        message = message_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert len(message) < 800
        assert "invalid_params" in message


class TestReaderAndRedactionHelpers:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"error": {"code": "ok"}}, {"error": {"code": "ok"}}),
            ('{"error": {"code": "ok"}}', {"error": {"code": "ok"}}),
            (b'{"error": {"code": "ok"}}', {"error": {"code": "ok"}}),
            (b"\xff{", None),
            ("<html>502</html>", None),
            ("[1, 2]", None),
            ("", None),
            (None, None),
            (42, None),
        ],
    )
    def test_read_envelope(self, body, expected):
        assert read_envelope(body) == expected

    def test_only_secret_credentials_are_searched_for(self):
        auth = {
            "auth_type": "PlatformOauth2",
            "credentials": {
                "access_token": ODD_TOKEN,
                "refresh_token": REFRESH,
                "token_type": "Bearer-ish-type",  # nosec B105
                "scope": "user.info.basic,video.publish",
                "short_token": "abc",  # nosec B105
            },
        }
        assert secrets_of(auth) == (ODD_TOKEN, REFRESH)
        assert secrets_of({"credentials": "x"}) == () and secrets_of(None) == ()

    def test_a_token_is_removed_before_the_text_is_cut(self):
        text = clean_detail("n" * 290 + ODD_TOKEN, (ODD_TOKEN,))
        assert text == "n" * 290 + "[redacted]" and len(clean_detail("x" * 5000)) == 300


# ---- 6. A 429 whose Retry-After is a date or a decimal ---------------------------------------------------------------


class TestRetryAfterInAnyForm:
    @pytest.mark.parametrize("retry_after", ["1.5", "Wed, 21 Oct 2026 07:28:00 GMT", ""])
    async def test_a_read_is_tried_again(self, integration, mock_context, retry_after):
        mock_context.fetch.side_effect = [sdk_retry_after_crash(retry_after), ok({"user": {"open_id": "o-1"}})]

        data = data_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert data["open_id"] == "o-1"
        assert urls(mock_context) == [USER_INFO, USER_INFO]

    async def test_a_read_that_stays_limited_says_so(self, integration, mock_context):
        mock_context.fetch.side_effect = sdk_retry_after_crash("2.5")

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "too many requests" in message and "HTTP 429" in message
        assert len(urls(mock_context)) == 3

    @pytest.mark.parametrize(("action", "inputs", "init_url"), PUBLISHES)
    async def test_a_publish_is_sent_once(self, integration, mock_context, action, inputs, init_url):
        mock_context.fetch.side_effect = init_answers(sdk_retry_after_crash("Wed, 21 Oct 2026 07:28:00 GMT"))

        message = message_of(await integration.execute_action(action, inputs, mock_context))

        assert "HTTP 429" in message and UNCERTAIN in message
        assert urls(mock_context).count(init_url) == 1

    async def test_a_rate_limit_error_still_works(self, integration, mock_context):
        limited = RateLimitError(60, 429, "Rate limit exceeded", json.dumps({"error": {"code": "rate_limit_exceeded"}}))
        mock_context.fetch.side_effect = [limited, ok({"user": {"open_id": "o-1"}})]

        assert data_of(await integration.execute_action("get_user_info", {}, mock_context))["open_id"] == "o-1"

    @pytest.mark.parametrize("retry_after", ["1.5", "Wed, 21 Oct 2026 07:28:00 GMT"])
    async def test_through_the_real_sdk(self, integration, loopback, tiktok_module, monkeypatch, retry_after):
        monkeypatch.setattr(tiktok_api, "USER_INFO_URL", loopback.url("/v2/user/info/"))
        body = json.dumps({"error": {"code": "rate_limit_exceeded", "log_id": LOG_ID}}).encode()
        loopback.host("/v2/user/info/", body, status=429, headers={"Retry-After": retry_after})

        async with real_context() as context:
            message = message_of(await integration.execute_action("get_user_info", {}, context))

        assert "too many requests" in message
        assert len(loopback.requests) == 3  # the first try and two more within the step


# ---- 7. International and odd host names ----------------------------------------------------------------------------


class TestInternationalAndOddHosts:
    @pytest.mark.parametrize(
        "url", ["https://bücher.example.com/v.mp4", "https://xn--bcher-kva.example.com/v.mp4"], ids=["idn", "xn"]
    )
    async def test_an_international_name_is_accepted(self, integration, mock_context, url):
        mock_context.fetch.side_effect = init_answers(ok({"publish_id": "v_pub_1"}))

        data = data_of(
            await integration.execute_action(
                "upload_video_draft", {"video_url": url, "pull_from_url": True}, mock_context
            )
        )

        assert data["publish_id"] == "v_pub_1"

    @pytest.mark.parametrize(
        "url",
        [
            "https://a\x00b.example.com/v.mp4",
            "https://xn--zz.example.com/v.mp4",
            "https://exa mple.com/v.mp4",
            "https://ex%41mple.com/v.mp4",
            "https://a..b.example.com/v.mp4",
        ],
        ids=["nul", "bad-punycode", "space", "percent", "empty-label"],
    )
    @pytest.mark.parametrize("pull", [True, False], ids=["pull", "download"])
    async def test_an_odd_host_is_refused_in_words(self, integration, mock_context, url, pull):
        inputs = {"video_url": url, "pull_from_url": pull}

        message = message_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert "not a valid" in message and "nothing was posted" in message
        mock_context.fetch.assert_not_awaited()

    @pytest.mark.parametrize("url", ["https://a\x00b.example.com/p.webp", "https://xn--zz.example.com/p.webp"])
    async def test_an_odd_photo_host_is_refused_in_words(self, integration, mock_context, url):
        inputs = {"photo_urls": [url], "post_mode": "MEDIA_UPLOAD"}

        message = message_of(await integration.execute_action("create_photo_post", inputs, mock_context))

        assert "photo link #1" in message and "not a valid" in message
        mock_context.fetch.assert_not_awaited()

    async def test_an_international_link_is_downloaded_by_its_ascii_name(
        self, integration, mock_context, loopback, monkeypatch
    ):
        asked = []

        class ToLoopback(AbstractResolver):
            async def resolve(self, host, port=0, family=socket.AF_INET):
                asked.append(host)
                return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": family, "proto": 0, "flags": 0}]

            async def close(self):
                pass

        class InternationalGuard(LoopbackGuard):
            """The production host checks for an http link (the loopback has no certificate), names resolved to
            the loopback server."""

            def check_link(self, url, what="video link"):
                super().check_link(str(url).replace("http://", "https://", 1), what)
                return url

            def download_connector(self):
                return aiohttp.TCPConnector(resolver=ToLoopback(), use_dns_cache=False)

        monkeypatch.setattr(tiktok_transfer, "link_guard", InternationalGuard(port_of(loopback)))
        loopback.host("/v.mp4", mp4(2000))
        upload_url = loopback.url("/upload")
        mock_context.fetch.return_value = ok({"publish_id": "v_pub_1", "upload_url": upload_url})

        url = f"http://bücher.example.com:{port_of(loopback)}/v.mp4"
        inputs = {"file": {"name": "v.mp4", "url": url}}
        data = data_of(await integration.execute_action("upload_video_draft", inputs, mock_context))

        assert data["video_size"] == 2000
        # The preflight's ranged read and the upload's download each connect, always by the ASCII name.
        assert asked and set(asked) == {"xn--bcher-kva.example.com"}
        gets = [r for r in loopback.requests if r["method"] == "GET"]
        assert gets and {r["headers"]["Host"] for r in gets} == {f"xn--bcher-kva.example.com:{port_of(loopback)}"}


# ---- 8. Unexpected shapes inside an "ok" answer ---------------------------------------------------------------------


class TestOddShapesInsideOk:
    @pytest.mark.parametrize("user", [[1, 2], "ada", None, 7])
    async def test_get_user_info(self, integration, mock_context, user):
        mock_context.fetch.return_value = ok({"user": user})

        data = data_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert data["open_id"] is None and data["follower_count"] is None

    async def test_get_user_info_field_by_field(self, integration, mock_context):
        user = {
            "open_id": ["x"],
            "display_name": "Ada",
            "is_verified": "yes",
            "follower_count": "12",
            "likes_count": {},
        }
        mock_context.fetch.return_value = ok({"user": user})

        data = data_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert (data["open_id"], data["display_name"], data["is_verified"]) == (None, "Ada", None)
        assert (data["follower_count"], data["likes_count"]) == (12, None)

    async def test_get_creator_info(self, integration, mock_context):
        odd = {
            "creator_nickname": ["A"],
            "privacy_level_options": "PUBLIC_TO_EVERYONE",
            "max_video_post_duration_sec": "x",
        }
        mock_context.fetch.return_value = ok(odd)

        data = data_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert data["privacy_level_options"] == [] and data["creator_nickname"] is None
        assert data["max_video_post_duration_sec"] is None

    async def test_get_creator_info_keeps_the_options_that_are_text(self, integration, mock_context):
        mock_context.fetch.return_value = ok({"privacy_level_options": ["SELF_ONLY", 3, None]})

        data = data_of(await integration.execute_action("get_creator_info", {}, mock_context))

        assert data["privacy_level_options"] == ["SELF_ONLY"]

    async def test_get_videos(self, integration, mock_context):
        listing = [
            "x",
            None,
            [1],
            {"id": 7321456789012345678, "like_count": "12", "view_count": [100], "title": {"t": 1}, "duration": 1.0},
        ]
        mock_context.fetch.return_value = ok({"videos": listing, "has_more": False, "cursor": "next"})

        data = data_of(await integration.execute_action("get_videos", {"max_count": 5}, mock_context))

        (only,) = data["videos"]
        assert only["id"] == "7321456789012345678" and only["like_count"] == 12 and only["view_count"] == 0
        assert only["title"] is None and only["duration"] == 1 and only["engagement_rate"] == 0.0
        assert data["cursor"] is None

    @pytest.mark.parametrize("listing", [{"id": "1"}, "videos", 3])
    async def test_get_video_with_a_list_that_is_not_one(self, integration, mock_context, listing):
        mock_context.fetch.return_value = ok({"videos": listing})

        data = data_of(await integration.execute_action("get_video", {"video_ids": ["1"]}, mock_context))

        assert data == {"videos": [], "not_found": ["1"]}

    async def test_get_post_status(self, integration, mock_context):
        odd = {"status": ["PUBLISH_COMPLETE"], "publicaly_available_post_id": "7321", "uploaded_bytes": "x"}
        mock_context.fetch.return_value = ok(odd)

        data = data_of(await integration.execute_action("get_post_status", {"publish_id": "p"}, mock_context))

        assert data["status"] == "UNKNOWN" and data["publicaly_available_post_id"] == []
        assert data["uploaded_bytes"] is None

    async def test_a_payload_is_never_quoted(self, integration, mock_context):
        mock_context.fetch.return_value = ok({"status": "FAILED", "fail_reason": {"secret": "payload" * 1000}})

        result = await integration.execute_action("get_post_status", {"publish_id": "p"}, mock_context)

        assert result.type == ResultType.ACTION and "payload" not in json.dumps(result.result.data)


# ---- 9. Upload completion: only a 201 to the last part; a 416 only within what was sent -----------------------------


def seven_parts(size):
    return ChunkPlan(size, size // 7, 7)


class TestUploadCompletion:
    @pytest.fixture
    def upload(self, mock_context, loopback):
        mock_context.fetch.return_value = ok({"publish_id": "v_pub_1", "upload_url": loopback.url("/upload")})
        return loopback

    async def test_a_416_claiming_the_whole_file_after_two_of_seven_parts_is_not_success(
        self, integration, mock_context, upload, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_posting, "plan_chunks", seven_parts)
        size = 7000
        upload.put_answers = [206, 206, (416, {"Content-Range": f"bytes 0-{size - 1}/{size}"})]

        result = await integration.execute_action("upload_video_draft", {"file": inline(mp4(size))}, mock_context)

        assert "disagree on how much of the video arrived (part 3 of 7)" in message_of(result)
        assert len(upload.puts) == 3

    @pytest.mark.parametrize(
        "answer",
        [200, 206, (206, {"Content-Range": "bytes 0-6999/7000"})],
        ids=["200", "206", "206-whole"],
    )
    async def test_a_2xx_other_than_201_to_the_last_part_is_settled_by_a_resend(
        self, integration, mock_context, upload, answer
    ):
        upload.put_answers = [answer]  # not stored; the resend is, and TikTok answers it 201

        data = data_of(
            await integration.execute_action("upload_video_draft", {"file": inline(mp4(7000))}, mock_context)
        )

        assert data["status"] == "PROCESSING_UPLOAD" and len(upload.puts) == 2
        assert upload.received == mp4(7000)

    async def test_a_416_for_the_whole_file_to_the_first_send_of_the_last_part_completes(
        self, integration, mock_context, upload
    ):
        # aiohttp may have sent the part once already (its own resend after a dropped connection): TikTok holds it.
        upload.put_answers = [(416, {"Content-Range": "bytes 0-6999/7000"})]

        data = data_of(
            await integration.execute_action("upload_video_draft", {"file": inline(mp4(7000))}, mock_context)
        )

        assert data["status"] == "PROCESSING_UPLOAD" and len(upload.puts) == 1


# ---- 10. A stalled upload endpoint ----------------------------------------------------------------------------------


class StallingUploadServer:
    """TikTok's upload endpoint answering scripted statuses, then reading a part and never answering: time
    fast-forwards (the loopback fixture's FastForward clock) until the integration's deadline ends the wait."""

    def __init__(self, answers, fast_forward):
        self.answers, self.puts = list(answers), 0
        self.release = asyncio.Event()
        self.fast_forward = fast_forward

    async def handle(self, request):
        await request.read()
        self.puts += 1
        if self.answers:
            return web.Response(status=self.answers.pop(0))
        await self.fast_forward.while_unanswered(request, self.release)
        return web.Response(status=500)


class TestStalledUpload:
    @pytest.fixture
    async def stalling(self, loopback, monkeypatch, tiktok_module):
        servers = []

        async def start(answers):
            server = StallingUploadServer(answers, loopback.fast_forward)
            app = web.Application()
            app.router.add_route("PUT", "/upload", server.handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            port = runner.addresses[0][1]

            class Guard(LoopbackGuard):
                def check_upload_url(self, upload_url):
                    return upload_url

            monkeypatch.setattr(tiktok_transfer, "link_guard", Guard(port_of(loopback)))
            servers.append((server, runner))
            return server, f"http://127.0.0.1:{port}/upload"

        # The deadline ends the wait for an answer that never comes; by then the server has been silent longer
        # than UPLOAD_SILENCE_S, so the message blames the upload server, not the video's size.
        monkeypatch.setattr(tiktok_posting, "TRANSFER_DEADLINE_S", 1.0)
        monkeypatch.setattr(tiktok_transfer, "UPLOAD_SILENCE_S", 0.2)
        yield start
        for server, runner in servers:
            server.release.set()
            await runner.cleanup()

    async def test_a_small_video_whose_only_part_gets_no_answer(self, integration, mock_context, stalling):
        server, upload_url = await stalling([])
        mock_context.fetch.return_value = ok({"publish_id": "v_pub_1", "upload_url": upload_url})

        result = await integration.execute_action("upload_video_draft", {"file": inline(mp4(300_000))}, mock_context)

        message = message_of(result)
        assert message.startswith("The last part of the video was sent, but TikTok's upload server stopped answering")
        assert "do not run this step again" in message  # every byte went out: TikTok may have the video
        assert server.puts == 1

    async def test_a_stall_in_the_middle_says_which_part(
        self, integration, mock_context, stalling, tiktok_module, monkeypatch
    ):
        monkeypatch.setattr(tiktok_posting, "plan_chunks", seven_parts)
        server, upload_url = await stalling([206])
        mock_context.fetch.return_value = ok({"publish_id": "v_pub_1", "upload_url": upload_url})

        result = await integration.execute_action("upload_video_draft", {"file": inline(mp4(7000))}, mock_context)

        message = message_of(result)
        assert "stopped answering while part 2 of 7 of the video was being sent" in message
        assert "Nothing was posted" in message and "too large" not in message
