"""A post's address on its site (阅读原文), and images found where the generator finds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import png, write
from wxsync.content.post import parse_post
from wxsync.images import ImageError, Places, resolve
from wxsync.site import Site


def address(site: Site, path: str, front: str) -> str:
    post = parse_post(path, f"---\n{front}\n---\n正文\n").post
    assert post is not None
    return site.post_url(path, post)


HUGO = Site(generator="hugo", url="https://example.org/blog")


def test_hugo_default_address_is_the_lower_cased_content_path() -> None:
    url = address(HUGO, "content/Posts/My First Post.md", "title: x")
    assert url == "https://example.org/blog/posts/my-first-post/"


def test_hugo_bundle_takes_its_folder_name_and_slug_replaces_the_name() -> None:
    assert address(HUGO, "content/posts/trip/index.md", "title: x") == (
        "https://example.org/blog/posts/trip/"
    )
    assert address(HUGO, "content/posts/trip/index.md", "title: x\nslug: 出发") == (
        "https://example.org/blog/posts/%E5%87%BA%E5%8F%91/"
    )


def test_hugo_keeps_case_with_disable_path_to_lower_and_ugly_urls_end_in_html() -> None:
    site = Site(generator="hugo", url="https://e.org", lower_paths=False, ugly_urls=True)
    assert address(site, "content/post/Hello.md", "title: x") == "https://e.org/post/Hello.html"


def test_hugo_section_permalink_with_date_and_slug_tokens() -> None:
    site = Site(
        generator="hugo", url="https://e.org", permalinks=(("post", "/:year/:month/:slug/"),)
    )
    front = "title: Hello World\ndate: 2023-07-09"
    assert address(site, "content/post/a.md", front) == "https://e.org/2023/07/hello-world/"
    assert address(site, "content/notes/a.md", front) == "https://e.org/notes/a/"


def test_hugo_front_matter_url_wins_over_every_rule() -> None:
    site = Site(generator="hugo", url="https://e.org", permalinks=(("post", "/:year/:slug/"),))
    assert address(site, "content/post/a.md", "title: x\nurl: /about/") == "https://e.org/about/"


def test_hexo_title_token_is_the_path_under_posts_percent_encoded() -> None:
    site = Site(
        generator="hexo", url="https://w.github.io", content="source/_posts", permalink=":title/"
    )
    url = address(site, "source/_posts/随笔/Hello World.md", "title: x")
    assert url == "https://w.github.io/%E9%9A%8F%E7%AC%94/Hello%20World/"


def test_hexo_date_category_and_front_matter_permalink() -> None:
    site = Site(
        generator="hexo",
        url="https://e.com",
        content="source/_posts",
        permalink=":category/:year/:i_month/:i_day/:name.html",
    )
    front = "title: x\ndate: 2024-03-05 10:00\ncategories: [[Life, Travel]]"
    assert address(site, "source/_posts/a.md", front) == "https://e.com/Travel/2024/3/5/a.html"
    assert address(site, "source/_posts/a.md", "title: x\npermalink: about/me/") == (
        "https://e.com/about/me/"
    )


def test_jekyll_date_style_takes_the_date_and_name_from_the_file() -> None:
    site = Site(
        generator="jekyll",
        url="https://e.net",
        content="_posts",
        permalink="/:categories/:year/:month/:day/:title:output_ext",
    )
    assert address(site, "_posts/2020-01-02-new-year.md", "title: x") == (
        "https://e.net/2020/01/02/new-year.html"
    )
    assert address(site, "_posts/2020-01-02-new-year.md", "title: x\nslug: fresh") == (
        "https://e.net/2020/01/02/fresh.html"
    )


def test_jekyll_collection_documents_use_the_collection_permalink() -> None:
    site = Site(
        generator="jekyll",
        url="https://e.net",
        permalinks=(("_guides", "/:collection/:path/"),),
    )
    assert address(site, "_guides/setup/install.md", "title: x") == (
        "https://e.net/guides/setup/install/"
    )


def test_no_site_url_or_an_unknown_token_gives_no_address() -> None:
    assert address(Site(generator="hugo"), "content/a.md", "title: x") == ""
    odd = Site(generator="hexo", url="https://e.com", permalink=":lang/:title/")
    assert address(odd, "source/_posts/a.md", "title: x") == ""
    dateless = Site(generator="hexo", url="https://e.com", permalink=":year/:title/")
    assert address(dateless, "source/_posts/a.md", "title: x") == ""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    png(tmp_path / "static/img/a.png")
    png(tmp_path / "static/图片/海 边.png")
    png(tmp_path / "content/posts/trip/local.png")
    png(tmp_path / "source/_posts/hello/asset.png")
    png(tmp_path / "vault/Attachments/deep/drawing.png")
    write(tmp_path / "content/posts/trip/index.md", "x")
    return tmp_path


def found(repo: Path, src: str, post: str, places: Places) -> str:
    ref = resolve(src, repo / post, repo, places)
    assert ref.path is not None
    return ref.path.relative_to(repo.resolve()).as_posix()


def test_site_root_paths_are_found_in_the_static_folders(repo: Path) -> None:
    places = Places(static=("static",))
    post = "content/posts/trip/index.md"
    assert found(repo, "/img/a.png#center", post, places) == "static/img/a.png"
    assert found(repo, "/img/a.png?v=3", post, places) == "static/img/a.png"
    assert found(repo, "/%E5%9B%BE%E7%89%87/%E6%B5%B7%20%E8%BE%B9.png", post, places) == (
        "static/图片/海 边.png"
    )
    assert found(repo, "img/a.png", post, places) == "static/img/a.png"
    assert found(repo, "local.png", post, places) == "content/posts/trip/local.png"


def test_a_site_root_path_may_carry_the_sites_base_path(repo: Path) -> None:
    places = Places(static=("static",), base_path="/blog")
    assert found(repo, "/blog/img/a.png", "content/posts/trip/index.md", places) == (
        "static/img/a.png"
    )


def test_hexo_asset_folder_is_searched_for_bare_names(repo: Path) -> None:
    places = Places(static=("source",), asset_folders=True)
    assert found(repo, "asset.png", "source/_posts/hello.md", places) == (
        "source/_posts/hello/asset.png"
    )


def test_a_vault_finds_an_attachment_by_file_name(repo: Path) -> None:
    places = Places(by_name={"drawing.png": ("vault/Attachments/deep/drawing.png",)})
    assert found(repo, "drawing.png", "vault/Notes/a.md", places) == (
        "vault/Attachments/deep/drawing.png"
    )


def test_a_missing_image_names_the_site_root_it_also_looked_in(repo: Path) -> None:
    with pytest.raises(ImageError) as caught:
        resolve(
            "/img/none.png", repo / "content/posts/trip/index.md", repo, Places(static=("static",))
        )
    assert "from the site root static/" in caught.value.message


def test_source_url_false_turns_the_site_address_off_and_a_link_replaces_it() -> None:
    off = parse_post("content/a.md", "---\ntitle: x\nwechat:\n  source_url: false\n---\n").post
    assert off is not None and off.wechat.source_url_off and off.wechat.source_url == ""
    on = parse_post(
        "content/a.md", "---\ntitle: x\nwechat:\n  source_url: https://e.org/x\n---\n"
    ).post
    assert on is not None and on.wechat.source_url == "https://e.org/x"
    result = parse_post("content/a.md", "---\ntitle: x\nwechat:\n  source_url: true\n---\n")
    assert "should be an http(s) link, or false" in str(result.problems[0])
