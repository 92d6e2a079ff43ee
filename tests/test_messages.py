"""Messages, mass sending, previews and long posts in parts: real git, the emulator over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, config, init_repo, write
from wxsync.config import load_settings
from wxsync.engine.state import load
from wxsync.engine.sync import Engine
from wxsync.report import SyncReport, table
from wxsync.wechat.account import DEFAULT_APPID, DEFAULT_SECRET
from wxsync.wechat.emulator import EmulatorControl, EmulatorServer

ENV = {"WECHAT_APPID": DEFAULT_APPID, "WECHAT_APPSECRET": DEFAULT_SECRET}
DAY = dt.timedelta(days=1)


def article(title: str, body: str = "", *, date: str = "2026-01-05", **wechat: object) -> str:
    lines = [f"title: {title}", f"date: {date}"]
    if wechat:
        lines.append("wechat:")
        lines += [f"  {key}: {value}" for key, value in wechat.items()]
    text = body or f"《{title}》的正文。\n\n第二段。\n"
    return "---\n" + "\n".join(lines) + "\n---\n\n" + text


@pytest.fixture
def blog(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Path]:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", config(emulator.base_url, mode="draft"))
    commit_all(root)
    yield root


def sync(
    root: Path, *, mode: str | None = None, now: dt.datetime | None = None, **overrides: object
) -> SyncReport:
    settings = load_settings(root, {"mode": mode, **overrides}, environ=ENV)
    engine = Engine(settings, poll_delay=0.02, **({"now": lambda: now} if now else {}))
    return engine.run()


def weekly(blog: Path) -> None:
    """Two posts, 甲 then 乙, in the message `weekly`, committed with whatever else is written."""
    write(blog / "content/a.md", article("甲", message="weekly"))
    write(blog / "content/b.md", article("乙", message="weekly"))
    commit_all(blog)


def statuses(report: SyncReport) -> dict[str, str]:
    return {o.path: o.status for o in report.outcomes}


def calls(control: EmulatorControl, api: str) -> int:
    return int(control.state()["calls"].get(f"/cgi-bin/{api}", 0))


def test_two_posts_with_one_message_key_become_one_draft_edited_in_place_and_published_once(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/head.md", article("头条", message="weekly", position=1))
    write(blog / "content/second.md", article("次条", message="weekly", position=2))
    commit_all(blog)

    report = sync(blog)
    drafts = control.state()["drafts"]
    assert [d["titles"] for d in drafts] == [["头条", "次条"]]
    assert statuses(report) == {"content/head.md": "drafted", "content/second.md": "drafted"}
    assert "[message weekly 1/2]" in table(report)

    write(
        blog / "content/second.md", article("次条", "改过的正文。\n", message="weekly", position=2)
    )
    commit_all(blog)
    sync(blog)
    state = control.state()
    assert calls(control, "draft/update") == 1
    assert calls(control, "draft/add") == 1
    assert "改过的正文" in state["drafts"][0]["articles"][1]["content"]

    report = sync(blog, mode="publish")
    state = control.state()
    assert calls(control, "freepublish/submit") == 1
    assert [p["titles"] for p in state["published"]] == [["头条", "次条"]]
    saved = load(blog / ".wxsync/state.json")
    urls = [saved.posts[p].url for p in ("content/head.md", "content/second.md")]
    assert urls == state["published"][0]["urls"]
    assert saved.messages["weekly"].posts == ["content/head.md", "content/second.md"]
    assert statuses(report) == {"content/head.md": "published", "content/second.md": "published"}


def test_changing_the_order_of_a_message_replaces_its_draft(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/a.md", article("甲", message="weekly", position=1))
    write(blog / "content/b.md", article("乙", message="weekly", position=2))
    commit_all(blog)
    sync(blog)
    write(blog / "content/a.md", article("甲", message="weekly", position=2))
    write(blog / "content/b.md", article("乙", message="weekly", position=1))
    commit_all(blog)
    sync(blog)
    assert [d["titles"] for d in control.state()["drafts"]] == [["乙", "甲"]]
    assert calls(control, "draft/delete") == 1


def test_more_than_eight_articles_in_a_message_is_a_check_error_naming_the_posts(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wxsync.cli import main

    for number in range(9):
        write(blog / f"content/p{number}.md", article(f"第{number}篇", message="big"))
    commit_all(blog)
    assert main(["check", str(blog / "content")]) == 1
    output = capsys.readouterr().out
    assert "message `big` has 9 articles" in output
    assert "content/p8.md" in output


def test_two_broadcast_posts_on_one_day_send_one_and_queue_the_other_until_the_next_day(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/older.md", article("旧闻", date="2026-01-03"))
    write(blog / "content/newer.md", article("新闻", date="2026-01-04"))
    commit_all(blog)
    today = dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC)

    report = sync(blog, mode="broadcast", now=today)
    assert statuses(report) == {"content/older.md": "sent", "content/newer.md": "queued"}
    assert not report.failed, "a queued message is not a failure"
    broadcasts = control.state()["broadcasts"]
    assert [(b["titles"], b["status"]) for b in broadcasts] == [(["旧闻"], "SEND_SUCCESS")]
    assert len(broadcasts[0]["clientmsgid"]) <= 64

    report = sync(blog, mode="broadcast", now=today + dt.timedelta(hours=1))
    assert statuses(report)["content/newer.md"] == "queued"
    assert calls(control, "message/mass/sendall") == 1, "the quota is counted before calling"

    control.advance(DAY.total_seconds())
    report = sync(blog, mode="broadcast", now=today + DAY)
    assert statuses(report) == {"content/older.md": "unchanged", "content/newer.md": "sent"}
    assert [b["titles"] for b in control.state()["broadcasts"]] == [["旧闻"], ["新闻"]]
    assert control.state()["drafts"] == [], "sent drafts leave the draft box"


def test_45028_from_wechat_queues_the_message_and_exits_zero(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/news.md", article("新闻"))
    commit_all(blog)
    control.faults({"path": "/cgi-bin/message/mass/sendall", "errcode": 45028, "times": 1})
    report = sync(blog, mode="broadcast")
    assert statuses(report) == {"content/news.md": "queued"}
    assert not report.failed
    control.faults()
    control.advance(DAY.total_seconds())
    report = sync(blog, mode="broadcast", now=dt.datetime.now(dt.UTC) + DAY)
    assert statuses(report) == {"content/news.md": "sent"}


def test_a_lost_sendall_answer_still_sends_once(blog: Path, control: EmulatorControl) -> None:
    write(blog / "content/news.md", article("新闻"))
    commit_all(blog)
    control.faults(
        {"path": "/cgi-bin/message/mass/sendall", "after_success": True, "drop": True, "times": 1}
    )
    report = sync(blog, mode="broadcast")
    assert statuses(report) == {"content/news.md": "sending"}
    assert load(blog / ".wxsync/state.json").messages["content/news.md"].intent is not None

    control.advance(61)  # WeChat answers 45066 to the same clientmsgid within a minute
    report = sync(blog, mode="broadcast")
    assert statuses(report) == {"content/news.md": "sent"}
    state = control.state()
    assert len(state["broadcasts"]) == 1
    assert calls(control, "message/mass/sendall") == 2
    saved = load(blog / ".wxsync/state.json").messages["content/news.md"]
    assert saved.msg_id == str(state["broadcasts"][0]["msg_id"]) and saved.intent is None


def test_an_account_without_mass_sending_keeps_the_drafts_says_so_once_until_the_mode_changes(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/a.md", article("甲"))
    write(blog / "content/b.md", article("乙"))
    commit_all(blog)
    control.configure(can_broadcast=False)
    lines: list[str] = []
    settings = load_settings(blog, {"mode": "broadcast"}, environ=ENV)
    report = Engine(settings, progress=lines.append, poll_delay=0.02).run()
    assert statuses(report) == {"content/a.md": "drafted", "content/b.md": "drafted"}
    assert sum("mass sending is not possible" in line for line in lines) == 1
    assert calls(control, "message/mass/sendall") == 1
    assert len(control.state()["drafts"]) == 2
    report = sync(blog, mode="broadcast")
    assert calls(control, "message/mass/sendall") == 1, "not asked again until a change or --retry"
    assert "failed last time and unchanged" in report.outcomes[0].message
    # The refusal was about mass sending: in publish mode the same drafts go out at once.
    report = sync(blog, mode="publish")
    assert statuses(report) == {"content/a.md": "published", "content/b.md": "published"}
    assert calls(control, "draft/add") == 2, "the drafts made for mass sending are published"


def test_a_post_refused_publishing_is_mass_sent_once_the_mode_is_broadcast(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/a.md", article("甲"))
    write(blog / "content/b.md", article("乙", message="weekly", position=1))
    write(blog / "content/c.md", article("丙", message="weekly", position=2))
    commit_all(blog)
    control.configure(can_publish=False)
    report = sync(blog, mode="publish")
    assert set(statuses(report).values()) == {"drafted"}
    again = sync(blog, mode="publish")
    assert all("failed last time" in o.message for o in again.outcomes)
    report = sync(blog, mode="broadcast")  # one mass send a day (`broadcast.per_day`)
    assert set(statuses(report).values()) == {"sent", "queued"}
    assert not any("failed last time" in o.message for o in report.outcomes)
    assert calls(control, "message/mass/sendall") == 1


def test_a_future_date_holds_a_broadcast_back(blog: Path, control: EmulatorControl) -> None:
    write(blog / "content/later.md", article("以后", date="2099-01-01"))
    commit_all(blog)
    report = sync(blog, mode="broadcast")
    assert statuses(report) == {"content/later.md": "waiting"}
    assert control.state()["drafts"] == [] and control.state()["broadcasts"] == []


def test_a_preview_is_sent_once_per_version_and_a_failed_one_is_only_a_warning(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/a.md", article("甲"))
    commit_all(blog)
    sync(blog, preview_to=("editor-wx",))
    sync(blog, preview_to=("editor-wx",))
    previews = control.state()["previews"]
    assert [(p["towxname"], p["titles"]) for p in previews] == [("editor-wx", ["甲"])]

    write(blog / "content/a.md", article("甲", "新的正文。\n"))
    commit_all(blog)
    control.faults({"path": "/cgi-bin/message/mass/preview", "errcode": 40003})
    lines: list[str] = []
    settings = load_settings(blog, {"mode": "publish", "preview_to": ("editor-wx",)}, environ=ENV)
    report = Engine(settings, progress=lines.append, poll_delay=0.02).run()
    assert statuses(report) == {"content/a.md": "published"}
    assert any("warning: preview to editor-wx failed" in line for line in lines)
    assert len(control.state()["previews"]) == 1


def test_a_post_of_45000_characters_goes_out_in_parts_that_each_fit(
    blog: Path, control: EmulatorControl
) -> None:
    sections = "".join(
        f"## 第{n}节\n\n"
        + ("这是一段很长的中文正文，用来把文章撑到超过一篇的上限。" * 10 + "\n\n") * 24
        for n in range(1, 8)
    )
    assert len(sections) > 45_000
    write(blog / "content/long.md", article("长文", sections))
    commit_all(blog)
    report = sync(blog)
    assert statuses(report) == {"content/long.md": "drafted"}
    draft = control.state()["drafts"][0]
    count = len(draft["titles"])
    assert 2 <= count <= 8
    assert draft["titles"][:2] == ["长文（一）", "长文（二）"]
    numerals = "一二三四五六七八"
    for number, stored in enumerate(draft["articles"], start=1):
        assert len(stored["content"]) < 20_000
        lead = f"第{numerals[number - 1]}部分，共{numerals[count - 1]}部分"
        assert lead in stored["content"][:800], stored["content"][:800]
    assert (
        sum(s["content"].count("这是一段很长的中文正文") for s in draft["articles"]) == 7 * 24 * 10
    )


def test_long_posts_refuse_and_a_section_too_long_alone_are_errors_naming_it(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wxsync.cli import main

    huge = "## 巨大的一节\n\n" + ("很长的一段话，没有任何小标题可以切分。" * 40 + "\n\n") * 40
    write(blog / "content/huge.md", article("巨文", huge))
    commit_all(blog)
    assert main(["check", str(blog / "content")]) == 1
    assert "## 巨大的一节" in capsys.readouterr().out

    write(blog / "wxsync.yml", config("http://127.0.0.1:9", mode="draft", long_posts="refuse"))
    write(blog / "content/huge.md", article("巨文", "## 一\n\n" + huge[10:] + "## 二\n\n短。\n"))
    commit_all(blog)
    assert main(["check", str(blog / "content")]) == 1
    assert "`long_posts: refuse`" in capsys.readouterr().out


def test_cli_sync_previews_and_send_preview_sends_a_draft_on_demand(
    blog: Path,
    control: EmulatorControl,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wxsync.cli import main

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    weekly(blog)
    monkeypatch.chdir(blog)
    assert main(["sync", "--mode", "draft", "--preview-to", "editor-wx"]) == 0
    assert main(["send-preview", "content/b.md", "--to", "boss-wx"]) == 0
    assert "content/b.md: preview sent to boss-wx" in capsys.readouterr().out
    previews = control.state()["previews"]
    assert [(p["towxname"], p["titles"]) for p in previews] == [
        ("editor-wx", ["甲", "乙"]),
        ("boss-wx", ["甲", "乙"]),
    ]
    assert main(["status"]) == 0
    assert "weekly 2/2" in capsys.readouterr().out

    write(blog / "content/new.md", article("新"))
    commit_all(blog)
    assert main(["send-preview", "content/new.md", "--to", "boss-wx"]) == 2
    assert "no draft of this post on WeChat" in capsys.readouterr().err


def test_a_message_with_nothing_to_do_needs_no_credentials(
    blog: Path, control: EmulatorControl
) -> None:
    weekly(blog)
    sync(blog)
    settings = load_settings(blog, {}, environ={})
    report = Engine(settings).run()
    assert statuses(report) == {"content/a.md": "unchanged", "content/b.md": "unchanged"}


def test_editing_a_published_message_warns_and_leaving_it_gives_a_post_its_own_draft(
    blog: Path, control: EmulatorControl
) -> None:
    weekly(blog)
    sync(blog, mode="publish")
    write(blog / "content/a.md", article("甲", "改了。\n", message="weekly"))
    commit_all(blog)
    report = sync(blog, mode="publish")
    assert statuses(report)["content/a.md"] == "warning"
    assert calls(control, "freepublish/submit") == 1

    write(blog / "content/c.md", article("丙", message="draft-box"))
    write(blog / "content/d.md", article("丁", message="draft-box"))
    commit_all(blog)
    sync(blog)
    write(blog / "content/c.md", article("丙"))
    write(blog / "content/d.md", article("丁"))
    commit_all(blog)
    sync(blog, delete_removed=True)
    drafts = sorted(d["titles"] for d in control.state()["drafts"])
    assert drafts == [["丁"], ["丙"]], "the two-article draft is replaced by one for each post"
    assert "draft-box" not in load(blog / ".wxsync/state.json").messages


def test_a_long_title_that_cannot_name_its_parts_is_an_error(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wxsync.cli import main

    long_body = "".join(f"## 节{n}\n\n" + ("很长的正文。" * 60 + "\n\n") * 20 for n in range(4))
    write(blog / "content/t.md", article("题" * 63, long_body))
    commit_all(blog)
    assert main(["check", str(blog / "content")]) == 1
    assert "a part's title" in capsys.readouterr().out


def test_with_the_state_file_lost_a_message_is_adopted_not_written_again(
    blog: Path, control: EmulatorControl
) -> None:
    write(blog / "content/c.md", article("丙", message="later"))
    write(blog / "content/d.md", article("丁", message="later"))
    weekly(blog)  # commits all four
    sync(blog, mode="publish")
    state_file = blog / ".wxsync/state.json"
    saved = load(state_file)
    write(blog / "content/c.md", article("丙", message="later", publish="false"))
    commit_all(blog)
    state_file.unlink()
    sync(blog, mode="publish")  # `later` publishes again only if adoption failed
    assert calls(control, "freepublish/submit") == 2
    assert calls(control, "draft/add") == 2

    state_file.unlink()
    write(blog / "content/e.md", article("戊", message="box"))
    write(blog / "content/f.md", article("己", message="box"))
    commit_all(blog)
    sync(blog)
    state_file.unlink()
    write(blog / "content/f.md", article("己", "改了。\n", message="box"))
    commit_all(blog)
    report = sync(blog)
    assert calls(control, "draft/add") == 3, "the lost message's draft is updated, not rewritten"
    assert calls(control, "draft/update") == 1
    assert statuses(report)["content/f.md"] == "drafted"
    again = load(state_file)
    assert again.posts["content/a.md"].url == saved.posts["content/a.md"].url


def test_a_message_publish_whose_answer_was_lost_is_recorded_whole_when_found(
    blog: Path, control: EmulatorControl
) -> None:
    weekly(blog)
    control.faults({"path": "/cgi-bin/freepublish/submit", "after_success": True, "drop": True})
    sync(blog, mode="publish")
    control.faults()
    assert load(blog / ".wxsync/state.json").messages["weekly"].intent is not None
    control.advance(60)  # the job WeChat started ends, past the settle time
    sync(blog, mode="publish")
    saved = load(blog / ".wxsync/state.json")
    assert calls(control, "freepublish/submit") == 1, "found, not submitted again"
    for path in ("content/a.md", "content/b.md"):
        post = saved.posts[path]
        assert post.status == "published" and post.url and post.published_at
        assert not (post.draft_media_id or post.draft_hash or post.publish_id)


def test_a_message_publish_job_lost_in_an_account_reset_fails_once_and_is_not_polled_again(
    blog: Path, control: EmulatorControl
) -> None:
    weekly(blog)
    control.configure(publish_polls=1000)
    first = sync(blog, mode="publish", publish_timeout=0)
    assert set(statuses(first).values()) == {"publishing"}
    control.reset()
    second = sync(blog, mode="publish", publish_timeout=0)
    assert set(statuses(second).values()) == {"failed"}
    assert all("no longer knows this publish job" in o.message for o in second.outcomes)
    assert not load(blog / ".wxsync/state.json").messages["weekly"].publish_id
    polls = calls(control, "freepublish/get")
    sync(blog, mode="publish")
    assert calls(control, "freepublish/get") == polls, "the forgotten job is not asked about again"
