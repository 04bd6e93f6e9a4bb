"""`make login`, the refresh and `make logout` (tools/tiktok_login.py), end to end against the sandbox's Login Kit.

The user's browser is a stand-in: it asks the sandbox's authorize page (which answers as the test decided through
`sandbox.consent`) and follows the redirect to the tool's real loopback listener with a plain socket client, since
the sandbox intercepts aiohttp's client only. Nothing reaches the network, and no browser opens.
"""

import asyncio
import stat
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest

from sandbox.run import FAILED, OK, run
from sandbox.tiktok_sandbox import TikTokSandbox
from tools import tiktok_login as tl

pytestmark = pytest.mark.unit

KEY = "sandbox-client-key"
SECRET = "sandbox-client-secret-value"  # nosec B105
ANY_PORT = "http://127.0.0.1:0/callback/"
DAY = 86_400


class Browser:
    """Opens the authorize page and delivers its redirect to the callback, optionally changed by `tamper`."""

    def __init__(self, tamper=None):
        self.tamper = tamper
        self.pages: list[str] = []
        self.tasks: list[asyncio.Task] = []
        self.callback_answer = b""

    def __call__(self, url: str) -> bool | None:
        self.pages.append(url)
        self.tasks.append(asyncio.get_running_loop().create_task(self.visit(url)))
        return True

    async def visit(self, url: str) -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, allow_redirects=False) as response:
                location = response.headers.get("Location")
        if location is None:  # TikTok's error page: the user is left there, nothing comes back
            return
        parts = urlsplit(location)
        query = dict(parse_qsl(parts.query))
        if self.tamper:
            query = self.tamper(query)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(f"GET {parts.path}?{urlencode(query)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        self.callback_answer = await reader.read()
        writer.close()


@pytest.fixture
def env_path(tmp_path, monkeypatch):
    for name in ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "TIKTOK_REDIRECT_URI", "TIKTOK_PKCE_ENCODING"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / ".env"
    path.write_text(f"# mine\nOTHER_SETTING=keep me\nTIKTOK_CLIENT_KEY={KEY}\nTIKTOK_CLIENT_SECRET={SECRET}\n")
    path.chmod(0o644)
    monkeypatch.setenv("TIKTOK_ENV_FILE", str(path))
    return path


@pytest.fixture
def tiktok():
    with TikTokSandbox() as sb:
        sb.register_app(KEY, SECRET)
        yield sb


async def sign_in(env_path, sandbox, browser=None, **options):
    said, browser = [], browser or Browser()
    try:
        granted = await tl.login(
            path=env_path,
            open_browser=browser,
            say=said.append,
            clock=sandbox.clock,
            redirect_uri=ANY_PORT,
            **{"timeout": 5} | options,
        )
    finally:
        await asyncio.gather(*browser.tasks)  # a failure of the stand-in browser itself shows here
    return granted, "\n".join(said)


def stored(env_path):
    return tl.read_env(env_path)


async def test_login_stores_both_tokens_with_expiry_in_a_private_env_file_and_prints_neither(env_path, tiktok, capsys):
    browser = Browser()
    granted, said = await sign_in(env_path, tiktok, browser)

    values = stored(env_path)
    assert values[tl.ACCESS_TOKEN] in tiktok.tokens  # the sandbox's API accepts it
    assert values[tl.REFRESH_TOKEN] in tiktok.oauth.refresh_tokens
    assert values[tl.ACCESS_EXPIRES] == tl.iso(tiktok.clock() + DAY)
    assert values[tl.REFRESH_EXPIRES] == tl.iso(tiktok.clock() + 365 * DAY)
    assert values["OTHER_SETTING"] == "keep me" and env_path.read_text().startswith("# mine\n")
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    assert granted == tl.config_scopes()
    printed = said + capsys.readouterr().out
    for secret in (values[tl.ACCESS_TOKEN], values[tl.REFRESH_TOKEN], SECRET):
        assert secret not in printed
    assert b"You can close this tab" in browser.callback_answer


async def test_the_authorize_page_gets_the_config_scopes_a_fresh_state_and_an_s256_challenge(env_path, tiktok):
    first, second = Browser(), Browser()
    await sign_in(env_path, tiktok, first)
    await sign_in(env_path, tiktok, second)

    queries = [dict(parse_qsl(urlsplit(b.pages[0]).query)) for b in (first, second)]
    assert urlsplit(first.pages[0])._replace(query="").geturl() == tl.AUTHORIZE_URL
    assert queries[0]["scope"] == ",".join(tl.config_scopes())
    assert queries[0]["client_key"] == KEY and queries[0]["response_type"] == "code"
    assert queries[0]["code_challenge_method"] == "S256"
    assert queries[0]["state"] != queries[1]["state"]
    assert queries[0]["code_challenge"] != queries[1]["code_challenge"]


async def test_the_code_is_exchanged_url_decoded_with_the_same_redirect_uri_form_encoded(env_path, tiktok):
    browser = Browser()
    await sign_in(env_path, tiktok, browser)

    [exchange] = tiktok.calls("oauth_token")
    redirect_uri = dict(parse_qsl(urlsplit(browser.pages[0]).query))["redirect_uri"]
    assert redirect_uri.startswith("http://127.0.0.1:") and not redirect_uri.startswith("http://127.0.0.1:0/")
    assert exchange.content_type == "application/x-www-form-urlencoded"
    [code] = tiktok.oauth.codes  # the sandbox's codes carry * and !, which the redirect percent-encodes
    assert tiktok.oauth.codes[code].used and "%" not in code


async def test_a_redirect_uri_the_app_did_not_register_ends_in_a_line_naming_it(env_path, tiktok):
    tiktok.register_app(KEY, SECRET, redirect_uris=("http://127.0.0.1:9999/elsewhere/",))

    with pytest.raises(tl.LoginError, match=r"register http://127\.0\.0\.1:\d+/callback/ for the app"):
        await sign_in(env_path, tiktok, timeout=0)  # the page never redirects: no need to wait for it


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda q: q | {"state": "forged"}, "carried a state this sign-in did not send"),
        (lambda q: {k: v for k, v in q.items() if k != "state"}, "carried no state"),
        (lambda q: q | {"state": "é"}, "carried a state this sign-in did not send"),
    ],
    ids=["wrong", "missing", "not-ascii"],
)
async def test_a_callback_with_a_wrong_or_missing_state_is_refused_and_nothing_is_exchanged(
    env_path, tiktok, tamper, reason
):
    with pytest.raises(tl.LoginError, match=reason):
        await sign_in(env_path, tiktok, Browser(tamper))

    assert tiktok.calls("oauth_token") == []
    assert tl.ACCESS_TOKEN not in stored(env_path)


