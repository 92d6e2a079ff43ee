"""Contract tests: the client against the emulator, over real HTTP, for every endpoint and limit."""

from __future__ import annotations

import json

import pytest
import requests

from tests.conftest import image_bytes
from wxsync.wechat.client import Article, WeChatClient
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer
from wxsync.wechat.errors import (
    ContentRejectedError,
    InvalidMediaError,
    InvalidRequestError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExhaustedError,
    WeChatError,
)


def cover(client: WeChatClient) -> str:
    return client.add_image_material(image_bytes(), "cover.png", "image/png").media_id


def article(thumb: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "title": "标题",
        "content": "<section><p>正文</p></section>",
        "thumb_media_id": thumb,
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_scripted_session_publishes_an_article_with_filtered_content(
    client: WeChatClient, control: EmulatorControl
) -> None:
    body_url = client.upload_image(image_bytes("JPEG"), "photo.jpg", "image/jpeg")
    assert body_url.startswith("http://mmbiz.qpic.cn/")
    material = client.add_image_material(image_bytes(), "cover.png", "image/png")
    assert material.url.startswith("http://mmbiz.qpic.cn/")
    content = (
        '<section><p onclick="steal()" style="color:red">你好 <a href="https://example.com/x">外链</a> '
        '<a href="https://mp.weixin.qq.com/s/abc">站内</a> <a href="javascript:alert(1)">js</a></p>'
        f'<script>alert(1)</script><style>p{{}}</style><iframe src="https://x"></iframe>'
        f'<img src="{body_url}"><img src="https://elsewhere.example/cat.png"></section>'
    )
    media_id = client.add_draft(
        [Article(title="第一篇", content=content, thumb_media_id=material.media_id)]
    )

    stored = client.get_draft(media_id)[0]
    assert stored["title"] == "第一篇"
    html = stored["content"]
    for gone in (
        "<script",
        "<style",
        "<iframe",
        "onclick",
        "javascript:",
        "example.com",
        "elsewhere.example",
    ):
        assert gone not in html
    assert body_url in html
    assert 'href="https://mp.weixin.qq.com/s/abc"' in html
    assert 'style="color:red"' in html
    assert stored["digest"] == "你好 外链 站内 js"
    assert stored["thumb_url"] == material.url

    publish_id = client.submit_publish(media_id)
    statuses = [client.get_publish(publish_id) for _ in range(3)]
    assert statuses[0].status == 1 and statuses[0].name == "publishing"
    final = statuses[-1]
    assert final.succeeded and final.article_id
    assert final.article_urls[0].startswith("https://mp.weixin.qq.com/s/")
    assert client.count_drafts() == 0, "a published draft leaves the draft box"
    published = client.get_article(final.article_id)
    assert published[0]["title"] == "第一篇"
    state = control.state()
    assert [p["titles"] for p in state["published"]] == [["第一篇"]]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "字" * 65}, 45003),
        ({"title": ""}, 44003),
        ({"author": "作" * 17}, 45110),
        ({"digest": "摘" * 129}, 45004),
        ({"content": "<p>" + "字" * 20_000 + "</p>"}, 45002),
        ({"content": ""}, 44004),
        ({"content_source_url": "https://example.com/" + "a" * 1100}, 45005),
        ({"thumb_media_id": "no-such-material"}, 40007),
        ({"pic_crop_235_1": "left"}, 40097),
    ],
)
def test_draft_limits_answer_documented_errcodes(
    client: WeChatClient, fields: dict[str, object], code: int
) -> None:
    thumb = cover(client)
    with pytest.raises(WeChatError) as caught:
        client.add_draft([article(thumb, **fields)])
    assert caught.value.code == code
    assert client.count_drafts() == 0


def test_limits_are_inclusive_at_the_documented_maximum(client: WeChatClient) -> None:
    thumb = cover(client)
    media_id = client.add_draft(
        [
            article(
                thumb, title="字" * 32, author="作" * 16, digest="摘" * 128, content="字" * 19_999
            )
        ]
    )
    stored = client.get_draft(media_id)[0]
    assert len(stored["title"]) == 32
    assert len(stored["digest"]) == 128


def test_limit_errors_carry_advice_and_class(client: WeChatClient) -> None:
    thumb = cover(client)
    with pytest.raises(LimitExceededError) as caught:
        client.add_draft([article(thumb, title="字" * 70)])
    assert "64 characters" in caught.value.advice
    assert "45003" in str(caught.value)


def test_thumb_must_be_a_permanent_material_not_a_body_image(client: WeChatClient) -> None:
    url = client.upload_image(image_bytes(), "a.png", "image/png")
    with pytest.raises(InvalidMediaError):
        client.add_draft([article(url)])


