"""get_user_info, get_creator_info and the connected account: exact requests, scope probing, results."""

import asyncio

import aiohttp
import pytest
from autohive_integrations_sdk import ConnectedAccountInfo, HTTPError, RateLimitError, ResultType

from tiktok_testkit import (
    ALL_USER_FIELDS,
    BASIC_FIELDS,
    BASIC_USER,
    CREATOR_INFO,
    LOG_ID,
    PROFILE_FIELDS,
    PROFILE_USER,
    STATS_FIELDS,
    STATS_USER,
    TOKEN,
    USER_INFO,
    creator,
    data_of,
    fetched,
    message_of,
    ok,
    request,
    tiktok_error,
)

pytestmark = pytest.mark.unit


# ---- get_user_info --------------------------------------------------------------------------------------------------

NO_STATS = {"follower_count": None, "following_count": None, "likes_count": None, "video_count": None}
NO_PROFILE = {
    "username": None,
    "bio_description": None,
    "profile_deep_link": None,
    "profile_web_link": None,
    "is_verified": None,
}


class TestGetUserInfo:
    async def test_all_fields_in_the_query_string(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER, **STATS_USER}})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **STATS_USER, "missing_scopes": []}

    @pytest.mark.parametrize(("status", "code"), [(400, "scope_permission_missed"), (401, "scope_not_authorized")])
    async def test_refused_stats_degrade_to_basic_and_profile(self, integration, mock_context, status, code):
        mock_context.fetch.side_effect = [
            tiktok_error(status, code),
            ok({"user": {**BASIC_USER, **PROFILE_USER}}),
            tiktok_error(status, code),
        ]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{STATS_FIELDS}"}),
        ]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **NO_STATS, "missing_scopes": ["user.info.stats"]}

    async def test_only_basic_granted_asks_for_basic_alone(self, integration, mock_context):
        refused = tiktok_error(400, "scope_permission_missed")
        mock_context.fetch.side_effect = [refused, refused, refused, ok({"user": BASIC_USER})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{STATS_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": BASIC_FIELDS}),
        ]
        assert data_of(result) == {
            **BASIC_USER,
            **NO_PROFILE,
            **NO_STATS,
            "missing_scopes": ["user.info.profile", "user.info.stats"],
        }

    async def test_silently_dropped_stats_fields_are_named_missing(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER}})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})]
        assert data_of(result) == {**BASIC_USER, **PROFILE_USER, **NO_STATS, "missing_scopes": ["user.info.stats"]}

    async def test_invalid_token_asks_to_reconnect_and_ends_with_the_log_id(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(401, "access_token_invalid", "The access token is invalid.")]

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "access_token_invalid" in message
        assert "Reconnect the TikTok account" in message
        assert message.endswith(f"(TikTok log_id: {LOG_ID})")
        assert TOKEN not in message
        assert len(fetched(mock_context)) == 1  # not probed scope by scope

    async def test_other_error_while_probing_is_reported(self, integration, mock_context):
        mock_context.fetch.side_effect = [
            tiktok_error(400, "scope_permission_missed"),
            tiktok_error(500, "internal_error"),
        ]

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "internal_error" in message and LOG_ID in message
        assert len(fetched(mock_context)) == 2

    async def test_a_429_on_a_read_is_retried(self, integration, mock_context):
        user = {**BASIC_USER, **PROFILE_USER, **STATS_USER}
        mock_context.fetch.side_effect = [tiktok_error(429, "rate_limit_exceeded"), ok({"user": user})]

        result = await integration.execute_action("get_user_info", {}, mock_context)

        assert data_of(result) == {**user, "missing_scopes": []}
        assert fetched(mock_context) == [request(USER_INFO, "GET", params={"fields": ALL_USER_FIELDS})] * 2

    async def test_a_429_that_persists_ends_after_three_attempts(self, integration, mock_context):
        mock_context.fetch.side_effect = tiktok_error(429, "rate_limit_exceeded")

        message = message_of(await integration.execute_action("get_user_info", {}, mock_context))

        assert "rate_limit_exceeded" in message and "Wait a minute" in message
        assert len(fetched(mock_context)) == 3


# ---- get_creator_info -----------------------------------------------------------------------------------------------


