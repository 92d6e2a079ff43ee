"""What rewriting generator syntax costs, against rendering the same posts in the same run.

    .venv/bin/python bench/syntax.py [--posts 200] [--repeat 3]

Writes a corpus of posts dense with Hugo shortcodes, Liquid/Hexo tags and wikilinks (~5,000
characters each, a construct every few lines, code blocks that must be skipped), then times
`preprocess` alone and `Renderer.render` on its output, best of `--repeat`. Prints both per post
and the ratio: the syntax step should stay a small fraction of rendering.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wxsync.content.syntax import preprocess
from wxsync.render import Renderer

BLOCKS = {
    "hugo": [
        '{{< highlight go "linenos=table" >}}\nfunc main() {\n\tfmt.Println("hi")\n}\n{{< /highlight >}}',
        '{{< figure src="/img/a.png" caption="示意图" alt="a" >}}',
        '请看[上一篇]({{< ref "other.md" >}})的说明。',
        "{{< notice tip >}}\n提示内容。\n{{< /notice >}}",
    ],
    "jekyll": [
        "{% highlight ruby %}\ndef hello\n  puts 'hi'\nend\n{% endhighlight %}",
        "![图]({{ site.baseurl }}/img/a.png)",
        "[前文]({% post_url 2024-01-01-other %})",
        "{% raw %}{{ page.title }}{% endraw %}",
    ],
    "hexo": [
        "{% codeblock app.js lang:js %}\nconsole.log(1)\n{% endcodeblock %}",
        "{% blockquote 作者, 出处 %}\n引用的话。\n{% endblockquote %}",
        "{% asset_img a.png 标题 %}",
        "{% post_link other 另一篇 %}",
    ],
    "obsidian": [
        "见 [[另一篇笔记]] 和 [[笔记#小节|别名]]。",
        "![[图片.png|300]]",
        "%% 私人注释 %%",
        "> [!note]\n> 提示",
    ],
}
PROSE = "这是一段普通的正文，讲述一些事情，并且包含 `{{< 行内代码 >}}` 与 **强调**。"
CODE = '```python\nkey = "${{ secrets.TOKEN }}"\nitems = [[1, 2]]\n```'


def corpus(count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    posts = []
    for index in range(count):
        generator = list(BLOCKS)[index % len(BLOCKS)]
        parts = []
        while sum(map(len, parts)) < 5000:
            parts.append(rng.choice([PROSE * 3, PROSE, CODE, *BLOCKS[generator]]))
        posts.append((generator, "\n\n".join(parts) + "\n"))
    return posts


def best(repeat: int, work: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    posts = corpus(args.posts)
    rewritten = [preprocess(text, generator).body for generator, text in posts]
    renderer = Renderer()
    syntax = best(args.repeat, lambda: [preprocess(text, g) for g, text in posts])
    render = best(args.repeat, lambda: [renderer.render(body) for body in rewritten])
    per = 1000 / len(posts)
    print(f"posts: {len(posts)} (~5,000 characters, dense with generator syntax)")
    print(f"syntax rewriting: {syntax * per:.2f} ms/post")
    print(f"rendering (baseline, same posts): {render * per:.2f} ms/post")
    print(f"ratio syntax/render: {syntax / render:.3f}")


if __name__ == "__main__":
    main()
