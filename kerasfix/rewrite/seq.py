"""Comma-separated sequences (list elements, call arguments) edited in their own style.

A ``Seq`` takes the items of a list literal or a call apart from the commas and
whitespace around them, so that inserting, removing and moving an item reuses
the separators the author wrote: one item per line stays one per line, ``, ``
stays ``, ``, trailing commas and comments stay where they were.

Comments follow the line they are on: a comment after an item (the first line of
the gap after it) belongs to that item, and comment lines above an item (the
empty lines of the gap before it) belong to the item below them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import libcst as cst

from kerasfix.rewrite.errors import RewriteError

Ws = cst.BaseParenthesizableWhitespace
PW = cst.ParenthesizedWhitespace
T = TypeVar("T")


@dataclass
class Carried(Generic[T]):
    """An item on the move, with the comments that belong to it."""

    item: T
    tag: object | None = None
    leading: Sequence[cst.EmptyLine] = ()
    trailing_line: cst.TrailingWhitespace | None = None


def _has_comment(ws: Ws | cst.TrailingWhitespace | None) -> bool:
    if isinstance(ws, cst.TrailingWhitespace):
        return ws.comment is not None
    if isinstance(ws, PW):
        return ws.first_line.comment is not None or any(line.comment is not None for line in ws.empty_lines)
    return False


def _clean_line() -> cst.TrailingWhitespace:
    return cst.TrailingWhitespace()


@dataclass
class Seq(Generic[T]):
    """Items (without their commas), the commas between them, and the whitespace at both ends."""

    items: list[T]
    commas: list[cst.Comma]
    trailing: cst.Comma | None
    head: Ws
    tail: Ws
    tags: list[object | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tags:
            self.tags = [None] * len(self.items)

    def index_of(self, tag: object) -> int | None:
        """Index of the item tagged ``tag`` (tags are original CST nodes)."""
        for i, t in enumerate(self.tags):
            if t is tag:
                return i
        return None

    def separator(self, near: int) -> cst.Comma:
        """A comma (with the whitespace after it) like the ones the author put between items."""
        if self.commas:
            comma = self.commas[max(0, min(near, len(self.commas) - 1))]
            after = comma.whitespace_after
            if isinstance(after, PW):
                after = after.with_changes(first_line=_clean_line(), empty_lines=[])
            return comma.with_changes(whitespace_after=after)
        if isinstance(self.head, PW):
            return cst.Comma(
                whitespace_after=PW(
                    first_line=_clean_line(), empty_lines=[], indent=self.head.indent, last_line=self.head.last_line
                )
            )
        return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))

    def insert(self, index: int, new: Carried[T]) -> None:
        """Put ``new`` at ``index`` (``len(items)`` appends)."""
        n = len(self.items)
        if n == 0:
            _require_plain(new)
            self.items.append(new.item)
            self.tags.append(new.tag)
            return
        if index >= n:
            self._append(new)
            return
        gap = self.head if index == 0 else self.commas[index - 1].whitespace_after
        if isinstance(gap, PW):
            # The new item goes right after the previous line; comment lines above
            # the next item stay above it.
            above: Ws = gap.with_changes(empty_lines=list(new.leading))
            below = gap.with_changes(first_line=new.trailing_line or _clean_line())
            before_comma = (
                self.separator(0).whitespace_before if index == 0 else self.commas[index - 1].whitespace_before
            )
            new_comma = cst.Comma(whitespace_before=before_comma, whitespace_after=below)
        else:
            _require_plain(new)
            above = gap
            new_comma = self.separator(0) if index == 0 else self.commas[index - 1].deep_clone()
        if index == 0:
            self.head = above
        else:
            self.commas[index - 1] = self.commas[index - 1].with_changes(whitespace_after=above)
        self.items.insert(index, new.item)
        self.tags.insert(index, new.tag)
        self.commas.insert(index, new_comma)

    def _append(self, new: Carried[T]) -> None:
        style = self.separator(len(self.commas) - 1)
        after = style.whitespace_after
        if isinstance(after, PW) and isinstance(self.tail, PW):
            # The last item's trailing comment stays on its line; the new item takes
            # the line before the closing bracket.
            after = after.with_changes(first_line=self.tail.first_line, empty_lines=list(new.leading))
            self.tail = self.tail.with_changes(first_line=new.trailing_line or _clean_line())
        elif isinstance(after, PW):
            if _has_comment(new.trailing_line):
                raise RewriteError("A comment cannot be kept when moving an item to the end of this list.")
            after = after.with_changes(empty_lines=list(new.leading))
        else:
            _require_plain(new)
        self.commas.append(style.with_changes(whitespace_after=after))
        self.items.append(new.item)
        self.tags.append(new.tag)

    def remove(self, index: int) -> Carried[T]:
        """Take out the item at ``index`` with the comments that belong to it, mending the separators."""
        n = len(self.items)
        item, tag = self.items[index], self.tags[index]
        gap_before = self.head if index == 0 else self.commas[index - 1].whitespace_after
        leading: list[cst.EmptyLine] = list(gap_before.empty_lines) if isinstance(gap_before, PW) else []
        trailing_line: cst.TrailingWhitespace | None = None
        if n == 1:
            self.items, self.tags, self.commas, self.trailing = [], [], [], None
            self.head = gap_before if _has_comment(gap_before) else cst.SimpleWhitespace("")
            self.tail = self.tail if _has_comment(self.tail) else cst.SimpleWhitespace("")
            return Carried(item, tag)
        if index < n - 1:
            gap_after = self.commas[index].whitespace_after
            merged, trailing_line, leading = _merge_between(gap_before, gap_after, at_head=index == 0)
            if index == 0:
                self.head = merged
            else:
                self.commas[index - 1] = self.commas[index - 1].with_changes(whitespace_after=merged)
            del self.commas[index]
        else:
            previous = self.commas[-1]
            self.tail, trailing_line, leading = _merge_tail(previous.whitespace_after, self.tail)
            if self.trailing is not None:
                self.trailing = cst.Comma(
                    whitespace_before=previous.whitespace_before, whitespace_after=self.trailing.whitespace_after
                )
            del self.commas[-1]
        del self.items[index]
        del self.tags[index]
        return Carried(item, tag, leading, trailing_line)

    def move(self, tag: object, before: object | None) -> bool:
        """Move the item tagged ``tag`` right before the one tagged ``before`` (None: to the end)."""
        index = self.index_of(tag)
        if index is None:
            raise RewriteError("The layer to move is no longer in its list.")
        if before is None:
            if index == len(self.items) - 1:
                return False
        else:
            target = self.index_of(before)
            if target is None:
                raise RewriteError("The layer to move before is no longer in the list.")
            if target == index + 1:
                return False
        carried = self.remove(index)
        destination = len(self.items) if before is None else self.index_of(before)
        assert destination is not None
        self.insert(destination, carried)
        return True


def _require_plain(new: Carried[T]) -> None:
    if new.leading or _has_comment(new.trailing_line):
        raise RewriteError("Comments around the moved layer cannot be kept on a one-line list.")


def _merge_between(
    before: Ws, after: Ws, *, at_head: bool
) -> tuple[Ws, cst.TrailingWhitespace | None, list[cst.EmptyLine]]:
    """The gap left where an item and its following comma were; also what went with the item."""
    if isinstance(before, PW) and isinstance(after, PW):
        merged = PW(
            first_line=before.first_line,
            empty_lines=after.empty_lines,
            indent=after.indent,
            last_line=after.last_line,
        )
        return merged, after.first_line, list(before.empty_lines)
    if isinstance(before, PW):
        return before.with_changes(empty_lines=[]), None, list(before.empty_lines)
    if at_head and not _has_comment(after):
        return before, None, []
    return after, None, []


def _merge_tail(before: Ws, tail: Ws) -> tuple[Ws, cst.TrailingWhitespace | None, list[cst.EmptyLine]]:
    """The closing whitespace left when the last item goes; also what went with the item."""
    if isinstance(before, PW) and isinstance(tail, PW):
        merged = PW(
            first_line=before.first_line,
            empty_lines=tail.empty_lines,
            indent=tail.indent,
            last_line=tail.last_line,
        )
        return merged, tail.first_line, list(before.empty_lines)
    if isinstance(before, PW):
        leading = list(before.empty_lines)
        if before.first_line.comment is not None:
            # Keep the previous item's comment: the bracket moves to the next line.
            kept = PW(first_line=before.first_line, empty_lines=[], indent=True, last_line=cst.SimpleWhitespace(""))
            return kept, None, leading
        return tail, None, leading
    return tail, None, []


# ---------------------------------------------------------------------------
# Building a Seq from a node and putting it back.

Container = TypeVar("Container", cst.List, cst.Tuple)


def _strip_comma(element: cst.BaseElement) -> cst.BaseElement:
    return element.with_changes(comma=cst.MaybeSentinel.DEFAULT)


def elements_seq(node: Container, tags: Sequence[object | None] | None = None) -> Seq[cst.BaseElement]:
    """A Seq over a list or tuple literal's elements."""
    elements = list(node.elements)
    commas = [_comma(e.comma) for e in elements[:-1]]
    last_comma = elements[-1].comma if elements else cst.MaybeSentinel.DEFAULT
    trailing = last_comma if isinstance(last_comma, cst.Comma) else None
    head, tail = _brackets(node)
    return Seq(
        items=[_strip_comma(e) for e in elements],
        commas=commas,
        trailing=trailing,
        head=head,
        tail=tail,
        tags=list(tags) if tags is not None else [],
    )


