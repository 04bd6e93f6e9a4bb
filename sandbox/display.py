"""Display API endpoints of the sandbox: GET /v2/user/info/, POST /v2/video/list/, POST /v2/video/query/ (§4, §5).

A mixin of ``TikTokSandbox``: it relies on the sandbox's ``clock``, ``_require_scope``, ``_json_body`` and
settings. These endpoints always use the global error spelling ``invalid_params`` (§1.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .state import (
    DAY,
    DEFAULT_LIST_COUNT,
    MAX_LIST_COUNT,
    MAX_QUERY_IDS,
    USER_FIELD_SCOPES,
    VIDEO_FIELDS,
    Account,
    ApiError,
    Token,
    is_int,
    snowflake,
)

if TYPE_CHECKING:
    from .transport import HttpRequest

COVER_TTL = 6 * 3600  # §5.3: cover_image_url links last 6 hours


def parse_fields(request: HttpRequest, allowed: Any) -> list[str]:
    """The comma-separated ``fields`` query parameter: required, every name known, duplicates ignored."""
    raw = request.url.query.get("fields")
    names = [name.strip() for name in (raw or "").split(",") if name.strip()]
    if not names:
        raise ApiError(400, "invalid_params", "The fields query parameter is required.")
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ApiError(400, "invalid_params", f"Invalid fields: {', '.join(unknown)}.")
    return list(dict.fromkeys(names))


class DisplayEndpoints:
    def _ep_user_info(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        self._require_scope(token, "user.info.basic")
        names = parse_fields(request, USER_FIELD_SCOPES)
        missing = [name for name in names if USER_FIELD_SCOPES[name] not in token.scopes]
        if missing and not self.silently_drop_unpermitted_fields:
            scopes = sorted({USER_FIELD_SCOPES[name] for name in missing})
            raise ApiError(
                400,
                "scope_permission_missed",
                f"Fields {', '.join(missing)} need additional scopes: {', '.join(scopes)}.",
            )
        account = token.account
        user = {name: self._user_field(account, name) for name in names if name not in missing}
        return {"user": user}

    @staticmethod
    def _user_field(account: Account, name: str) -> Any:
        if name == "video_count" and account.video_count is None:
            return len(account.library)
        return getattr(account, name)

    def _ep_video_list(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        self._require_scope(token, "video.list")
        names = parse_fields(request, VIDEO_FIELDS)
        body = self._json_body(request, "invalid_params")
        cursor = body.get("cursor")
        if cursor is not None and (not is_int(cursor) or cursor < 0):
            raise ApiError(400, "invalid_params", "cursor must be a non-negative integer (Unix time in ms).")
        max_count = body.get("max_count")
        if max_count is None:
            max_count = DEFAULT_LIST_COUNT
        elif not is_int(max_count) or not 1 <= max_count <= MAX_LIST_COUNT:
            raise ApiError(400, "invalid_params", f"max_count must be an integer from 1 to {MAX_LIST_COUNT}.")
        # cursor 0 means "from the newest", like an omitted cursor (a Go int64 cannot tell the two apart).
        older = [v for v in token.account.library if not cursor or v["create_time"] * 1000 < cursor]
        page = older[:max_count]
        return {
            "videos": [self._project(video, names) for video in page],
            "cursor": page[-1]["create_time"] * 1000 if page else (cursor or 0),
            "has_more": len(older) > len(page),
        }

    def _ep_video_query(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        self._require_scope(token, "video.list")
        names = parse_fields(request, VIDEO_FIELDS)
        body = self._json_body(request, "invalid_params")
        filters = body.get("filters")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_QUERY_IDS or not all(isinstance(i, str) for i in ids):
            raise ApiError(
                400, "invalid_params", f"filters.video_ids must be a list of 1 to {MAX_QUERY_IDS} video id strings."
            )
        owned = {video["id"]: video for video in token.account.library}
        # Ids of other users' videos (or unknown ones) are silently left out: the endpoint checks ownership.
        return {"videos": [self._project(owned[i], names) for i in dict.fromkeys(ids) if i in owned]}

    def _project(self, video: dict[str, Any], names: list[str]) -> dict[str, Any]:
        out = {}
        for name in names:
            if name == "cover_image_url":
                expires = int(self.clock()) + COVER_TTL
                out[name] = f"https://p16-sign.sandbox.example/obj/tos-cover/{video['id']}.jpeg?x-expires={expires}"
            else:
                out[name] = video[name]
        return out

    # -----------------------------------------------------------------------------------------------------------------
    # The creator's public videos
    # -----------------------------------------------------------------------------------------------------------------

    def _build_library(self, account: Account) -> list[dict[str, Any]]:
        """``account.library_size`` public videos, newest first, about a day apart, all before "now"."""
        newest = int(self.clock()) - 3600
        videos = []
        for i in range(account.library_size):
            create_time = newest - i * DAY - (i * 7919) % 3600  # strictly decreasing, irregular minutes
            video_id = snowflake(create_time, account.index << 16 | i)
            unwatched = i % 9 == 4  # a few videos with no views yet, as real libraries have
            views = 0 if unwatched else 150 + i * 137
            videos.append(
                video_entry(
                    account,
                    video_id,
                    create_time,
                    title=f"Sandbox clip #{i + 1}",
                    description=f"Sandbox clip #{i + 1} #sandbox #fyp",
                    duration=8 + (i * 13) % 52,
                    landscape=i % 4 == 3,
                    counts=(0, 0, 0, 0) if unwatched else (views // 7, i % 13, i % 5, views),
                )
            )
        return videos


def video_entry(
    account: Account,
    video_id: int,
    create_time: int,
    *,
    title: str,
    description: str,
    duration: int,
    landscape: bool = False,
    counts: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> dict[str, Any]:
    """One Video Object with every §5.3 field (cover_image_url is generated per response)."""
    vid = str(video_id)
    share_url = f"https://www.tiktok.com/@{account.username}/video/{vid}"
    likes, comments, shares, views = counts
    return {
        "id": vid,
        "create_time": create_time,
        # TikTok's share links carry its tracking parameters (the integration's post_url is the link without them).
        "share_url": f"{share_url}?utm_campaign=tt4d_open_api&utm_source=sandbox",
        "video_description": description[:150],
        "duration": duration,
        "height": 720 if landscape else 1920,
        "width": 1280 if landscape else 1080,
        "title": title[:150],
        "embed_html": (
            f'<blockquote class="tiktok-embed" cite="{share_url}" data-video-id="{vid}" '
            f'style="max-width: 605px;min-width: 325px;"><section></section></blockquote> '
            '<script async src="https://www.tiktok.com/embed.js"></script>'
        ),
        "embed_link": f"https://www.tiktok.com/player/v1/{vid}",
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "view_count": views,
    }
