"""The pre-scan of a file's text: refuses deep nesting and long dotted keys before parsing."""

from __future__ import annotations

import array
import itertools
import re

from pytest_perfguard.store.checks import Invalid

_NEXT_STRING = re.compile(r"""("[^"\\\n]*"(?!")|'[^'\n]*'(?!'))|#[^\n]*|["']""")
"""The next string or comment; group 1 when it is a string of one line without escapes."""
_BASIC_RUN = re.compile(r'[^"\\\n]*')
# The text without strings and comments, as bytes, boiled down by translate (C speed): to its
# dots and what ends a dotted key (= , brackets, newlines; the dots of `a.b = 1.5` are two
# keys' worth), and to its brackets as steps of +1 and -1.
_KEY_ENDS = bytes.maketrans(b"=[]{}", b",,,,,")
_NOT_KEY_BYTES = bytes(set(range(256)) - set(b".=,[]{}\n"))
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def prescan(text: str, *, nesting: int, key_parts: int) -> None:
    """Refuse (Invalid), before parsing, what would make tomllib recurse or crawl: brackets
    nested over `nesting` deep, keys of over `key_parts` dotted parts. Strings and comments are
    set aside first (a string becomes one placeholder letter, so `"a"."b"` still counts as a
    dotted key), then the rest is checked with counts and translations, not character by
    character. At an unterminated string the scan stops: tomllib then says where it is."""
    parts = []
    pos = 0
    while found := _NEXT_STRING.search(text, pos):
        start = found.start()
        parts.append(text[pos:start])
        if found[1] is not None:  # a one-line string without escapes: most of them
            parts.append("s")
            pos = found.end()
        elif text[start] == "#":  # a comment: dropped, its newline kept (for line numbers)
            pos = found.end()
        else:  # escapes or several lines
            pos = _string_end(text, start)
            if pos < 0:
                return _check_plain("".join(parts), nesting, key_parts)
            parts.append("s" + "\n" * text.count("\n", start, pos))
    parts.append(text[pos:])
    return _check_plain("".join(parts), nesting, key_parts)


def _check_plain(plain: str, nesting: int, key_parts: int) -> None:
    """Dotted keys and nesting of text without strings or comments (lines as in the file)."""
    data = plain.encode("utf-8", "replace")
    keys = data.translate(_KEY_ENDS, _NOT_KEY_BYTES)
    if (deep := keys.find(b"." * key_parts)) >= 0:
        problem = f"a dotted key of over {key_parts} parts"
        raise Invalid("", problem, keys.count(b"\n", 0, deep) + 1)
    steps = data.translate(_STEPS, _NOT_BRACKETS)
    if steps.count(1) <= nesting:
        return
    # A stray closing bracket is an error tomllib stops at, before any later nesting: the
    # plain running sum, never clamped at 0, is enough.
    if max(itertools.accumulate(array.array("b", steps))) > nesting:
        level = 0
        for found in re.finditer(r"[\[\]{}]", plain):
            level += 1 if found[0] in "[{" else -1
            if level > nesting:
                problem = f"brackets nested over {nesting} deep"
                raise Invalid("", problem, _line_at(plain, found.start()))


def _string_end(text: str, start: int) -> int:
    """Where the TOML string starting at `start` ends (just past it), or -1 if it never does."""
    quote = text[start]
    if text.startswith(quote * 3, start):  # multi-line
        pos = start + 3
        while (end := text.find(quote * 3, pos)) >= 0:
            before = text[pos:end]
            if quote == '"' and (len(before) - len(before.rstrip("\\"))) % 2:
                pos = end + 1  # an escaped quote: look further
                continue
            end += 3
            for _ in range(2):  # up to two more quotes belong to the string
                if text.startswith(quote, end):
                    end += 1
            return end
        return -1
    if quote == "'":
        end = text.find("'", start + 1)
        return -1 if end < 0 or text.find("\n", start + 1, end) >= 0 else end + 1
    pos = start + 1
    while True:
        pos = _BASIC_RUN.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] == "\n":
            return -1
        if text[pos] == '"':
            return pos + 1
        pos += 2  # a backslash and the character it escapes


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1