async def test_a_refused_consent_is_one_plain_line(env_path, tiktok):
    tiktok.consent(approve=False)

    with pytest.raises(tl.LoginError) as refused:
        await sign_in(env_path, tiktok)

    assert str(refused.value).startswith("TikTok: the account did not approve the app (access_denied)")
    assert tiktok.calls("oauth_token") == []


async def test_scopes_the_user_did_not_grant_are_named_with_what_they_leave_out(env_path, tiktok):
    tiktok.consent(scopes=("user.info.basic", "video.list", "video.publish"))

    granted, said = await sign_in(env_path, tiktok)

    assert granted == ["user.info.basic", "video.list", "video.publish"]
    assert stored(env_path)[tl.GRANTED_SCOPES] == "user.info.basic,video.list,video.publish"
    assert "not granted: video.upload, which leaves out upload_video_draft" in said
    assert "not granted: user.info.stats" in said and "not granted: video.list" not in said


@pytest.mark.parametrize("encoding", tl.PKCE_ENCODINGS)
async def test_either_challenge_encoding_signs_in_where_tiktok_expects_it(env_path, tiktok, encoding):
    tiktok.register_app(KEY, SECRET, pkce=encoding)

    await sign_in(env_path, tiktok, encoding=encoding)

    assert stored(env_path)[tl.ACCESS_TOKEN] in tiktok.tokens


async def test_a_refused_verifier_names_the_other_encoding(env_path, tiktok):
    tiktok.register_app(KEY, SECRET, pkce="base64url")

    with pytest.raises(
        tl.LoginError, match="the other challenge encoding .*Code verifier or code challenge is invalid"
    ):
        await sign_in(env_path, tiktok, encoding="hex")


async def test_a_wrong_client_secret_is_named_without_echoing_it(env_path, tiktok, monkeypatch):
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", "not-the-secret")

    with pytest.raises(tl.LoginError) as refused:
        await sign_in(env_path, tiktok)

    assert "invalid_client" in str(refused.value) and "not-the-secret" not in str(refused.value)


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            {"error": "invalid_request", "error_description": "Redirect_uri is not matched", "log_id": "L1"},
            "TikTok: the redirect URI does not match one registered for the app",
        ),
        (
            {"error": "invalid_grant", "error_description": "Authorization code is expired.", "log_id": "L2"},
            "TikTok refused the code or refresh token (invalid_grant",
        ),
        ({"error": "invalid_client", "log_id": "L3"}, "TikTok refused the app's credentials (invalid_client)"),
        ({"error": "server_error", "log_id": "L4"}, "TikTok OAuth error server_error"),
    ],
)
def test_oauth_errors_become_one_line_with_the_log_id(body, expected):
    line = tl.oauth_error_line(body)

    assert line.startswith(expected) and line.endswith(f"(log_id {body['log_id']})") and "\n" not in line


