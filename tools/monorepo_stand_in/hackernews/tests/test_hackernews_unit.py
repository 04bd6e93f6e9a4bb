"""The stand-in's own test: loads its entry module by file path after putting its folder first on sys.path, as the
monorepo's tests do, and runs its action through execute_action."""

import importlib.util
import os
import sys

import pytest
from autohive_integrations_sdk import FetchResponse, ResultType

FOLDER = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, FOLDER)

spec = importlib.util.spec_from_file_location("hackernews_stand_in", os.path.join(FOLDER, "hackernews.py"))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

pytestmark = pytest.mark.unit


async def test_get_item(mock_context):
    mock_context.fetch.return_value = FetchResponse(status=200, headers={}, data={"title": "Ask HN"})
    result = await module.hackernews.execute_action("get_item", {"id": 8863}, mock_context)
    assert result.type == ResultType.ACTION
    assert result.result.data == {"title": "Ask HN"}
    mock_context.fetch.assert_awaited_once_with("https://hacker-news.firebaseio.com/v0/item/8863.json", method="GET")
