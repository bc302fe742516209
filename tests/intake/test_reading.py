"""workbench.intake.reading: decoding, reading files and pages, JSON Lines."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import UTC, datetime

import pytest

from workbench.intake.errors import IngestError, MalformedJsonLines
from workbench.intake.reading import ArticleInput, decode_text, parse_jsonl, read_article_file

# --- decode_text ---------------------------------------------------------------------------------

TEXT = "Café “Sergei Shoygu” said 5 € — Straße, naïve.\nSecond line."
GERMAN = "Der Minister sagte am Freitag, dass die Gespräche nächste Woche in Genf weitergehen."
RUSSIAN = (
    "Министр обороны России Сергей Шойгу провёл телефонный разговор с министром обороны США. "
    "Переговоры продолжатся на следующей неделе."
)
CHINESE = (
    "美国国防部长卡特周五与俄罗斯国防部长绍伊古通电话，双方讨论了叙利亚局势。会谈将于下周继续。"
)
TRADITIONAL = "美國國防部長卡特週五與俄羅斯國防部長紹伊古通電話，雙方討論了敘利亞局勢。"
JAPANESE = "東京都は月曜日、新しい予算案を発表した。来年度から実施される予定だ。"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(TEXT.encode("utf-8"), TEXT, id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT, id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + TEXT.encode("utf-16-le"), TEXT, id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + TEXT.encode("utf-16-be"), TEXT, id="utf-16-be-bom"),
        pytest.param(TEXT.encode("utf-16-le"), TEXT, id="utf-16-le-no-bom"),
        pytest.param(TEXT.encode("utf-16-be"), TEXT, id="utf-16-be-no-bom"),
        # The first character decides nothing: a quotation mark opens many a news story.
        pytest.param("“Quote,” he said.".encode("utf-16-le"), "“Quote,” he said.", id="le-quote"),
        pytest.param("“Quote,” he said.".encode("utf-16-be"), "“Quote,” he said.", id="be-quote"),
        pytest.param(b"\x93Fake news\x94 he said.", "“Fake news” he said.", id="cp1252-quotes"),
        pytest.param("café – 5 €".encode("cp1252"), "café – 5 €", id="cp1252-cafe"),
        pytest.param(b"tab\tseparated\r\nlines\r\n", "tab\tseparated\r\nlines\r\n", id="crlf-tab"),
        pytest.param(GERMAN.encode("cp1252"), GERMAN, id="cp1252-german"),
        # Non-Latin text has no NULs to give UTF-16 away: the detector reads it.
        pytest.param(RUSSIAN.encode("utf-16-le"), RUSSIAN, id="russian-utf-16-le-no-bom"),
        pytest.param(RUSSIAN.encode("utf-16-be"), RUSSIAN, id="russian-utf-16-be-no-bom"),
        pytest.param(CHINESE.encode("utf-16-le"), CHINESE, id="chinese-utf-16-le-no-bom"),
        pytest.param(CHINESE.encode("utf-16-be"), CHINESE, id="chinese-utf-16-be-no-bom"),
        pytest.param(RUSSIAN.encode("cp1251"), RUSSIAN, id="russian-windows-1251"),
        pytest.param(RUSSIAN.encode("koi8-r"), RUSSIAN, id="russian-koi8-r"),
        pytest.param(CHINESE.encode("gb18030"), CHINESE, id="chinese-gb18030"),
        pytest.param(TRADITIONAL.encode("big5"), TRADITIONAL, id="chinese-big5"),
        pytest.param(JAPANESE.encode("shift_jis"), JAPANESE, id="japanese-shift-jis"),
    ],
)
def test_decode_text_handles_newsroom_encodings(data: bytes, expected: str) -> None:
    assert decode_text(data, "article.txt") == expected


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("story.txt", "Military talks began on Friday. " * 50)
    return buffer.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    b"\x1f\xf3\xffa\x00\x00\x00\x19IDATx\x9cc\xfc\xff\xff?\x03%\x80\x89\x81\x81\x81\x81\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(PNG, id="png"),
        pytest.param(random.Random(7).randbytes(4000), id="random"),
        pytest.param(b"plain start\x00\x01\x02\x00\x00binary tail" * 20, id="nuls"),
        pytest.param(_zip_bytes(), id="zip"),
        pytest.param(b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11" * 10, id="controls"),
    ],
)
def test_decode_text_refuses_binary(data: bytes) -> None:
    with pytest.raises(IngestError) as refused:
        decode_text(data, "photo.txt")
    message = str(refused.value)
    assert message.startswith("photo.txt:")
    assert "does not look like a text file" in message


# --- read_article_file ---------------------------------------------------------------------------


def test_file_over_the_limit_is_refused_and_the_limit_named() -> None:
    data = b"Military talks began on Friday. " * 400
    limit = len(data) - 1
    with pytest.raises(IngestError) as refused:
        read_article_file("big.txt", data, limit)
    assert f"larger than the limit of {limit:,} bytes" in str(refused.value)
    # Exactly at the limit is fine.
    assert len(read_article_file("big.txt", data, len(data))) == 1


@pytest.mark.parametrize("name", ["report.pdf", "story.docx", "notes", "page.php", "a.txt.exe"])
def test_unsupported_file_types_are_refused(name: str) -> None:
    with pytest.raises(IngestError, match="unsupported file type") as refused:
        read_article_file(name, b"Military talks began on Friday.", 10_000)
    assert ".txt" in str(refused.value) and ".jsonl" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("election_results.txt", "election results"),
        ("Syria talks.md", "Syria talks"),
        ("UPPER.MD", "UPPER"),
        ("notes.markdown", "notes"),
        # A machine-made name says nothing; the first line becomes the title later.
        ("000_2cb53fe733bcfbdb.txt", ""),
    ],
)
def test_text_files_give_one_article(name: str, title: str) -> None:
    data = "Kerry said the talks would go on.\nShoygu agreed.".encode("cp1252")
    (article,) = read_article_file(name, data, 10_000)
    assert article.body == "Kerry said the talks would go on.\nShoygu agreed."
    assert article.title == title
    assert article.origin == "upload"


def test_binary_file_with_a_text_suffix_is_refused() -> None:
    with pytest.raises(IngestError, match="not look like a text file"):
        read_article_file("photo.txt", PNG, 10_000)


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pentagon opens military talks with Russia over Syria | Daily Courier</title>
<meta property="og:site_name" content="Daily Courier">
<meta property="og:title" content="Pentagon opens military talks with Russia over Syria">
<meta property="article:published_time" content="2015-09-18T14:30:00Z">
<link rel="canonical" href="https://courier.example.com/world/2015/09/18/pentagon-russia-talks">
</head>
<body>
<header>
  <nav class="menu">
    <ul>
      <li><a href="/">Home</a></li><li><a href="/world">World news</a></li>
      <li><a href="/sport">Sport</a></li>
      <li><a href="/subscribe">Subscribe to our newsletter today</a></li>
    </ul>
  </nav>
</header>
<main>
<article>
  <h1>Pentagon opens military talks with Russia over Syria</h1>
  <p>Military talks between the US and Russia on the Syrian crisis began Friday with a telephone
  call between Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu.</p>
  <p>The last time a United States defence chief spoke with Shoigu was in August 2014, the
  Pentagon said, adding that high-level communications were halted following the annexation of
  Crimea.</p>
  <p>Cook says the two men agreed to talk more about how to deconflict the coalition military
  campaign against Islamic State militants in Syria with recent Russian moves.</p>
  <p>Kremlin spokesman Dmitry Peskov said he was unaware of any such messages about Syria having
  been sent by Russian soldiers.</p>
</article>
</main>
<aside class="related"><h3>Most read</h3>
  <ul><li><a href="/a">Ten recipes for a quick weekday dinner</a></li></ul></aside>
<footer>
  <p>Copyright 2015 Daily Courier Media Group. All rights reserved.</p>
  <p><a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a> |
  <a href="/contact">Contact the newsroom</a></p>
</footer>
</body>
</html>
"""


