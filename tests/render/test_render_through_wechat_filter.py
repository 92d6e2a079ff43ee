"""What survives WeChat's own filtering (as the emulator models it) is what readers see."""

from __future__ import annotations

from tests.render.html_tools import code_blocks_as_displayed, list_rows, parse
from wxsync.render import Renderer
from wxsync.wechat.filtering import filter_content

POST = """\
1. 第一项 **标签**：说明
   - 子项
     1. 孙项

```go
func main() {
\tif ok {
\t\tfmt.Println("tab")
        }
}
```

[外部](https://example.com) [公众号](https://mp.weixin.qq.com/s/a) $x^2$

<span onclick="x()" style="color:red">红</span>
"""


def stored(html: str) -> str:
    return filter_content(html, image_allowed=lambda url: True)


def test_article_survives_wechat_filtering_unchanged_in_what_matters() -> None:
    html = Renderer().render(POST).html
    after = stored(html)
    assert code_blocks_as_displayed(after) == code_blocks_as_displayed(html)
    assert code_blocks_as_displayed(after)[0].splitlines()[2] == '        fmt.Println("tab")'
    assert (
        list_rows(after)
        == list_rows(html)
        == [
            ("1.", "第一项 标签：说明", 0),
            ("◦", "子项", 1.5),
            ("1.", "孙项", 3.0),
        ]
    )
    assert [a.attrs.get("href") for a in parse(after).find_all("a")] == [
        "https://mp.weixin.qq.com/s/a"
    ]
    assert parse(after).find_all("svg")
    assert "onclick" not in after


def test_filtering_removes_nothing_the_renderer_emits() -> None:
    html = Renderer().render(POST).html
    tags_before = [e.tag for e in parse(html).iter()]
    tags_after = [e.tag for e in parse(stored(html)).iter()]
    assert tags_after == tags_before
