"""Links between posts: which post a link means, and in which order posts go out."""

from __future__ import annotations

from wxsync.content.links import PostIndex, Target
from wxsync.engine.plan import Action, Kind, waves

POSTS = PostIndex.build(
    [
        "content/post/2024/first.md",
        "content/post/2024/second.md",
        "content/post/bundle/index.md",
        "_posts/2010-07-21-name.md",
        "source/_posts/hello-world.md",
        "vault/Notes/Other Note.md",
        "vault/Daily/todo.md",
        "vault/Notes/todo.md",
    ]
)


def test_relative_markdown_links_find_the_file_next_to_the_post() -> None:
    source = "content/post/2024/first.md"
    assert POSTS.find("second.md", source) == Target("content/post/2024/second.md")
    assert POSTS.find("../bundle/index.md#intro", source) == Target(
        "content/post/bundle/index.md", "intro"
    )
    assert POSTS.find("missing.md", source) is None
    assert POSTS.find("https://example.com/x.md", source) is None
    assert POSTS.find("../img/a.png", source) is None


def test_hugo_ref_finds_by_relative_path_content_path_or_name() -> None:
    source = "content/post/2024/first.md"
    assert POSTS.find("wxsync:ref/second.md", source) == Target("content/post/2024/second.md")
    assert POSTS.find("wxsync:ref//post/2024/second", source) == Target(
        "content/post/2024/second.md"
    )
    assert POSTS.find("wxsync:ref/bundle#part", source) == Target(
        "content/post/bundle/index.md", "part"
    )


def test_jekyll_post_url_and_hexo_post_link_find_by_file_name() -> None:
    assert POSTS.find("wxsync:post_url/2010-07-21-name", "_posts/x.md") == Target(
        "_posts/2010-07-21-name.md"
    )
    assert POSTS.find("wxsync:post_link/hello-world", "source/_posts/x.md") == Target(
        "source/_posts/hello-world.md"
    )
    assert POSTS.find("wxsync:path/_posts/2010-07-21-name.md", "_posts/x.md") == Target(
        "_posts/2010-07-21-name.md"
    )


def test_wikilinks_find_a_note_by_name_or_path_and_refuse_to_guess_between_two() -> None:
    source = "vault/Daily/today.md"
    assert POSTS.find("wxsync:wiki/Other%20Note#Head", source) == Target(
        "vault/Notes/Other Note.md", "Head"
    )
    assert POSTS.find("wxsync:wiki/other note", source) == Target("vault/Notes/Other Note.md")
    assert POSTS.find("wxsync:wiki/Notes/todo", source) == Target("vault/Notes/todo.md")
    assert POSTS.find("wxsync:wiki/todo", "vault/x.md") is None, "two notes are named todo"
    assert POSTS.find("wxsync:wiki/Nowhere", source) is None


def act(path: str, kind: Kind = Kind.CREATE, publish: bool = True) -> Action:
    return Action(kind, path, "", publish=publish)


def test_a_post_is_written_after_the_posts_it_links_to_are_published() -> None:
    a, b, c = act("a.md"), act("b.md"), act("c.md")
    rounds = waves([a, b, c], {"a.md": ["b.md"], "b.md": ["c.md"]})
    assert rounds == [[c], [b], [a]]


def test_links_to_posts_not_published_in_this_run_do_not_delay_anything() -> None:
    a, b = act("a.md"), act("b.md", publish=False)
    nothing = Action(Kind.NOTHING, "c.md", "")
    assert waves([a, b, nothing], {"a.md": ["b.md", "c.md", "elsewhere.md"]}) == [[a, b, nothing]]


def test_a_cycle_of_links_is_broken_at_its_first_post() -> None:
    a, b = act("a.md"), act("b.md")
    assert waves([a, b], {"a.md": ["b.md"], "b.md": ["a.md"]}) == [[a], [b]]


def test_a_drafted_post_waits_for_a_target_published_in_the_same_run() -> None:
    drafted = Action(Kind.PUBLISH, "a.md", "")
    target = act("b.md")
    assert waves([drafted, target], {"a.md": ["b.md"]}) == [[target], [drafted]]