def test_article_count_is_one_to_eight(client: WeChatClient) -> None:
    thumb = cover(client)
    with pytest.raises(WeChatError) as empty:
        client.add_draft([])
    assert empty.value.code == 44003
    with pytest.raises(LimitExceededError) as many:
        client.add_draft([article(thumb, title=f"t{i}") for i in range(9)])
    assert many.value.code == 45008
    media_id = client.add_draft([article(thumb, title=f"t{i}", digest="ignored") for i in range(8)])
    stored = client.get_draft(media_id)
    assert [a["title"] for a in stored] == [f"t{i}" for i in range(8)]
    assert all(a["digest"] == "" for a in stored), "multi-article drafts keep no digest"


def test_default_digest_is_the_first_54_characters_of_the_text(client: WeChatClient) -> None:
    thumb = cover(client)
    text = "".join(chr(0x4E00 + i) for i in range(80))
    media_id = client.add_draft([article(thumb, content=f"<section><p>{text}</p></section>")])
    assert client.get_draft(media_id)[0]["digest"] == text[:54]


def test_uploadimg_accepts_only_jpeg_and_png_under_1mb(client: WeChatClient) -> None:
    assert client.upload_image(image_bytes("JPEG"), "a.jpg", "image/jpeg")
    for fmt, code in (("GIF", 40005), ("BMP", 40005), ("WEBP", 40005)):
        with pytest.raises(LimitExceededError) as caught:
            client.upload_image(image_bytes(fmt), f"a.{fmt.lower()}", "image/png")
        assert caught.value.code == code
    with pytest.raises(LimitExceededError) as big:
        client.upload_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_000, "big.png", "image/png")
    assert big.value.code == 40009


def test_uploadimg_detects_the_type_from_bytes_not_the_file_name(client: WeChatClient) -> None:
    with pytest.raises(LimitExceededError):
        client.upload_image(image_bytes("GIF"), "pretend.png", "image/png")
    assert client.upload_image(image_bytes("PNG"), "pretend.gif", "image/gif")


def test_add_material_accepts_bmp_png_jpeg_gif_up_to_10mb(
    client: WeChatClient, control: EmulatorControl
) -> None:
    for fmt in ("BMP", "PNG", "JPEG", "GIF"):
        assert client.add_image_material(image_bytes(fmt), f"c.{fmt.lower()}", "image/png").media_id
    with pytest.raises(LimitExceededError) as webp:
        client.add_image_material(image_bytes("WEBP"), "c.webp", "image/webp")
    assert webp.value.code == 40005
    with pytest.raises(LimitExceededError) as big:
        client.add_image_material(b"GIF89a" + b"\0" * 10_000_001, "big.gif", "image/gif")
    assert big.value.code == 40009
    assert client.material_count()["image_count"] == 4
    listing = client.list_materials(0, 20)
    assert listing.total_count == 4
    assert {item["name"] for item in listing.items} == {"c.bmp", "c.png", "c.jpeg", "c.gif"}
    assert len(control.state()["materials"]) == 4


def test_del_material_removes_it_and_unknown_ids_are_40007(client: WeChatClient) -> None:
    media_id = cover(client)
    client.delete_material(media_id)
    assert client.material_count()["image_count"] == 0
    with pytest.raises(InvalidMediaError):
        client.delete_material(media_id)


def test_draft_update_delete_count_and_batchget(
    client: WeChatClient, control: EmulatorControl
) -> None:
    thumb = cover(client)
    first = client.add_draft([article(thumb, title="一")])
    control.advance(10)
    second = client.add_draft([article(thumb, title="二")])
    assert client.count_drafts() == 2

    control.advance(10)
    client.update_draft(first, 0, article(thumb, title="一改", content="<p>新正文</p>"))
    assert client.get_draft(first)[0]["title"] == "一改"
    page = client.list_drafts(0, 20)
    assert page.total_count == 2
    assert [item["media_id"] for item in page.items] == [first, second], "newest update first"
    assert page.items[0]["update_time"] > page.items[1]["update_time"]
    assert page.items[0]["content"]["news_item"][0]["content"] == "<p>新正文</p>"
    bare = client.list_drafts(0, 1, no_content=True)
    assert "content" not in bare.items[0]["content"]["news_item"][0]
    assert len(bare.items) == 1

    with pytest.raises(InvalidRequestError):
        client.update_draft(first, 3, article(thumb))
    with pytest.raises(LimitExceededError):
        client.update_draft(first, 0, article(thumb, title="字" * 65))
    client.delete_draft(second)
    assert client.count_drafts() == 1
    with pytest.raises(InvalidMediaError):
        client.get_draft(second)
    with pytest.raises(InvalidRequestError):
        client.list_drafts(0, 21)


def publish(client: WeChatClient, title: str = "标题") -> tuple[str, str]:
    media_id = client.add_draft([article(cover(client), title=title)])
    publish_id = client.submit_publish(media_id)
    while not (status := client.get_publish(publish_id)).finished:
        pass
    assert status.succeeded
    return media_id, status.article_id