def test_html_keeps_the_article_and_drops_the_page_furniture() -> None:
    (article,) = read_article_file("page.html", HTML_PAGE.encode("utf-8"), 100_000)
    assert article.origin == "html"
    assert article.title == "Pentagon opens military talks with Russia over Syria"
    assert article.outlet == "Daily Courier"
    assert article.url == "https://courier.example.com/world/2015/09/18/pentagon-russia-talks"
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2015-09-18"
    body = " ".join(article.body.split())
    for kept in (
        "Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu.",
        "spoke with Shoigu was in August 2014",
        "Kremlin spokesman Dmitry Peskov said he was unaware",
    ):
        assert kept in body
    for dropped in (
        "Subscribe to our newsletter",
        "World news",
        "Privacy policy",
        "Cookie settings",
        "All rights reserved",
        "Ten recipes",
    ):
        assert dropped not in body
    assert "<p>" not in article.body


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Nothing here</title></head><body></body></html>",
        "<html><head><title>Menu</title></head><body><div id='menu'><ul>"
        "<li><a href='/a'>Home</a></li><li><a href='/b'>Sport</a></li></ul></div></body></html>",
        "",
    ],
    ids=["empty-body", "menu-only", "empty-file"],
)
def test_html_without_article_text_is_refused(html: str) -> None:
    with pytest.raises(IngestError, match="no article text was found"):
        read_article_file("empty.htm", html.encode(), 100_000)


