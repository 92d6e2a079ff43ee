"""The emulator's mass sending and previews, through the typed client over real HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import image_bytes
from wxsync.wechat.client import Article, WeChatClient
from wxsync.wechat.emulator import EmulatorControl
from wxsync.wechat.errors import (
    BroadcastQuotaError,
    InvalidMediaError,
    InvalidRequestError,
    PermissionDeniedError,
    RateLimitedError,
)

DAY = 86400


def draft(client: WeChatClient, *titles: str) -> str:
    thumb = client.add_image_material(image_bytes(), "cover.png", "image/png").media_id
    return client.add_draft(
        [Article(title=t, content=f"<p>{t}的正文</p>", thumb_media_id=thumb) for t in titles]
    )


def test_sendall_sends_the_draft_once_and_removes_it_from_the_draft_box(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = draft(client, "头条", "次条")
    sent = client.send_all(media_id, clientmsgid="wxsync-one", tag_id=7, ignore_reprint=True)
    assert not sent.repeated
    state = control.state()
    assert state["drafts"] == []
    assert state["broadcasts"] == [
        {
            "msg_id": int(sent.msg_id),
            "media_id": media_id,
            "clientmsgid": "wxsync-one",
            "titles": ["头条", "次条"],
            "status": "SENDING",
        }
    ]
    assert client.get_mass(sent.msg_id) == "SENDING"
    assert client.get_mass(sent.msg_id) == "SEND_SUCCESS"
    client.delete_mass(sent.msg_id)
    assert client.get_mass(sent.msg_id) == "DELETE"


def test_a_used_clientmsgid_answers_45066_within_a_minute_then_45065_with_the_msg_id(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = draft(client, "甲")
    first = client.send_all(media_id, clientmsgid="wxsync-same")
    with pytest.raises(RateLimitedError) as too_fast:
        client.send_all(media_id, clientmsgid="wxsync-same")
    assert too_fast.value.code == 45066
    control.advance(61)
    again = client.send_all(media_id, clientmsgid="wxsync-same")
    assert again.repeated and again.msg_id == first.msg_id
    assert len(control.state()["broadcasts"]) == 1


def test_the_daily_quota_answers_45028_until_the_next_day(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(broadcasts_per_day=1)
    client.send_all(draft(client, "甲"), clientmsgid="a")
    second = draft(client, "乙")
    with pytest.raises(BroadcastQuotaError) as spent:
        client.send_all(second, clientmsgid="b")
    assert spent.value.code == 45028
    control.advance(DAY)
    assert client.send_all(second, clientmsgid="b").msg_id


def test_an_account_without_mass_sending_gets_48001_with_advice(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = draft(client, "甲")
    control.configure(can_broadcast=False)
    with pytest.raises(PermissionDeniedError) as denied:
        client.send_all(media_id, clientmsgid="x")
    assert denied.value.code == 48001 and "drafts are kept" in denied.value.advice
    assert control.state()["drafts"] != []


def test_preview_goes_to_one_wechat_id_and_needs_a_draft(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = draft(client, "甲", "乙")
    assert client.preview(media_id, towxname="editor-wx")
    client.preview(media_id, touser="openid-1")
    assert control.state()["previews"] == [
        {"towxname": "editor-wx", "media_id": media_id, "titles": ["甲", "乙"]},
        {"touser": "openid-1", "media_id": media_id, "titles": ["甲", "乙"]},
    ]
    with pytest.raises(InvalidMediaError):
        client.preview("no-such-draft", towxname="editor-wx")
    with pytest.raises(InvalidRequestError):
        client.preview(media_id)


def test_a_multi_article_draft_updates_one_article_by_index_and_publishes_one_url_each(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = draft(client, "甲", "乙", "丙")
    thumb = control.state()["materials"][0]["media_id"]
    client.update_draft(
        media_id, 1, Article(title="乙改", content="<p>新</p>", thumb_media_id=thumb)
    )
    assert control.state()["drafts"][0]["titles"] == ["甲", "乙改", "丙"]
    status = client.get_publish(client.submit_publish(media_id))
    while not status.finished:
        status = client.get_publish(status.publish_id)
    assert len(status.article_urls) == 3 and len(set(status.article_urls)) == 3