def test_published_articles_are_listed_fetched_and_deleted(client: WeChatClient) -> None:
    _, first = publish(client, "一")
    media_id = client.add_draft([article(cover(client), title="二")])
    publish_id = client.submit_publish(media_id)
    while not client.get_publish(publish_id).finished:
        pass
    page = client.list_published(0, 20)
    assert page.total_count == 2
    titles = {item["content"]["news_item"][0]["title"] for item in page.items}
    assert titles == {"一", "二"}
    assert client.get_article(first)[0]["url"].startswith("https://mp.weixin.qq.com/s/")

    client.delete_published(first)
    with pytest.raises(NotFoundError) as gone:
        client.get_article(first)
    assert gone.value.code == 53600
    assert client.list_published(0, 20).total_count == 1


def test_status_of_a_deleted_article_is_5(client: WeChatClient) -> None:
    media_id = client.add_draft([article(cover(client))])
    publish_id = client.submit_publish(media_id)
    while not (status := client.get_publish(publish_id)).finished:
        pass
    client.delete_published(status.article_id)
    assert client.get_publish(publish_id).status == 5


@pytest.mark.parametrize(("outcome", "fail_idx"), [(2, (1,)), (3, ()), (4, (1,))])
def test_failed_publishing_reports_status_and_fail_idx_and_keeps_the_draft(
    client: WeChatClient, control: EmulatorControl, outcome: int, fail_idx: tuple[int, ...]
) -> None:
    control.configure(publish_outcome=outcome)
    media_id = client.add_draft([article(cover(client))])
    publish_id = client.submit_publish(media_id)
    while not (status := client.get_publish(publish_id)).finished:
        pass
    assert status.status == outcome and not status.succeeded
    assert status.fail_idx == fail_idx
    assert client.get_draft(media_id), "the draft stays when publishing fails"
    assert client.list_published(0, 20).total_count == 0


def test_publish_jobs_finish_on_their_own_when_nobody_polls(
    client: WeChatClient, control: EmulatorControl
) -> None:
    media_id = client.add_draft([article(cover(client))])
    client.submit_publish(media_id)
    assert client.list_published(0, 20).total_count == 0
    control.advance(5)
    assert client.list_published(0, 20).total_count == 1


def test_publish_polls_setting_controls_how_long_status_1_lasts(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(publish_polls=3)
    media_id = client.add_draft([article(cover(client))])
    publish_id = client.submit_publish(media_id)
    statuses = [client.get_publish(publish_id).status for _ in range(5)]
    assert statuses == [1, 1, 1, 0, 0]


def test_publish_without_permission_is_48001_with_drafts_still_working(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(can_publish=False)
    media_id = client.add_draft([article(cover(client))])
    with pytest.raises(PermissionDeniedError) as caught:
        client.submit_publish(media_id)
    assert caught.value.code == 48001
    assert "no publish permission" in caught.value.advice
    assert "drafts still work" in caught.value.advice
    assert client.count_drafts() == 1


def test_submit_of_an_unknown_draft_is_40007(client: WeChatClient) -> None:
    with pytest.raises(InvalidMediaError):
        client.submit_publish("nope")


def test_daily_quota_gives_45009_with_advice_and_is_not_retried(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.configure(daily_quota={"/cgi-bin/draft/count": 2})
    client.count_drafts()
    client.count_drafts()
    with pytest.raises(QuotaExhaustedError) as caught:
        client.count_drafts()
    assert "tomorrow" in caught.value.advice
    assert control.state()["calls"]["/cgi-bin/draft/count"] == 3
    control.advance(86_400)
    assert client.count_drafts() == 0


def test_chinese_text_is_sent_as_utf8_not_escaped(
    client: WeChatClient, emulator: EmulatorServer
) -> None:
    thumb = cover(client)
    media_id = client.add_draft([article(thumb, title="中文标题")])
    assert client.get_draft(media_id)[0]["title"] == "中文标题"
    # What a client using json.dumps' default ensure_ascii=True gets: WeChat keeps the escapes.
    token = client.access_token()
    body = json.dumps({"articles": [article(thumb, title="中文").to_api()]}).encode()
    answer = requests.post(
        f"{emulator.base_url}/cgi-bin/draft/add",
        params={"access_token": token},
        data=body,
        timeout=5,
    ).json()
    stored = client.get_draft(answer["media_id"])[0]["title"]
    assert stored == "\\u4e2d\\u6587"


def test_unknown_errcodes_still_raise_wechat_error_with_the_code(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/draft/count", "errcode": 99999, "errmsg": "mystery"})
    with pytest.raises(WeChatError) as caught:
        client.count_drafts()
    assert caught.value.code == 99999
    assert "mystery" in str(caught.value)


def test_publish_check_failure_is_a_content_error(
    client: WeChatClient, control: EmulatorControl
) -> None:
    control.faults({"path": "/cgi-bin/freepublish/submit", "errcode": 53503, "times": 1})
    media_id = client.add_draft([article(cover(client))])
    with pytest.raises(ContentRejectedError):
        client.submit_publish(media_id)
