"""Content Posting API endpoints of the sandbox (§6-§11): creator info, the three init endpoints, the upload PUT,
status fetch and cancel, with the publish lifecycle behind them.

A mixin of ``TikTokSandbox``: it relies on the sandbox's clock, settings, id generators, caps and reply helpers.
The 400 code for bad parameters is ``self.invalid_param_code`` (TikTok's pages say ``invalid_param``, real
responses ``invalid_params``; §1.2).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from yarl import URL

from .display import video_entry
from .media import frame_rate, photo_format, probe
from .state import (
    MAX_CHUNK,
    MAX_CHUNKS,
    MAX_FINAL_CHUNK,
    MAX_PHOTOS,
    MAX_VIDEO_SIZE,
    MIN_CHUNK,
    MIN_INBOX_APP_VERSION,
    PHOTO_DESCRIPTION_MAX,
    PHOTO_TITLE_MAX,
    UPLOAD_CONTENT_TYPES,
    VIDEO_TITLE_MAX,
    Account,
    ApiError,
    ChunkRecord,
    Publish,
    Token,
    Upload,
    is_int,
    parse_version,
    utf16_len,
)
from .transport import Reply

if TYPE_CHECKING:
    from .transport import HttpRequest

CHUNK_SIZE_INVALID = "The chunk size is invalid"  # TikTok's own wording (§1.2, §15)
VIDEO_BOOL_FIELDS = (
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
PHOTO_BOOL_FIELDS = ("disable_comment", "auto_add_music", "brand_content_toggle", "brand_organic_toggle")
SYNTHETIC_VIDEO_SIZE = 10_000_000  # what a PULL_FROM_URL "downloads" from a link the sandbox does not host
SYNTHETIC_PHOTO_SIZE = 300_000
# https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide: videos 23-60 fps ("Video
# restrictions"); photos JPEG or WebP ("Image restrictions").
MIN_FPS, MAX_FPS = 23, 60
PHOTO_FORMATS = ("jpeg", "webp")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_FINISHED = ("FAILED", "SEND_TO_USER_INBOX", "PUBLISH_COMPLETE")


class PostingEndpoints:
    # -----------------------------------------------------------------------------------------------------------------
    # POST /v2/post/publish/creator_info/query/
    # -----------------------------------------------------------------------------------------------------------------

    def _ep_creator_info(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        self._require_scope(token, "video.publish")
        account = token.account
        blocked = self._posting_block(account)
        if blocked is not None:
            # §6: TikTok answers these with HTTP 200 on purpose; only error.code tells the client to stop.
            raise ApiError(200, *blocked)
        return {
            "creator_avatar_url": account.avatar_url,
            "creator_username": account.username,
            "creator_nickname": account.display_name,
            "privacy_level_options": account.privacy_level_options,
            "comment_disabled": account.comment_disabled,
            "duet_disabled": account.private or account.duet_disabled,
            "stitch_disabled": account.private or account.stitch_disabled,
            "max_video_post_duration_sec": account.max_video_post_duration_sec,
        }

    def _posting_block(self, account: Account) -> tuple[str, str] | None:
        """Why this creator cannot direct-post right now, as (error code, message), or None."""
        if account.banned:
            return "spam_risk_user_banned_from_posting", "The user is banned from making new posts."
        if self._posts_last_day(account) >= self.daily_post_cap:
            return "spam_risk_too_many_posts", "The user has reached the daily post cap for API posts."
        if self._active_user_cap_reached(account):
            return "reached_active_user_cap", "The client has reached its daily quota of active publishing users."
        return None

    # -----------------------------------------------------------------------------------------------------------------
    # The three init endpoints
    # -----------------------------------------------------------------------------------------------------------------

    def _ep_video_init(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        """POST /v2/post/publish/video/init/ (Direct Post, §7)."""
        self._require_scope(token, "video.publish")
        code = self.invalid_param_code
        body = self._json_body(request, code)
        post_info = _object(body, "post_info", code)
        source_info = _object(body, "source_info", code)
        self._check_post_info(post_info, VIDEO_BOOL_FIELDS, direct=True)
        _check_text(post_info, "title", VIDEO_TITLE_MAX, code)
        if "video_cover_timestamp_ms" in post_info and not is_int(post_info["video_cover_timestamp_ms"]):
            raise ApiError(400, code, "post_info.video_cover_timestamp_ms must be an integer.")
        source = self._check_video_source(source_info)
        account = token.account
        privacy = self._check_privacy(post_info, account)
        if source == "PULL_FROM_URL":
            self._check_url_ownership([source_info["video_url"]])
        self._check_can_direct_post(account)
        return self._accept(token, "video", "direct", source, post_info, source_info, privacy)

    def _ep_inbox_init(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        """POST /v2/post/publish/inbox/video/init/ (upload to the creator's inbox, §8). Only source_info counts;
        other keys (post_info included) are ignored."""
        self._require_scope(token, "video.upload")
        body = self._json_body(request, self.invalid_param_code)
        source_info = _object(body, "source_info", self.invalid_param_code)
        source = self._check_video_source(source_info)
        if source == "PULL_FROM_URL":
            self._check_url_ownership([source_info["video_url"]])
        self._check_can_share(token.account)
        return self._accept(token, "video", "inbox", source, {}, source_info, None)

    def _ep_content_init(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        """POST /v2/post/publish/content/init/ (photo posts, §10)."""
        self._require_scope(token, "video.publish", "video.upload")
        code = self.invalid_param_code
        body = self._json_body(request, code)
        if body.get("media_type") != "PHOTO":
            raise ApiError(400, code, "media_type must be PHOTO.")
        post_mode = body.get("post_mode")
        if post_mode not in ("DIRECT_POST", "MEDIA_UPLOAD"):
            raise ApiError(400, code, "post_mode must be DIRECT_POST or MEDIA_UPLOAD.")
        direct = post_mode == "DIRECT_POST"
        self._require_scope(token, "video.publish" if direct else "video.upload")
        post_info = _object(body, "post_info", code)
        source_info = _object(body, "source_info", code)
        self._check_post_info(post_info, PHOTO_BOOL_FIELDS, direct=direct)
        _check_text(post_info, "title", PHOTO_TITLE_MAX, code)
        _check_text(post_info, "description", PHOTO_DESCRIPTION_MAX, code)
        if source_info.get("source") != "PULL_FROM_URL":
            raise ApiError(400, code, "source_info.source must be PULL_FROM_URL for photos.")
        images = source_info.get("photo_images")
        if not isinstance(images, list) or not 1 <= len(images) <= MAX_PHOTOS:
            raise ApiError(400, code, f"source_info.photo_images must list 1 to {MAX_PHOTOS} image URLs.")
        if not all(isinstance(url, str) and url for url in images):
            raise ApiError(400, code, "source_info.photo_images must hold URL strings.")
        cover = source_info.get("photo_cover_index")
        if not is_int(cover) or not 0 <= cover < len(images):
            raise ApiError(400, code, "source_info.photo_cover_index must be a 0-based index into photo_images.")
        account = token.account
        if not direct and parse_version(account.app_version) < MIN_INBOX_APP_VERSION:
            raise ApiError(400, "app_version_check_failed", "MEDIA_UPLOAD needs TikTok app version 31.8 or later.")
        privacy = self._check_privacy(post_info, account) if direct else None
        self._check_url_ownership(images)
        if direct:
            self._check_can_direct_post(account)
        else:
            self._check_can_share(account)
        return self._accept(
            token, "photo", "direct" if direct else "inbox", "PULL_FROM_URL", post_info, source_info, privacy
        )

    # -----------------------------------------------------------------------------------------------------------------
    # Init validation helpers
    # -----------------------------------------------------------------------------------------------------------------

    def _check_post_info(self, post_info: dict[str, Any], bool_fields: tuple[str, ...], *, direct: bool) -> None:
        code = self.invalid_param_code
        for name in bool_fields:
            if name in post_info and not isinstance(post_info[name], bool):
                raise ApiError(400, code, f"post_info.{name} must be a boolean.")
        if direct and self.require_brand_toggles:
            for name in ("brand_content_toggle", "brand_organic_toggle"):
                if name not in post_info:
                    raise ApiError(400, code, f"post_info.{name} is required.")

    def _check_video_source(self, source_info: dict[str, Any]) -> str:
        """Validate a video source_info (§7.2, §9.2) and return its source."""
        code = self.invalid_param_code
        source = source_info.get("source")
        if source == "PULL_FROM_URL":
            if not isinstance(source_info.get("video_url"), str) or not source_info["video_url"]:
                raise ApiError(400, code, "source_info.video_url is required for PULL_FROM_URL.")
            return source
        if source != "FILE_UPLOAD":
            raise ApiError(400, code, "source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
        for name in ("video_size", "chunk_size", "total_chunk_count"):
            if not is_int(source_info.get(name)):
                raise ApiError(400, code, f"source_info.{name} is required for FILE_UPLOAD and must be an integer.")
        if not self._chunk_plan_valid(
            source_info["video_size"], source_info["chunk_size"], source_info["total_chunk_count"]
        ):
            raise ApiError(400, code, CHUNK_SIZE_INVALID)
        return source

    def _chunk_plan_valid(self, video_size: int, chunk_size: int, count: int) -> bool:
        """§9.2, all of it."""
        if not 0 < video_size <= MAX_VIDEO_SIZE or chunk_size <= 0:
            return False
        if count != video_size // chunk_size or not 1 <= count <= MAX_CHUNKS:  # floor, not ceil
            return False
        if count == 1:
            # Whole file in one PUT: chunk_size must be the file size, and only files up to 64 MB may do it
            # (files under 5 MB must do it, which the MIN_CHUNK rule below enforces for them).
            return chunk_size == video_size and video_size <= MAX_CHUNK
        if self.reject_multi_chunk:  # emulates post-for-me#327 (§15): every multi-chunk init refused
            return False
        final_chunk = video_size - chunk_size * (count - 1)
        return MIN_CHUNK <= chunk_size <= MAX_CHUNK and final_chunk <= MAX_FINAL_CHUNK

    def _check_privacy(self, post_info: dict[str, Any], account: Account) -> str:
        """privacy_level is required for direct posts and must be one of the creator's options; unaudited
        clients may only post SELF_ONLY to private accounts (§7.1, §12.3)."""
        privacy = post_info.get("privacy_level")
        if privacy not in account.privacy_level_options:
            raise ApiError(
                403,
                "privacy_level_option_mismatch",
                f"privacy_level must be one of {', '.join(account.privacy_level_options)}.",
            )
        if not self.audited and (privacy != "SELF_ONLY" or not account.private):
            raise ApiError(
                403,
                "unaudited_client_can_only_post_to_private_accounts",
                "Unaudited clients can only post SELF_ONLY content to private accounts.",
            )
        return privacy

    def _check_url_ownership(self, urls: list[str]) -> None:
        for url in urls:
            if not self._url_verified(url):
                raise ApiError(
                    403, "url_ownership_unverified", f"The URL {url} is not on a verified domain or URL prefix."
                )

    def _url_verified(self, url: str) -> bool:
        """https only; an exact verified prefix, or a verified domain or any of its subdomains (§9.6)."""
        try:
            parsed = URL(url)
        except ValueError:
            return False
        if parsed.scheme != "https" or not parsed.host:
            return False
        if any(url.startswith(prefix) for prefix in self.verified_url_prefixes):
            return True
        host = parsed.host.lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.verified_domains)

    def _check_can_direct_post(self, account: Account) -> None:
        blocked = self._posting_block(account)
        if blocked is not None:
            raise ApiError(403, *blocked)  # the same codes creator_info answers with 200

    def _check_can_share(self, account: Account) -> None:
        if account.banned:
            raise ApiError(403, "spam_risk_user_banned_from_posting", "The user is banned from making new posts.")
        if self._pending_shares(account) >= self.pending_share_cap:
            raise ApiError(
                403,
                "spam_risk_too_many_pending_share",
                f"The user already has {self.pending_share_cap} pending shares in the last 24 hours.",
            )

    # -----------------------------------------------------------------------------------------------------------------
    # Accepted inits
    # -----------------------------------------------------------------------------------------------------------------

    def _accept(
        self,
        token: Token,
        media: str,
        mode: str,
        source: str,
        post_info: dict[str, Any],
        source_info: dict[str, Any],
        privacy: str | None,
    ) -> dict[str, Any]:
        now = self.clock()
        kind = {"video": "v", "photo": "p"}[media] + {"direct": "_pub", "inbox": "_inbox"}[mode]
        kind += "_file" if source == "FILE_UPLOAD" else "_url"
        publish = Publish(
            publish_id=f"{kind}~v2-1.{self._next_id()}",
            token=token.token,
            account=token.account,
            media=media,
            mode=mode,
            source=source,
            created_at=now,
            post_info=post_info,
            source_info=source_info,
            privacy_level=privacy,
            status="PROCESSING_UPLOAD" if source == "FILE_UPLOAD" else "PROCESSING_DOWNLOAD",
            polls_left=self.processing_polls,
            polls_total=self.processing_polls,
        )
        if self._fail_next is not None:
            publish.fail_on_completion, self._fail_next = self._fail_next, None
        data = {"publish_id": publish.publish_id}
        if source == "FILE_UPLOAD":
            publish.upload = self._new_upload(publish)
            data["upload_url"] = publish.upload.upload_url
        else:
            publish.download_size = self._download_size(publish)
        if mode == "direct":
            token.account.post_times.append(now)
            self._app_posters.append((now, token.account))
        self.publishes[publish.publish_id] = publish
        return data

    def _new_upload(self, publish: Publish) -> Upload:
        now = self.clock()
        upload_id = str(self._next_id())
        upload_token = self._opaque("upload")
        separator = "&" if "?" in self.upload_base else "?"
        query = urlencode({"upload_id": upload_id, "upload_token": upload_token})
        upload = Upload(
            upload_id=upload_id,
            upload_token=upload_token,
            upload_url=f"{self.upload_base}{separator}{query}",
            publish_id=publish.publish_id,
            issued_at=now,
            expires_at=now + self.upload_url_ttl,
            video_size=publish.source_info["video_size"],
            chunk_size=publish.source_info["chunk_size"],
            total_chunk_count=publish.source_info["total_chunk_count"],
            progress_as_count=self.progress_as_count,
        )
        self.uploads[upload_id] = upload
        return upload

    def _pulled_urls(self, publish: Publish) -> list[str]:
        if publish.media == "video":
            return [publish.source_info["video_url"]]
        return list(publish.source_info["photo_images"])

    def _download_size(self, publish: Publish) -> int:
        """Bytes TikTok will pull: the hosted file's size when the sandbox hosts the link, else a stand-in."""
        fallback = SYNTHETIC_VIDEO_SIZE if publish.media == "video" else SYNTHETIC_PHOTO_SIZE
        total = 0
        for url in self._pulled_urls(publish):
            hosted = self.hosted.get(str(URL(url)))
            total += len(hosted.data) if hosted is not None else fallback
        return total

    # -----------------------------------------------------------------------------------------------------------------
    # PUT {upload_url}
    # -----------------------------------------------------------------------------------------------------------------

    def _upload(self, request: HttpRequest) -> Reply:
        query = request.url.query
        upload = self.uploads.get(query.get("upload_id", ""))
        if upload is None or query.get("upload_token") != upload.upload_token or request.method != "PUT":
            return self._reply(404, {}, "not_found", "No upload task matches this URL.")
        status, message = self._receive_chunk(upload, request)
        upload.chunks.append(
            ChunkRecord(
                content_range=request.headers.get("Content-Range"),
                content_length=request.declared_length,
                content_type=request.content_type,
                body_length=len(request.body),
                status=status,
                authorization=request.headers.get("Authorization"),
            )
        )
        if status in (201, 206):
            # Progress goes in Content-Range; TikTok documents no body for these answers.
            return self._plain(status, {"Content-Range": upload.progress_header()})
        codes = {400: "invalid_params", 403: "upload_url_expired", 416: "range_not_satisfiable"}
        reply = self._reply(status, {}, codes[status], message)
        if status == 416:
            reply.headers["Content-Range"] = upload.progress_header()
        return reply

    @staticmethod
    def _plain(status: int, headers: dict[str, str]) -> Reply:
        return Reply(status, b"", "text/plain; charset=utf-8", headers)

    def _receive_chunk(self, upload: Upload, request: HttpRequest) -> tuple[int, str]:
        """Apply §9.1/§9.4 to one PUT; store it if acceptable. Returns (HTTP status, message)."""
        if self.clock() >= upload.expires_at:
            return 403, "The upload URL has expired (it is valid for one hour after init)."
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type not in UPLOAD_CONTENT_TYPES:
            return 400, f"Content-Type must be one of {', '.join(UPLOAD_CONTENT_TYPES)}."
        declared = request.declared_length
        if declared is None:
            return 400, "Content-Length is required (a streamed body goes out chunked, without one)."
        if not declared.strip().isdigit() or int(declared) != len(request.body):
            return 400, "Content-Length does not match the size of the body."
        match = _CONTENT_RANGE.fullmatch((request.headers.get("Content-Range") or "").strip())
        if match is None:
            return 400, "Content-Range must look like 'bytes FIRST-LAST/TOTAL'."
        first, last, total = (int(group) for group in match.groups())
        if total != upload.video_size or first > last:
            return 400, f"Content-Range does not describe this {upload.video_size}-byte upload."
        if upload.complete or (first, last) != upload.expected_range(upload.next_index):
            return 416, "Content-Range does not match the upload progress (wrong offset or order)."
        if len(request.body) != last - first + 1:
            return 400, "The body size does not match Content-Range."
        upload.accept(request.body)
        if upload.next_index < upload.total_chunk_count:
            return 206, ""
        upload.completed_at = self.clock()
        return 201, ""

    # -----------------------------------------------------------------------------------------------------------------
    # POST /v2/post/publish/status/fetch/ and /v2/post/publish/cancel/
    # -----------------------------------------------------------------------------------------------------------------

    def _own_publish(self, request: HttpRequest, token: Token) -> Publish:
        self._require_scope(token, "video.publish", "video.upload")
        body = self._json_body(request, self.invalid_param_code)
        publish_id = body.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise ApiError(400, self.invalid_param_code, "publish_id is required.")
        publish = self.publishes.get(publish_id)
        if publish is None:
            raise ApiError(400, "invalid_publish_id", "The publish_id does not exist.")
        if publish.account is not token.account:
            raise ApiError(
                400,
                "token_not_authorized_for_specified_publish_id",
                "The access token has no rights on this publish_id.",
            )
        return publish

    def _ep_status(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        publish = self._own_publish(request, token)
        self._advance(publish)
        data: dict[str, Any] = {"status": publish.status}
        if publish.status == "FAILED":
            data["fail_reason"] = publish.fail_reason
        data["publicaly_available_post_id"] = list(publish.public_post_ids)  # sic: TikTok's spelling
        if publish.upload is not None:
            data["uploaded_bytes"] = publish.upload.received
        else:
            data["downloaded_bytes"] = publish.downloaded_bytes
        return data

    def _ep_cancel(self, request: HttpRequest, token: Token) -> dict[str, Any]:
        """Only a URL pull still downloading can be cancelled (§9.7)."""
        publish = self._own_publish(request, token)
        if publish.source != "PULL_FROM_URL" or publish.status != "PROCESSING_DOWNLOAD":
            raise ApiError(400, "publish_not_cancellable", "This publish can no longer be cancelled.")
        publish.status, publish.fail_reason = "FAILED", "publish_cancelled"
        return {}

    # -----------------------------------------------------------------------------------------------------------------
    # Publish lifecycle
    # -----------------------------------------------------------------------------------------------------------------

    def _advance(self, publish: Publish) -> None:
        """Move a publish one status fetch further.

        FILE_UPLOAD stays PROCESSING_UPLOAD until the last chunk is in; PULL_FROM_URL starts in
        PROCESSING_DOWNLOAD. Once the media is all there, ``processing_polls`` more fetches still answer the
        processing status, and the next one finishes: PUBLISH_COMPLETE (direct) or SEND_TO_USER_INBOX (inbox).
        """
        if publish.status in _FINISHED:
            return
        upload = publish.upload
        if upload is not None and not upload.complete:
            if self.clock() >= upload.expires_at:
                # The whole upload had to finish within the URL's hour; TikTok gives up on the post.
                publish.status, publish.fail_reason = "FAILED", "internal"
            return
        if publish.polls_left > 0:
            publish.polls_left -= 1
            if upload is None:
                done = publish.polls_total - publish.polls_left
                publish.downloaded_bytes = publish.download_size * done // (publish.polls_total + 1)
            return
        self._complete(publish)

    def _complete(self, publish: Publish) -> None:
        reason = publish.fail_on_completion or self._media_failure(publish)
        if publish.upload is None and reason not in ("video_pull_failed", "photo_pull_failed"):
            publish.downloaded_bytes = publish.download_size
        if reason:
            publish.status, publish.fail_reason = "FAILED", reason
        elif publish.mode == "direct":
            self._make_post(publish, publish.privacy_level)
            publish.status = "PUBLISH_COMPLETE"
        else:
            publish.status = "SEND_TO_USER_INBOX"

    def _media_failure(self, publish: Publish) -> str | None:
        """The fail_reason TikTok's processing would give, or None.

        Hosted links that redirect, fail or break make the pull fail (TikTok follows no redirects, §9.6). With
        ``check_media`` the video's container, duration and frame rate and the photos' format are checked as well
        (TikTok's media transfer guide).
        """
        head = None
        if publish.upload is not None:
            head = publish.upload.head
        else:
            for url in self._pulled_urls(publish):
                hosted = self.hosted.get(str(URL(url)))
                if hosted is None:
                    continue
                if hosted.redirect_to or hosted.status != 200 or hosted.break_after is not None:
                    return f"{publish.media}_pull_failed"
                if self.check_media and publish.media == "photo" and photo_format(hosted.data) not in PHOTO_FORMATS:
                    return "file_format_check_failed"  # JPEG and WebP only
                head = hosted.data[: Upload.HEAD_BYTES]
        if not self.check_media or publish.media != "video" or head is None:
            return None
        container, duration = probe(head)
        if container is None:
            return "file_format_check_failed"
        if duration is not None and duration > publish.account.max_video_post_duration_sec:
            return "duration_check_failed"
        fps = frame_rate(head)
        if fps is not None and not MIN_FPS <= fps <= MAX_FPS:
            return "frame_rate_check_failed"
        return None

    def _make_post(self, publish: Publish, privacy: str | None) -> int:
        """A post on the creator's profile. Public ones are reported in publicaly_available_post_id and, for
        videos, join the creator's public video list."""
        post_id = self._next_id()
        publish.post_ids.append(post_id)
        if privacy == "PUBLIC_TO_EVERYONE":
            publish.public_post_ids.append(post_id)
            if publish.media == "video":
                title = publish.post_info.get("title") or ""
                duration = None
                if publish.upload is not None:
                    duration = probe(publish.upload.head)[1]
                publish.account.library.insert(
                    0,
                    video_entry(
                        publish.account,
                        post_id,
                        int(self.clock()),
                        title=title,
                        description=title,
                        duration=round(duration) if duration else 10,
                    ),
                )
        return post_id


def _object(body: dict[str, Any], name: str, code: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise ApiError(400, code, f"{name} is required and must be a JSON object.")
    return value


def _check_text(post_info: dict[str, Any], name: str, limit: int, code: str) -> None:
    """Caption limits count UTF-16 code units, as TikTok does (§7.1, §10.2)."""
    value = post_info.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise ApiError(400, code, f"post_info.{name} must be a string.")
    if utf16_len(value) > limit:
        raise ApiError(400, code, f"post_info.{name} is longer than {limit} UTF-16 code units.")