class TestGetCreatorInfo:
    async def test_empty_post_and_every_field(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok(creator(stitch_disabled=True))]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert fetched(mock_context) == [request(CREATOR_INFO)]
        assert data_of(result) == {
            "creator_nickname": "Ada Films",
            "creator_username": "ada.films",
            "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 300,
            "can_post": True,
            "cannot_post_reason": None,
        }

    async def test_missing_flags_default_to_enabled_interactions(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"creator_nickname": "Ada", "privacy_level_options": ["SELF_ONLY"]})]

        result = await integration.execute_action("get_creator_info", {}, mock_context)

        assert data_of(result) == {
            "creator_nickname": "Ada",
            "creator_username": None,
            "creator_avatar_url": None,
            "privacy_level_options": ["SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": None,
            "can_post": True,
            "cannot_post_reason": None,
        }


# ---- Connected account ----------------------------------------------------------------------------------------------


class TestConnectedAccount:
    async def test_fills_every_field(self, integration, mock_context):
        mock_context.fetch.side_effect = [ok({"user": {**BASIC_USER, **PROFILE_USER, "display_name": "Ada  King "}})]

        result = await integration.get_connected_account(mock_context)

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"})
        ]
        assert result.type == ResultType.CONNECTED_ACCOUNT
        assert result.result == ConnectedAccountInfo(
            user_id="-000abc123",
            username="ada.films",
            first_name="Ada",
            last_name="King",
            avatar_url="https://p16.example/a~1080.jpeg",
        )

    @pytest.mark.parametrize(
        ("display_name", "first", "last"),
        [("Ada Lovelace Byron", "Ada", "Lovelace Byron"), ("Ada", "Ada", None), ("", None, None), (None, None, None)],
    )
    async def test_display_name_split(self, integration, mock_context, display_name, first, last):
        mock_context.fetch.side_effect = [ok({"user": {"open_id": "-000x", "display_name": display_name}})]

        info = (await integration.get_connected_account(mock_context)).result

        assert (info.first_name, info.last_name) == (first, last)

    async def test_avatar_falls_back_to_the_small_one(self, integration, mock_context):
        user = {**BASIC_USER, **PROFILE_USER, "avatar_large_url": None}
        mock_context.fetch.side_effect = [ok({"user": user})]

        info = (await integration.get_connected_account(mock_context)).result

        assert info.avatar_url == "https://p16.example/a~168.jpeg"

    async def test_without_profile_scope_keeps_basic_fields(self, integration, mock_context):
        """basic+profile refused: the next request is basic alone (asking for basic+profile again cannot help)."""
        mock_context.fetch.side_effect = [tiktok_error(400, "scope_permission_missed"), ok({"user": BASIC_USER})]

        info = (await integration.get_connected_account(mock_context)).result

        assert fetched(mock_context) == [
            request(USER_INFO, "GET", params={"fields": f"{BASIC_FIELDS},{PROFILE_FIELDS}"}),
            request(USER_INFO, "GET", params={"fields": BASIC_FIELDS}),
        ]
        assert (info.user_id, info.username, info.first_name) == ("-000abc123", None, "Ada")

    @pytest.mark.parametrize(
        "failure",
        [
            tiktok_error(401, "access_token_invalid"),
            tiktok_error(400, "scope_permission_missed"),
            tiktok_error(429, "rate_limit_exceeded"),
            tiktok_error(500, "internal_error"),
            HTTPError(502, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
            asyncio.TimeoutError(),
            aiohttp.ClientConnectionError("connection reset"),
            RuntimeError("boom"),
            KeyError("user"),
        ],
        ids=lambda f: type(f).__name__,
    )
    async def test_any_failure_raises_a_clear_message_and_no_account_is_cached(
        self, integration, mock_context, failure
    ):
        """The SDK's connected-account guide: raise with a clear message; an empty account would be cached."""
        mock_context.fetch.side_effect = failure

        with pytest.raises(Exception, match=r"^Could not read the connected TikTok account") as raised:
            await integration.get_connected_account(mock_context)

        message = str(raised.value)
        assert TOKEN not in message and "<html>" not in message and "boom" not in message
        if isinstance(failure, (HTTPError, RateLimitError)) and isinstance(failure.response_data, dict):
            code = failure.response_data["error"]["code"]
            assert f"TikTok error {code}" in message and f"(TikTok log_id: {LOG_ID})" in message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__

    async def test_http_200_error_code_raises_with_code_and_log_id(self, integration, mock_context):
        mock_context.fetch.side_effect = [tiktok_error(200, "internal_error")]

        with pytest.raises(Exception, match=r"TikTok error internal_error: .*\(TikTok log_id: ") as raised:
            await integration.get_connected_account(mock_context)

        assert str(raised.value).startswith("Could not read the connected TikTok account. TikTok error internal_error")
