"""`make demo`: one realistic scenario, every action and one poll of a trigger, through the integration's real code
and the real SDK, against the built-in TikTok sandbox. No credentials needed.
"""

import asyncio
import base64
import hashlib
import logging
import sys
import time

from sandbox import TikTokSandbox
from sandbox.platform import load_integration, make_context

BIG_VIDEO_URL = "https://videos.example-storage.com/launch/teaser.mp4?X-Amz-Signature=3f9a"
PHOTO_URLS = [f"https://media.sandbox.example/verified/launch/photo-{n}.jpg" for n in (1, 2, 3)]


def heading(step: int, text: str) -> None:
    print(f"\n{step}. {text}")


def line(label: str, value) -> None:
    print(f"   {label:<22} {value}")


async def scenario(sandbox: TikTokSandbox) -> int:
    tiktok = load_integration().tiktok
    failures = 0
    demo_started = sandbox.clock()  # the sandbox's own time, which the posted videos carry

    async def run(action: str, inputs: dict):
        nonlocal failures
        async with make_context(sandbox.token) as context:
            result = await tiktok.execute_action(action, inputs, context)
        if result.type.value != "action":
            message = getattr(result.result, "message", None) or result.result.get("message")
            print(f"   ✗ {action} failed: {message}")
            failures += 1
            return None
        return result.result.data

    heading(1, "Connect the account (what Autohive shows after the user signs in)")
    async with make_context(sandbox.token) as context:
        account = (await tiktok.get_connected_account(context)).result
    line("user", f"{account.first_name} {account.last_name} (@{account.username})")
    line("user_id", account.user_id)

    heading(2, "Get User Info")
    user = await run("get_user_info", {})
    if user:
        line("profile", f"{user['display_name']} - {user['bio_description']}")
        line("followers / likes", f"{user['follower_count']:,} / {user['likes_count']:,}")
        line("missing scopes", user["missing_scopes"] or "none")

    heading(3, "Get Creator Info (what this account may post right now)")
    creator = await run("get_creator_info", {})
    if creator:
        line("nickname", creator["creator_nickname"])
        line("privacy options", ", ".join(creator["privacy_level_options"]))
        line("longest video", f"{creator['max_video_post_duration_sec']} s")

    heading(4, "Create Video Post from a 70 MB video link (streamed to TikTok in chunks)")
    video = sandbox.make_mp4(70_000_000, duration_s=42.0)
    sandbox.host_file(BIG_VIDEO_URL, video)
    started = time.monotonic()
    post = await run(
        "create_video_post",
        {
            "video_url": BIG_VIDEO_URL,
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "caption": "Our launch teaser 🚀 #launch #behindthescenes",
            "allow_comments": True,
        },
    )
    if post:
        line("publish_id", post["publish_id"])
        line("uploaded", f"{post['video_size']:,} bytes in {post['chunk_count']} chunks ({post['content_type']})")
        line("took", f"{time.monotonic() - started:.2f} s")
        same = sandbox.upload_for(post["publish_id"]).sha256 == hashlib.sha256(video).hexdigest()
        line("TikTok received", "every byte, in order" if same else "DIFFERENT BYTES")
        failures += not same

        heading(5, "Get Post Status, waiting up to 6 s for the post to go live")
        status = await run("get_post_status", {"publish_id": post["publish_id"], "wait_seconds": 6})
        if status:
            line("status", f"{status['status']} (published: {status['published']})")
            line("post", status["post_url"] or status["post_id"] or "(no public id yet)")
            line("explanation", status["explanation"])

    heading(6, "Upload Video Draft (inline file, goes to the creator's TikTok inbox)")
    clip = sandbox.make_mp4(2_500_000, duration_s=15.0)
    file_obj = {"name": "draft.mp4", "contentType": "video/mp4", "content": base64.b64encode(clip).decode()}
    draft = await run("upload_video_draft", {"file": file_obj})
    if draft:
        status = await run("get_post_status", {"publish_id": draft["publish_id"], "wait_seconds": 4})
        if status:
            line("status", f"{status['status']} (waiting on the creator: {status['waiting_on_user']})")
            line("explanation", status["explanation"])

    heading(7, "Create Photo Post (3 photos from a verified domain)")
    photos = await run(
        "create_photo_post",
        {
            "photo_urls": PHOTO_URLS,
            "cover_photo": 2,
            "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
            "caption": "Launch day #behindthescenes",
        },
    )
    if photos:
        line("publish_id", photos["publish_id"])
        line("status", photos["status"])
        line("explanation", photos["explanation"])

    heading(8, "Get Videos (the 5 newest, with engagement rates)")
    listing = await run("get_videos", {"max_count": 5})
    if listing:
        for item in listing["videos"]:
            title = (item["title"] or "")[:34]
            views, rate = f"{item['view_count']:>9,} views", f"{item['engagement_rate']:>6.2f}%"
            print(f"   {item['id']}  {title:<34} {item['created_at'] or '':<20} {views}  {rate}")
        line("more after cursor", f"{listing['cursor']} (has_more: {listing['has_more']})")
        first = listing["videos"][0]["post_url"] or listing["videos"][0]["id"]  # a video link works as well as an id
        found = await run("get_video", {"video_ids": [first, "7000000000000000001"]})
        if found:
            line("Get Video", f"found {len(found['videos'])}, not found: {', '.join(found['not_found'])}")

    heading(9, "A refused post: a privacy level this public account does not offer")
    async with make_context(sandbox.token) as context:
        refused = await tiktok.execute_action(
            "create_video_post", {"file": file_obj, "privacy_level": "FOLLOWER_OF_CREATOR"}, context
        )
    print(f"   the user sees: {refused.result.message}")
    inits = {name: len(sandbox.calls(name)) for name in ("video_init", "inbox_init", "content_init")}
    line("publish requests", f"{sum(inits.values())} in the whole demo, one per post (the refused post sent none)")
    failures += refused.type.value != "action_error" or inits != {"video_init": 1, "inbox_init": 1, "content_init": 1}

    heading(10, "Polling trigger New TikTok video: one poll, with the demo's start as the previous poll")
    async with make_context(sandbox.token) as context:
        records = await tiktok.execute_polling_trigger("new_video", {}, str(int(demo_started)), context)
    for record in records:
        print(f"   record {record['id']}  {(record['data']['title'] or '')[:40]}")
    line("records", f"{len(records)}: the video posted above (Autohive starts one workflow per record id)")
    failures += len(records) != 1
    return failures


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="     · %(message)s")
    print("TikTok for Autohive: a walk through every action against the built-in TikTok sandbox")
    started = time.monotonic()
    with TikTokSandbox(display_name="Rivera Studio", username="rivera.studio") as sandbox:
        failures = asyncio.run(scenario(sandbox))
        requests = len(sandbox.tiktok_requests)
    print(
        f"\n{'✓ demo finished' if not failures else f'✗ {failures} step(s) failed'}: {requests} requests to the "
        f"TikTok sandbox in {time.monotonic() - started:.1f} s"
    )
    print('Next, run actions one by one: `make run ACTION=get_creator_info` (README, "Try it"),')
    print("or one poll of a trigger: `make run TRIGGER=new_video`.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
