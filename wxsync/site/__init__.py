"""What kind of repository this is, and what that means for its posts.

`detect` reads the site generator's own configuration (Hugo, Hexo, Jekyll, an Obsidian vault)
and returns a `Site`: where the posts are, which folders the site serves at "/", the site's
address and its permalink rules. It is pure apart from reading those files, so the rest of
wxsync can treat an existing blog the way its generator does without a `wxsync.yml`.
"""

from wxsync.site.detect import detect
from wxsync.site.model import GENERATORS, Site

__all__ = ["GENERATORS", "Site", "detect"]