def with_elements(node: Container, seq: Seq[cst.BaseElement]) -> Container:
    """``node`` with the elements, commas and bracket whitespace of ``seq``."""
    n = len(seq.items)
    elements = [
        item.with_changes(comma=seq.commas[i] if i < n - 1 else (seq.trailing or cst.MaybeSentinel.DEFAULT))
        for i, item in enumerate(seq.items)
    ]
    if isinstance(node, cst.List):
        return node.with_changes(
            elements=elements,
            lbracket=node.lbracket.with_changes(whitespace_after=seq.head),
            rbracket=node.rbracket.with_changes(whitespace_before=seq.tail),
        )
    if node.lpar:
        lpar = [*node.lpar[:-1], node.lpar[-1].with_changes(whitespace_after=seq.head)]
        rpar = [node.rpar[0].with_changes(whitespace_before=seq.tail), *node.rpar[1:]]
        return node.with_changes(elements=elements, lpar=lpar, rpar=rpar)
    return node.with_changes(elements=elements)


def _brackets(node: Container) -> tuple[Ws, Ws]:
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after, node.rbracket.whitespace_before
    if node.lpar:
        return node.lpar[-1].whitespace_after, node.rpar[0].whitespace_before
    return cst.SimpleWhitespace(""), cst.SimpleWhitespace("")


