"""A stand-in for another integration of Autohive's monorepo (written here, not copied): one action, so that
tools/export_ci.py can run its tests and TikTok's in one pytest, as CONTRIBUTING's `pytest <folder>/ <folder>/`."""

from autohive_integrations_sdk import ActionHandler, ActionResult, Integration

hackernews = Integration.load()
ITEM_URL = "https://hacker-news.firebaseio.com/v0/item/{}.json"


@hackernews.action("get_item")
class GetItem(ActionHandler):
    async def execute(self, inputs, context):
        response = await context.fetch(ITEM_URL.format(inputs["id"]), method="GET")
        return ActionResult(data={"title": response.data["title"]})