def test_jsonl_file_goes_through_the_jsonl_parser() -> None:
    data = "\n".join(json.dumps({"text": f"Article number {n} says talks began."}) for n in (1, 2))
    articles = read_article_file("batch.NDJSON", data.encode("utf-16"), 100_000)
    assert [a.body for a in articles] == [
        "Article number 1 says talks began.",
        "Article number 2 says talks began.",
    ]
    assert {a.origin for a in articles} == {"jsonl"}


# --- parse_jsonl ---------------------------------------------------------------------------------


def _line(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def test_jsonl_records_keep_their_metadata() -> None:
    text = "\n".join(
        [
            _line(
                title="Talks begin",
                url="https://news.example.com/talks",
                outlet="Daily Courier",
                published="2015-09-18T16:30:00+02:00",
                text="Military talks began on Friday.",
            ),
            "",
            "   ",
            _line(text="Shoygu spoke with Carter.", published="2015-09-19", url="HTTP://x.example"),
            _line(text="Only text here.", title=None, url="", outlet=None, published=""),
        ]
    )
    first, second, third = parse_jsonl(text + "\n", "batch.jsonl")
    assert first == ArticleInput(
        body="Military talks began on Friday.",
        title="Talks begin",
        url="https://news.example.com/talks",
        outlet="Daily Courier",
        published_at=datetime(2015, 9, 18, 14, 30, tzinfo=UTC),
        origin="jsonl",
    )
    assert second.published_at == datetime(2015, 9, 19, tzinfo=UTC)
    assert second.title == "" and second.outlet is None
    assert (third.title, third.url, third.outlet, third.published_at) == ("", None, None, None)


def test_jsonl_lines_are_cut_only_at_line_ends() -> None:
    # JSON strings may hold U+2028, U+2029 and U+0085 unescaped; they are not line ends.
    text = "\r\n".join(
        [
            _line(text="Talks began\u2028on Friday in Geneva."),
            _line(text="Carter spoke\u0085with Shoygu."),
            "{bad",
        ]
    )
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl(text, "batch.jsonl")
    assert [n for n, _ in refused.value.errors] == [3]
    text = text.rsplit("\r\n", 1)[0]
    assert [a.body[:11] for a in parse_jsonl(text, "batch.jsonl")] == ["Talks began", "Carter spok"]


GOOD = _line(text="Military talks began on Friday.")


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ('{"text": "unterminated', "not valid JSON"),
        ("{'text': 'single quotes'}", "not valid JSON"),
        ('{"text": "trailing comma",}', "not valid JSON"),
        ('["text", "a list"]', "must be a JSON object"),
        ('"just a string"', "must be a JSON object"),
        ("42", "must be a JSON object"),
        ("null", "must be a JSON object"),
        (_line(title="No text"), '"text" must be a non-empty string'),
        (_line(text=""), '"text" must be a non-empty string'),
        (_line(text="  \n\t "), '"text" must be a non-empty string'),
        (_line(text=["a", "list"]), '"text" must be a non-empty string'),
        (_line(text="Fine.", title=5), '"title" must be a string'),
        (_line(text="Fine.", outlet={"name": "x"}), '"outlet" must be a string'),
        (_line(text="Fine.", url=["https://x.example"]), '"url" must be a string'),
        (_line(text="Fine.", published=20150918), '"published" must be a string'),
        (_line(text="Fine.", url="javascript:alert(1)"), '"url" must start with http'),
        (_line(text="Fine.", url="ftp://files.example/a"), '"url" must start with http'),
        (_line(text="Fine.", url="news.example.com/a"), '"url" must start with http'),
        (_line(text="Fine.", published="yesterday"), '"published" is not an ISO date'),
        (_line(text="Fine.", published="18/09/2015"), '"published" is not an ISO date'),
        (_line(text="Fine.", published="2015-13-45"), '"published" is not an ISO date'),
    ],
)
def test_a_bad_jsonl_line_is_reported_by_number_and_nothing_returned(bad: str, why: str) -> None:
    text = "\n".join([GOOD, "", bad, GOOD.replace("Friday", "Monday")])
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl(text, "batch.jsonl")
    assert len(refused.value.errors) == 1
    line, reason = refused.value.errors[0]
    assert line == 3
    assert why in reason
    message = str(refused.value)
    assert message.startswith("batch.jsonl: 1 bad line(s), so nothing from this file was imported")
    assert f"line 3: {reason}" in message