def _comma(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma:
    # Between two items there always is a comma; DEFAULT only after the last.
    return comma if isinstance(comma, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def args_seq(call: cst.Call) -> Seq[cst.Arg]:
    """A Seq over a call's arguments."""
    args = list(call.args)
    if not args:
        return Seq([], [], None, call.whitespace_before_args, cst.SimpleWhitespace(""))
    commas = [_comma(a.comma) for a in args[:-1]]
    last = args[-1]
    items = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    if isinstance(last.comma, cst.Comma):
        # The whitespace before ``)`` is after the trailing comma: keep it as the tail.
        trailing: cst.Comma | None = last.comma.with_changes(whitespace_after=cst.SimpleWhitespace(""))
        tail = last.comma.whitespace_after
    else:
        trailing = None
        tail = last.whitespace_after_arg
        items[-1] = items[-1].with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    return Seq(items, commas, trailing, call.whitespace_before_args, tail)


def with_args(call: cst.Call, seq: Seq[cst.Arg]) -> cst.Call:
    """``call`` with the arguments of ``seq``."""
    n = len(seq.items)
    args: list[cst.Arg] = []
    for i, item in enumerate(seq.items):
        if i < n - 1:
            args.append(item.with_changes(comma=seq.commas[i]))
        elif seq.trailing is not None:
            args.append(item.with_changes(comma=seq.trailing.with_changes(whitespace_after=seq.tail)))
        else:
            args.append(item.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=seq.tail))
    head = seq.head if args or _has_comment(seq.head) else cst.SimpleWhitespace("")
    return call.with_changes(args=args, whitespace_before_args=head)
