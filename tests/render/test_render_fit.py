"""The fitting ladder: an article too long for WeChat is rendered plainer until it fits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.gitrepo import commit_all, init_repo, post, run_cli, write
from tests.render.html_tools import code_blocks_as_displayed, parse
from wxsync.render import Renderer, RenderOptions, RenderResult, render_fitting
from wxsync.render.fit import STEPS, rungs

RENDERER = Renderer(RenderOptions(code_theme="github-dark"))
FUNCTION = '''def handler_{n}(request, *, retries: int = 3) -> dict[str, object]:
    """Handle one request {n}."""
    for attempt in range(retries):
        if request.get("id") == {n}:
            return {{"ok": True, "attempt": attempt, "name": "handler"}}
    raise ValueError(f"no such request: {{request!r}}")
'''


def code_post(functions: int) -> str:
    code = "\n".join(FUNCTION.format(n=n) for n in range(functions))
    return f"正文。\n\n```python\n{code}```\n"


def colours_in_code(html: str) -> set[str]:
    colours = set()
    for pre in parse(html).find_all("pre"):
        if any("color" in span.style for span in pre.find_all("span")):
            colours.add(pre.style["color"])
        for span in pre.find_all("span"):
            if "color" in span.style:
                colours.add(span.style["color"])
    return colours


def test_a_short_article_renders_as_configured() -> None:
    markdown = code_post(2)
    fitted = render_fitting(RENDERER, markdown)
    assert fitted.step is None and fitted.fits
    assert fitted.result.html == RENDERER.render(markdown).html


def test_the_richest_step_that_fits_is_taken_in_ladder_order() -> None:
    full = RENDERER.render(code_post(1)).wechat_length
    light = RENDERER.variant(code_highlight="light").render(code_post(1)).wechat_length
    plain = RENDERER.variant(code_highlight="plain").render(code_post(1)).wechat_length
    assert full > light > plain
    markdown = code_post(20)
    sizes = {
        step: RENDERER.variant(code_highlight=mode).render(markdown).wechat_length
        for step, mode in ((None, "full"), (STEPS[0], "light"), (STEPS[1], "plain"))
    }
    for step, size in sizes.items():
        fitted = render_fitting(RENDERER, markdown, limit=size + 1)
        assert (fitted.step, fitted.fits) == (step, True)
        assert fitted.result.wechat_length == size


def test_lighter_code_style_uses_fewer_colours_and_plain_code_none() -> None:
    markdown = code_post(20)
    full = RENDERER.render(markdown)
    light = render_fitting(RENDERER, markdown, limit=full.wechat_length).result
    plain = RENDERER.variant(code_highlight="plain").render(markdown)
    assert 1 <= len(colours_in_code(light.html)) < len(colours_in_code(full.html))
    assert colours_in_code(plain.html) == set()
    expected = code_blocks_as_displayed(full.html)
    assert code_blocks_as_displayed(light.html) == expected
    assert code_blocks_as_displayed(plain.html) == expected


def test_formulas_become_images_only_after_code_is_plain() -> None:
    formulas = "\n\n".join(["$$\\sum_{i=1}^{n} \\frac{a_i^2 + b_i}{\\sqrt{c_i}}$$"] * 40)
    markdown = code_post(3) + "\n" + formulas + "\n"
    as_svg = RENDERER.variant(math="svg", code_highlight="plain").render(markdown)
    fitted = render_fitting(RENDERER, markdown, limit=as_svg.wechat_length - 1)
    assert fitted.step == "formulas as PNG" and fitted.fits
    assert fitted.result.generated
    assert colours_in_code(fitted.result.html) == set()


def test_explicit_svg_math_never_turns_formulas_into_images() -> None:
    renderer = Renderer(RenderOptions(math="svg"))
    markdown = "$$x^2 + y^2 = z^2$$\n\n" * 200
    fitted = render_fitting(renderer, markdown, limit=5_000)
    assert not fitted.fits
    assert fitted.step == STEPS[-1]
    assert "formulas as PNG" not in [step for step, _rung in rungs(renderer)]
    assert not fitted.result.generated


def test_a_post_too_long_even_in_plain_form_does_not_fit() -> None:
    fitted = render_fitting(RENDERER, "很长的正文。" * 5_000)
    assert not fitted.fits
    assert fitted.result.wechat_length >= 20_000


def test_the_step_does_not_depend_on_the_uploaded_image_urls() -> None:
    markdown = "".join(f"![图](p{n}.png)\n\n" for n in range(20)) + code_post(20)
    limit = RENDERER.render(markdown).wechat_length
    before = render_fitting(RENDERER, markdown, limit=limit)
    after = render_fitting(
        RENDERER, markdown, limit=limit, image_url=lambda src: "http://mmbiz.qpic.cn/" + src * 9
    )
    assert before.step == after.step == "lighter code style"


def test_check_warns_which_step_was_taken_and_still_passes(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", "content: content\n")
    write(root / "content/long-code.md", post("代码很多", code_post(45)))
    commit_all(root)
    result = run_cli(root, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    warning = [line for line in result.stdout.splitlines() if "long-code.md" in line]
    assert len(warning) == 1
    assert warning[0].startswith("content/long-code.md:")
    assert "warning: too long for WeChat as configured; rendered with" in warning[0]


def test_sync_dry_run_and_render_say_which_step_was_taken(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "blog")
    write(root / "wxsync.yml", "content: content\n")
    write(root / "content/long-code.md", post("代码很多", code_post(45)))
    commit_all(root)
    for args in (["sync", "--dry-run"], ["render", "content/long-code.md"]):
        result = run_cli(root, *args)
        assert result.returncode == 0, result.stdout + result.stderr
        said = [line for line in result.stderr.splitlines() if "warning:" in line]
        assert len(said) == 1, (args, result.stderr)
        assert "long-code.md" in said[0] and "rendered with" in said[0]


def test_preview_shows_the_article_sync_would_publish_and_the_step_taken(tmp_path: Path) -> None:
    from wxsync.engine.manuscript import fit_article
    from wxsync.render.preview import PreviewSite

    write(tmp_path / "long.md", "---\ntitle: 长文\n---\n\n" + code_post(30))
    site = PreviewSite(tmp_path, RENDERER, fit=fit_article)
    page = site.post_page("long.md")
    assert page is not None
    assert f"rendered with {STEPS[1]} to fit" in page
    article = page.split('<div id="article">', 1)[1]
    assert code_blocks_as_displayed(article) == code_blocks_as_displayed(
        RENDERER.variant(code_highlight="plain").render(code_post(30)).html
    )
    write(tmp_path / "huge.md", "---\ntitle: 更长\n---\n\n" + code_post(80))
    assert "too long even in its plainest form" in (site.post_page("huge.md") or "")


def test_preview_shows_a_post_that_cannot_render_as_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    from wxsync.render.preview import PreviewSite

    write(tmp_path / "deep.md", "---\ntitle: 深\n---\n\n正文。\n\n" + "<div>" * 400 + "x")
    page = PreviewSite(tmp_path, RENDERER).post_page("deep.md")
    assert page is not None and 'class="bar over"' in page
    assert re.search(r"deep\.md:\d+: HTML nested more than \d+ levels deep", page)


# An old blog export: code coloured one `<span style>` per token, as cnblogs and Word wrote it.
EXPORTED = (
    '<div style="border:1px solid #ccc;background-color:#eee">'
    + "".join(
        f'<span style="color: #0000ff;">Set</span><span style="color: #000000;">&nbsp;x{n}'
        f'&nbsp;=&nbsp;</span><span style="color: #008000;">\'value {n}</span><br>'
        for n in range(400)
    )
    + "</div>"
)


def test_raw_html_loses_its_own_styles_only_when_nothing_else_fits() -> None:
    markdown = '导出的旧文章：<span style="color:red">**红字**</span>\n\n' + EXPORTED + "\n"
    assert RENDERER.variant(code_highlight="plain").render(markdown).wechat_length > 20_000
    fitted = render_fitting(RENDERER, markdown)
    assert (fitted.step, fitted.fits) == (STEPS[-1], True)
    html = fitted.result.html
    assert "#0000ff" not in html and "color:red" not in html and "<span>" not in html
    assert html.count("<span") == html.count("</span>")
    assert html.count("<div") == html.count("</div>") == 1
    assert "Set\u00a0x399\u00a0=\u00a0'value 399" in html
    assert 'style="color:#0f4c81">红字</strong>' in html  # the theme's own styles stay


def test_a_post_that_fits_keeps_the_styles_of_its_raw_html() -> None:
    fitted = render_fitting(RENDERER, '正文 <span style="color:red">红</span>。\n')
    assert fitted.step is None
    assert '<span style="color:red">红</span>' in fitted.result.html


def test_rungs_that_change_nothing_the_article_has_are_not_rendered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[RenderOptions] = []
    original = Renderer.render

    def render(self: Renderer, *args: Any, **kwargs: Any) -> RenderResult:
        rendered.append(self.options)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Renderer, "render", render)
    assert not render_fitting(RENDERER, "很长的正文。" * 5_000).fits
    assert len(rendered) == 1  # no code, formulas or styled HTML: no rung can shorten it
    rendered.clear()
    assert not render_fitting(RENDERER, code_post(80)).fits
    assert [o.code_highlight for o in rendered] == ["full", "light", "plain"]