def test_every_bad_line_is_listed() -> None:
    lines = [GOOD, "not json", GOOD, "", _line(text=""), "[]", GOOD]
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl("\n".join(lines), "batch.jsonl")
    assert [n for n, _ in refused.value.errors] == [2, 5, 6]
    message = str(refused.value)
    assert "3 bad line(s)" in message
    assert "line 2:" in message and "line 5:" in message and "line 6:" in message
    assert "line 1:" not in message and "line 3:" not in message


def test_many_bad_lines_are_counted_but_the_message_stays_short() -> None:
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl("\n".join(["oops"] * 25), "batch.jsonl")
    assert [n for n, _ in refused.value.errors] == list(range(1, 26))
    message = str(refused.value)
    assert "25 bad line(s)" in message and "and 5 more" in message
    assert "line 20:" in message and "line 21:" not in message


@pytest.mark.parametrize("text", ["", "\n", "  \n\n\t\n"])
def test_a_jsonl_file_without_articles_is_refused(text: str) -> None:
    with pytest.raises(IngestError, match="holds no articles") as refused:
        parse_jsonl(text, "empty.jsonl")
    assert not isinstance(refused.value, MalformedJsonLines)


def test_a_far_out_date_is_a_bad_line_not_a_crash() -> None:
    # 0001-01-01 at +05:00 is before the year 1 in UTC.
    text = _line(text="Fine.", published="0001-01-01T00:00:00+05:00")
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl(text, "batch.jsonl")
    assert refused.value.errors[0][0] == 1
