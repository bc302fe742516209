"""A news site as tests meet one: article pages with what real ones carry around the article
(navigation, adverts, a cookie banner, comments, JSON-LD, rel=canonical, Open Graph, a byline),
and their RSS 2.0, RSS 1.0/RDF and Atom feeds, with full text or with links only.

Served by the loopback `origin` (tests/origin.py); the feed and link tests, the browser test and
benchmarks/feeds.py read the same pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

# Sentences of the seed story (fixtures/seed), two to an article, so that matching has something
# to find between outlets.
STORY = [
    "Secretary of State John Kerry said the United States plans military talks with Russia.",
    "Russian Defense Minister Sergei Shoigu spoke with Defense Secretary Ash Carter for an hour.",
    "The Pentagon said the talks would focus on avoiding incidents between the two air forces.",
    "Russia has sent at least 28 combat aircraft to an air base near Latakia, officials said.",
    "The White House said Assad must leave office for the civil war to end.",
    "More than 250,000 people have been killed in Syria since 2011, the United Nations says.",
    "Four million Syrians have fled the country, the UN refugee agency said on Thursday.",
    "The United States has trained only a handful of moderate rebels, a general told Congress.",
]


@dataclass(frozen=True)
class Story:
    """One article of the site: where it lives and what it says."""

    slug: str
    title: str
    sentences: tuple[str, ...]
    author: str = "Jane Reporter"
    published: datetime = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def stories(count: int, *, prefix: str = "story", salt: str = "") -> list[Story]:
    """`count` distinct stories, each of two sentences of the seed story plus one of its own (so
    no two are the same text, and a salt makes another site's differ from these)."""
    made = []
    for n in range(count):
        first, second = STORY[n % len(STORY)], STORY[(n + 3) % len(STORY)]
        own = f"Officials counted {n + 11} {salt}briefings on the matter in week {n % 52 + 1}."
        made.append(
            Story(
                slug=f"{prefix}-{n}",
                title=f"Syria talks, part {n + 1}{' ' + salt.strip() if salt else ''}",
                sentences=(first, second, own),
                published=datetime(2026, 12, 1, 9, 30, tzinfo=UTC) + timedelta(hours=n),
            )
        )
    return made


def article_page(story: Story, *, site: str, canonical: str, comments: bool = True) -> bytes:
    """An article page as a news site serves it."""
    paragraphs = "\n".join(f"      <p>{escape(s)}</p>" for s in story.sentences)
    linked = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published.isoformat(),
            "author": {"@type": "Person", "name": story.author},
            "publisher": {"@type": "Organization", "name": "The Daily Example"},
        }
    )
    talk = (
        """
  <section id="comments" class="comments">
    <h2>Comments</h2>
    <div class="comment"><p>First! This is all fake news, the numbers are made up.</p></div>
    <div class="comment"><p>Who pays for these talks? Not me, I hope.</p></div>
  </section>"""
        if comments
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(story.title)} | The Daily Example</title>
  <link rel="canonical" href="{escape(canonical)}">
  <meta property="og:url" content="{escape(canonical)}">
  <meta property="og:site_name" content="The Daily Example">
  <meta property="og:title" content="{escape(story.title)}">
  <meta name="author" content="{escape(story.author)}">
  <meta property="article:published_time" content="{story.published.isoformat()}">
  <script type="application/ld+json">{linked}</script>
  <script>window.ads = window.ads || []; window.ads.push({{slot: "top"}});</script>
</head>
<body>
  <div class="cookie-banner">We use cookies to improve your experience.
    <button>Accept all</button></div>
  <header class="site-header">
    <nav><a href="{site}/">Home</a> <a href="{site}/world">World</a>
    <a href="{site}/sport">Sport</a>
    <a href="{site}/subscribe">Subscribe for 1 euro a week</a></nav>
  </header>
  <aside class="advert">Sponsored: Buy the best mattress of 2026, now 40 per cent off.</aside>
  <main>
    <article>
      <h1>{escape(story.title)}</h1>
      <p class="byline">By <a rel="author" href="{site}/staff/jane">{escape(story.author)}</a>,
        <time datetime="{story.published.isoformat()}">1 December 2026</time></p>
{paragraphs}
    </article>
  </main>
  <aside class="related"><h2>Most read</h2>
    <ul><li><a href="{site}/x">Ten things about cats</a></li></ul></aside>{talk}
  <footer>© 2026 The Daily Example. All rights reserved.
    <a href="{site}/privacy">Privacy</a></footer>
