"""Read an HTML report back with the standard library's parser, as the tests check it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page:
    """What a test asks of a page: its elements in order, with their text."""

    elements: list[Element] = field(default_factory=list)

    def find(self, tag: str, cls: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and (cls is None or cls in e.attrs.get("class", "").split())
        ]

    def text_of(self, tag: str, cls: str | None = None) -> list[str]:
        return [" ".join(e.text.split()) for e in self.find(tag, cls)]

    def bench_sections(self) -> list[str]:
        """The node id in the title of each benchmark's section, in page order."""
        return [e.attrs["data-nodeid"] for e in self.find("section", "bench")]

    def external_references(self) -> list[str]:
        """Every attribute that would make the browser fetch something, and every script."""
        found = []
        for e in self.elements:
            if e.tag in ("script", "link", "iframe", "object", "embed", "img"):
                found.append(f"<{e.tag}>")
            for name, value in e.attrs.items():
                fetch = name in ("src", "href", "xlink:href", "action", "data", "srcset")
                if fetch and not value.startswith("#"):
                    found.append(f"{e.tag} {name}={value}")
        return found


class _Reader(HTMLParser):
    VOID = frozenset({"br", "wbr", "meta", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.page.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:  # every enclosing element's text includes it
            element.text += data


def read_page(text: str) -> Page:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.page
