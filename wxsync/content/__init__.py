"""Reading posts: a Markdown file with front matter becomes a `Post` and the problems found in it."""