</body>
</html>"""
    return page.encode("utf-8")


def _content(story: Story) -> str:
    return "".join(f"<p>{escape(s)}</p>" for s in story.sentences)


def long_story(story: Story) -> Story:
    """The story with enough text that a feed carrying it carries the article, not a teaser."""
    extra = tuple(
        f"Paragraph {n} of the report repeats that officials met {n + 2} times in Geneva."
        for n in range(8)
    )
    return Story(story.slug, story.title, story.sentences + extra, story.author, story.published)


def rss(entries: list[Story], *, site: str, full_text: bool, title: str = "Daily World") -> bytes:
    """RSS 2.0: each item's GUID, link, date, author and a teaser; with `full_text` the
    whole article in content:encoded."""
    items = []
    for story in entries:
        content = (
            f"<content:encoded><![CDATA[{_content(long_story(story))}]]></content:encoded>"
            if full_text
            else ""
        )
        items.append(
            f"""  <item>
    <title>{escape(story.title)}</title>
    <link>{site}/{story.slug}</link>
    <guid isPermaLink="false">{site}/id/{story.slug}</guid>
    <pubDate>{format_datetime(story.published)}</pubDate>
    <dc:creator>{escape(story.author)}</dc:creator>
    <description>{escape(story.sentences[0])}</description>
    {content}
  </item>"""
        )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>{escape(title)}</title>
  <link>{site}/</link>
  <description>World news</description>
{body}
</channel>
</rss>""".encode()


def rdf(entries: list[Story], *, site: str, title: str = "Daily RDF") -> bytes:
    """RSS 1.0 (RDF), links only."""
    seq = "".join(f'<rdf:li rdf:resource="{site}/{s.slug}"/>' for s in entries)
    items = "\n".join(
        f"""<item rdf:about="{site}/{s.slug}">
  <title>{escape(s.title)}</title>
  <link>{site}/{s.slug}</link>
  <dc:date>{s.published.isoformat()}</dc:date>
  <description>{escape(s.sentences[0])}</description>
</item>"""
        for s in entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{site}/">
  <title>{escape(title)}</title>
  <link>{site}/</link>
  <description>World news</description>
  <items><rdf:Seq>{seq}</rdf:Seq></items>
</channel>
{items}
</rdf:RDF>""".encode()


def atom(entries: list[Story], *, site: str, full_text: bool, title: str = "Daily Atom") -> bytes:
    """Atom 1.0, with the article as <content> when `full_text`, else a summary and a link."""
    parts = []
    for story in entries:
        content = (
            f'<content type="html">{escape(_content(long_story(story)))}</content>'
            if full_text
            else f"<summary>{escape(story.sentences[0])}</summary>"
        )
        parts.append(
            f"""<entry>
  <id>tag:daily.example,2026:{story.slug}</id>
  <title>{escape(story.title)}</title>
  <link rel="alternate" href="{site}/{story.slug}"/>
  <updated>{story.published.isoformat()}</updated>
  <author><name>{escape(story.author)}</name></author>
  {content}
</entry>"""
        )
    body = "\n".join(parts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(title)}</title>
  <id>tag:daily.example,2026:feed</id>
  <updated>2026-12-01T12:00:00Z</updated>
{body}
</feed>""".encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs &lol9;</title>
<item><title>&lol9;</title><guid>laugh-1</guid><description>&lol9;</description></item>
</channel></rss>"""


def external_entity(path: str) -> bytes:
    """A feed that asks for a local file as an external entity (XXE)."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{path}">]>
<rss version="2.0"><channel><title>Leak &secret;</title>
<item><title>Entry &secret;</title><guid>xxe-1</guid><description>&secret;</description></item>
</channel></rss>""".encode()


HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}
RSS_TYPE = {"Content-Type": "application/rss+xml"}


def site_of(origin) -> str:  # type: ignore[no-untyped-def]
    """The loopback origin's address, as a site's base."""
    return origin.url("").rstrip("/")


def publish(origin, entries: list[Story], *, feed: str | None = "/rss") -> None:  # type: ignore[no-untyped-def]
    """Serve each story's page on the origin at /<slug>, and (unless `feed` is None) an RSS feed
    of links to them at `feed`."""
    site = site_of(origin)
    for story in entries:
        page = article_page(story, site=site, canonical=origin.url(f"/{story.slug}"))
        origin.route(f"/{story.slug}", body=page, headers=HTML_TYPE)
    if feed is not None:
        origin.route(feed, body=rss(entries, site=site, full_text=False), headers=RSS_TYPE)