def test_an_oauth_error_line_hides_a_secret_the_description_repeats():
    body = {"error": "invalid_grant", "error_description": "code abc*123 is expired", "log_id": "L"}

    assert "abc*123" not in tl.oauth_error_line(body, (SECRET, "abc*123"))


async def test_a_token_with_under_an_hour_left_is_refreshed_and_the_rotated_refresh_token_stored(env_path, tiktok):
    await sign_in(env_path, tiktok)
    before = stored(env_path)
    tiktok.advance(DAY - 3599)

    token = await tl.refresh(path=env_path, clock=tiktok.clock, say=lambda line: None)

    after = stored(env_path)
    assert token == after[tl.ACCESS_TOKEN] != before[tl.ACCESS_TOKEN]
    assert after[tl.REFRESH_TOKEN] != before[tl.REFRESH_TOKEN]
    assert after[tl.REFRESH_TOKEN] in tiktok.oauth.refresh_tokens
    assert before[tl.REFRESH_TOKEN] not in tiktok.oauth.refresh_tokens
    assert after[tl.ACCESS_EXPIRES] == tl.iso(tiktok.clock() + DAY)
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600


async def test_a_token_with_an_hour_left_is_used_as_it_is(env_path, tiktok):
    await sign_in(env_path, tiktok)
    tiktok.advance(DAY - 3600)

    token = await tl.refresh(path=env_path, clock=tiktok.clock)

    assert token == stored(env_path)[tl.ACCESS_TOKEN]
    assert len(tiktok.calls("oauth_token")) == 1  # the sign-in's exchange only


async def test_a_refresh_token_past_its_stored_expiry_asks_for_make_login(env_path, tiktok):
    await sign_in(env_path, tiktok)
    tiktok.advance(366 * DAY)

    with pytest.raises(tl.LoginError, match="refresh token has expired .*run make login again"):
        await tl.refresh(path=env_path, clock=tiktok.clock)
    assert len(tiktok.calls("oauth_token")) == 1


async def test_a_refresh_token_tiktok_no_longer_accepts_asks_for_make_login(env_path, tiktok):
    await sign_in(env_path, tiktok)
    tiktok.expire_refresh_token(stored(env_path)[tl.REFRESH_TOKEN])
    tiktok.advance(DAY)

    with pytest.raises(tl.LoginError, match="no longer accepts the refresh token .*run make login again"):
        await tl.refresh(path=env_path, clock=tiktok.clock)


async def test_logout_revokes_at_tiktok_and_clears_only_the_tokens(env_path, tiktok, capsys):
    await sign_in(env_path, tiktok)
    token = stored(env_path)[tl.ACCESS_TOKEN]

    confirmed = await tl.logout(path=env_path)

    assert confirmed and token not in tiktok.tokens
    assert tiktok.oauth.refresh_tokens == {}
    assert not set(tl.TOKEN_KEYS) & set(stored(env_path))
    assert stored(env_path)["OTHER_SETTING"] == "keep me"
    assert token not in capsys.readouterr().out


def test_make_run_live_refreshes_the_stored_token_first(env_path, monkeypatch):
    with TikTokSandbox(clock=time.time) as sandbox:  # the runner's refresh reads the real clock
        sandbox.register_app(KEY, SECRET)
        asyncio.run(sign_in(env_path, sandbox))
        old = stored(env_path)[tl.ACCESS_TOKEN]
        tl.update_env(env_path, {tl.ACCESS_EXPIRES: tl.iso(time.time() + 600)})
        monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
        monkeypatch.setenv("LIVE", "1")

        document, status = run("get_user_info", None)

        new = stored(env_path)[tl.ACCESS_TOKEN]
        assert status == OK and document["open_id"]
        assert new != old and sandbox.calls("user_info")[-1].token == new


def test_make_run_live_with_an_expired_refresh_token_says_run_make_login(env_path, monkeypatch):
    tl.update_env(env_path, {tl.ACCESS_TOKEN: "act.old", tl.ACCESS_EXPIRES: tl.iso(time.time() - 60)})
    tl.update_env(env_path, {tl.REFRESH_TOKEN: "rft.old", tl.REFRESH_EXPIRES: tl.iso(time.time() - 60)})
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("LIVE", "1")

    document, status = run("get_user_info", None)

    assert status == FAILED and "run make login again" in document["error"]
    assert "rft.old" not in document["error"]
