"""One tagged PDF from several tagged PDFs (the chunks of a print batch).

Each chunk is a PDF/UA-1 file from WeasyPrint: a structure tree, marked
content, a language, a title, bookmarks. Appending pages alone (pypdf's
``append``) keeps the pages and drops the structure tree, so the merged file is
no longer tagged and a screen reader reads it as an untagged scan. This module
joins the structure trees too:

- the pages of every part, in order;
- one ``/StructTreeRoot`` whose ``/K`` is one ``/Document`` element holding each
  part's top-level elements (a part's own ``/Document`` is unwrapped: its
  children join the merged one; a part whose language is not the first
  part's gives its elements its ``/Lang``). Each part's ``/ParentTree`` entries are
  re-keyed by a running offset, and its pages' ``/StructParents`` and its
  annotations' ``/StructParent`` are shifted by the same offset;
  ``/RoleMap`` and ``/ClassMap`` are kept (the first part's entry wins);
- ``/MarkInfo``, ``/Lang``, ``/ViewerPreferences``, the XMP metadata (with
  ``pdfuaid:part``) and the document information (title) of the first part;
- the named destinations of every part (WeasyPrint names one per element
  ``id``; a link to ``#id`` points at it): a name already used by an earlier
  part is renamed, and the part's links and bookmarks follow the new name;
- the bookmarks of every part. A part's first top-level bookmark that has the
  title of the previous part's last top-level bookmark continues it (an area
  whose stations span two chunks stays one bookmark with all its children).

Objects are copied with QPDF's ``copyForeignObject`` (pikepdf ``copy_foreign``),
which keeps one map of copied objects per source file, shared with the page
copy: copying the pages first makes every page reference in the structure tree
(``/Pg``), in the parent tree and in the bookmarks point at the copied page.
Everything a part contributes is copied in one call, in one bundle.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

_DOCUMENT = Name.Document
# Outline item entries other than the tree links, kept as they are.
_OUTLINE_KEYS = ("/Dest", "/A", "/C", "/F", "/SE")


@dataclass
class _Bookmark:
    """An outline item on its way from a part to the merged file."""

    title: object  # a pikepdf String (kept as is: PDFDocEncoding or UTF-16)
    entries: dict[str, object]  # /Dest, /A, /C, /F: source objects, later copies
    is_open: bool
    children: list[_Bookmark] = field(default_factory=list)


def merge_pdfs(pdfs: Iterable[bytes]) -> tuple[bytes, int]:
    """One tagged PDF from ``pdfs`` in order: (its content, its page count).
    ``(b"", 0)`` when there is nothing to merge."""
    merger = _Merger()
    for content in pdfs:
        merger.add(content)
    return merger.finish()


class _Merger:
    def __init__(self) -> None:
        self.pdf = Pdf.new()
        self.parts = 0
        self.document = self.pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=_DOCUMENT, K=Array())
        )
        self.kids: list[object] = []
        self.parent_tree: list[object] = []  # [key, value, key, value, …] in key order
        self.next_key = 0
        self.role_map = Dictionary()
        self.class_map = Dictionary()
        self.outline: list[_Bookmark] = []
        self.dests: dict[str, object] = {}
        self.version = "1.7"
        self.lang: str | None = None

    def add(self, content: bytes) -> None:
        # The source is not kept: QPDF's copied streams keep their own reference
        # to the source's input (the BytesIO), and read from it when saving;
        # the source's parsed objects are freed after the copy (half the memory
        # for a 3,000-page batch). It must not be closed, which closes the input.
        source = Pdf.open(io.BytesIO(content))
        self.parts += 1
        if source.pdf_version > self.version:
            self.version = source.pdf_version
        start = len(self.pdf.pages)
        # Pages first: the structure tree and the bookmarks refer to them, and
        # QPDF maps those references to the pages it has already copied. (One
        # by one: pages.extend warns that named destinations are left behind;
        # they are carried below, renamed where they collide.)
        for page in source.pages:
            self.pdf.pages.append(page)

        root = source.Root
        tree = root.get("/StructTreeRoot", Dictionary())
        kids = _top_elements(tree)
        for kid in kids:
            if "/P" in kid:
                del kid["/P"]  # else the copy drags the old tree root along
        entries = _parent_tree_entries(tree)
        dests = _named_destinations(root)
        bookmarks = _read_outline(root)
        bundle = Array(
            [
                Array(kids),
                Array(value for _key, value in entries),
                tree.get("/RoleMap", Dictionary()),
                tree.get("/ClassMap", Dictionary()),
                Array(value for _name, value in dests),
                Array(_outline_entries(bookmarks)),
            ]
        )
        copied = self.pdf.copy_foreign(source.make_indirect(bundle))

        if self.parts == 1:
            self._take_document_level(source)
        lang = root.get("/Lang")
        keys = [key for key, _value in entries]
        self._add_structure(start, copied[0], lang, keys, copied[1], _next_key(tree, entries))
        _merge_missing(self.role_map, copied[2])
        _merge_missing(self.class_map, copied[3])
        _set_outline_entries(bookmarks, iter(copied[5]))
        renamed = self._add_dests([name for name, _value in dests], copied[4])
        if renamed:
            for page in self.pdf.pages[start:]:
                for annotation in page.obj.get("/Annots", Array()):
                    _rename_target(annotation, renamed)
            _rename_outline(bookmarks, renamed)
        self._join_outline(bookmarks)

    def _add_structure(
        self, start: int, kids: Array, lang: object, keys: list[int], values: Array, next_key: int
    ) -> None:
        """A copied part's top-level elements and parent tree entries (``keys``
        as in the part: shifted here, with the ``/StructParents`` of its pages,
        the merged file's pages from ``start`` on)."""
        for kid in kids:
            kid.P = self.document
            if lang is not None and str(lang) != self.lang and "/Lang" not in kid:
                kid.Lang = pikepdf.String(str(lang))  # an English part in a Danish batch
            self.kids.append(kid)
        offset = self.next_key
        for key, value in zip(keys, values, strict=True):
            self.parent_tree.extend([key + offset, value])
        if offset:
            for page in self.pdf.pages[start:]:
                _shift_struct_parents(page.obj, offset)
        self.next_key = offset + next_key

    def _take_document_level(self, source: Pdf) -> None:
        """Language, title, metadata and viewer settings of the first part."""
        root = source.Root
        self.lang = str(root.Lang) if "/Lang" in root else None
        catalog = self.pdf.Root
        catalog.MarkInfo = Dictionary(Marked=True)
        for key in ("/Lang", "/ViewerPreferences", "/Metadata"):
            if key in root:
                value = root[key]
                catalog[key] = (
                    self.pdf.copy_foreign(value)
                    if value.is_indirect
                    else self.pdf.copy_foreign(source.make_indirect(value))
                )
        if "/ViewerPreferences" not in catalog:
            catalog.ViewerPreferences = Dictionary()
        catalog.ViewerPreferences.DisplayDocTitle = True
        info = source.trailer.get("/Info")
        if info is not None:
            self.pdf.trailer.Info = self.pdf.copy_foreign(
                info if info.is_indirect else source.make_indirect(info)
            )

    def _add_dests(self, names: list[str], values: Array) -> dict[str, str]:
        """Adds a part's named destinations; returns the names it had to change."""
        renamed: dict[str, str] = {}
        suffix = self.parts
        for name, value in zip(names, values, strict=True):
            new = name
            count = 0
            while new in self.dests:
                count += 1
                new = f"{name}-{suffix}" if count == 1 else f"{name}-{suffix}-{count}"
            if new != name:
                renamed[name] = new
            self.dests[new] = value
        return renamed

    def _join_outline(self, bookmarks: list[_Bookmark]) -> None:
        if bookmarks and self.outline and _same_title(bookmarks[0].title, self.outline[-1].title):
            self.outline[-1].children.extend(bookmarks[0].children)
            bookmarks = bookmarks[1:]
        self.outline.extend(bookmarks)

    def finish(self) -> tuple[bytes, int]:
        if not self.parts:
            return b"", 0
        pdf = self.pdf
        self.document.K = Array(self.kids)
        tree = Dictionary(
            Type=Name.StructTreeRoot,
            K=Array([self.document]),
            ParentTree=pdf.make_indirect(Dictionary(Nums=Array(self.parent_tree))),
            ParentTreeNextKey=self.next_key,
        )
        if self.role_map:
            tree.RoleMap = self.role_map
        if self.class_map:
            tree.ClassMap = self.class_map
        tree = pdf.make_indirect(tree)
        self.document.P = tree
        pdf.Root.StructTreeRoot = tree
        if self.dests:
            names = Array()
            for name in sorted(self.dests, key=_name_order):
                names.extend([pikepdf.String(name), self.dests[name]])
            pdf.Root.Names = Dictionary(Dests=pdf.make_indirect(Dictionary(Names=names)))
        if self.outline:
            pdf.Root.Outlines = _write_outline(pdf, self.outline)
            pdf.Root.PageMode = Name.UseOutlines
        buffer = io.BytesIO()
        pdf.save(
            buffer,
            min_version=self.version,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            fix_metadata_version=False,
        )
        count = len(pdf.pages)
        pdf.close()
        return buffer.getvalue(), count


def _top_elements(tree: Dictionary) -> list[Dictionary]:
    """The part's top-level structure elements, its ``/Document`` unwrapped."""
    kids = _as_list(tree.get("/K"))
    role_map = tree.get("/RoleMap", Dictionary())
    if len(kids) == 1 and isinstance(kids[0], Dictionary) and _is_document(kids[0], role_map):
        inner = _as_list(kids[0].get("/K"))
        # Unwrap only a Document made of elements (not of marked content).
        if all(isinstance(kid, Dictionary) and "/S" in kid for kid in inner):
            kids = inner
    return [
        kid
        for kid in kids
        if isinstance(kid, Dictionary) and kid.get("/Type", Name.StructElem) == Name.StructElem
    ]


def _is_document(element: Dictionary, role_map: Dictionary) -> bool:
    role = element.get("/S")
    seen = set()
    while role is not None and role != _DOCUMENT and str(role) not in seen:
        seen.add(str(role))
        role = role_map.get(str(role))
    return role == _DOCUMENT


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]


def _parent_tree_entries(tree: Dictionary) -> list[tuple[int, object]]:
    """(key, value) of every entry of the part's parent tree, in key order."""
    parent_tree = tree.get("/ParentTree")
    if parent_tree is None:
        return []
    entries: list[tuple[int, object]] = []
    _collect_numbers(parent_tree, entries, depth=0)
    entries.sort(key=lambda entry: entry[0])
    return entries


def _collect_numbers(node: Dictionary, entries: list, depth: int) -> None:
    if depth > 32:  # a cycle in a broken file
        return
    nums = node.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums) - 1, 2):
            entries.append((int(nums[index]), nums[index + 1]))
    for kid in node.get("/Kids", Array()):
        _collect_numbers(kid, entries, depth + 1)


def _next_key(tree: Dictionary, entries: list[tuple[int, object]]) -> int:
    highest = entries[-1][0] + 1 if entries else 0
    return max(highest, int(tree.get("/ParentTreeNextKey", 0)))


def _shift_struct_parents(page: Dictionary, offset: int) -> None:
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + offset
    for annotation in page.get("/Annots", Array()):
        if isinstance(annotation, Dictionary) and "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset


def _merge_missing(into: Dictionary, new: Dictionary) -> None:
    for key in new:
        if key not in into:
            into[key] = new[key]


def _named_destinations(root: Dictionary) -> list[tuple[str, object]]:
    names = root.get("/Names")
    if not isinstance(names, Dictionary) or "/Dests" not in names:
        return []
    return list(pikepdf.NameTree(names.Dests).items())


def _name_order(name: str) -> bytes:
    """Name tree keys are sorted by their bytes (PDFDocEncoding or UTF-16BE)."""
    return bytes(pikepdf.String(name))


def _rename_target(holder: Dictionary, renamed: dict[str, str]) -> None:
    """Follows renamed destinations in a link annotation or bookmark's entries."""
    dest = holder.get("/Dest")
    if isinstance(dest, pikepdf.String) and str(dest) in renamed:
        holder.Dest = pikepdf.String(renamed[str(dest)])
    action = holder.get("/A")
    if isinstance(action, Dictionary) and action.get("/S") == Name.GoTo:
        target = action.get("/D")
        if isinstance(target, pikepdf.String) and str(target) in renamed:
            action.D = pikepdf.String(renamed[str(target)])


def _rename_outline(bookmarks: list[_Bookmark], renamed: dict[str, str]) -> None:
    for bookmark in bookmarks:
        entries = Dictionary(bookmark.entries)
        _rename_target(entries, renamed)
        bookmark.entries = {key: entries[key] for key in entries}
        _rename_outline(bookmark.children, renamed)


def _read_outline(root: Dictionary) -> list[_Bookmark]:
    outlines = root.get("/Outlines")
    if outlines is None:
        return []
    return _read_items(outlines.get("/First"), depth=0)


def _read_items(item: Dictionary | None, depth: int) -> list[_Bookmark]:
    items: list[_Bookmark] = []
    seen: set[tuple[int, int]] = set()
    while isinstance(item, Dictionary) and depth < 64:
        if item.is_indirect:
            if item.objgen in seen:  # a loop in a broken file
                break
            seen.add(item.objgen)
        entries = {key: item[key] for key in _OUTLINE_KEYS if key in item}
        children = _read_items(item.get("/First"), depth + 1)
        is_open = int(item.get("/Count", 0)) > 0
        items.append(_Bookmark(item.get("/Title", ""), entries, is_open, children))
        item = item.get("/Next")
    return items


def _outline_entries(bookmarks: list[_Bookmark]) -> Iterable[Dictionary]:
    """One dictionary of entries per bookmark, depth first (copied in the bundle)."""
    for bookmark in bookmarks:
        yield Dictionary(bookmark.entries)
        yield from _outline_entries(bookmark.children)


def _set_outline_entries(bookmarks: list[_Bookmark], copied: Iterable[Dictionary]) -> None:
    for bookmark in bookmarks:
        entries = next(copied)
        bookmark.entries = {key: entries[key] for key in entries}
        _set_outline_entries(bookmark.children, copied)


def _same_title(one: object, other: object) -> bool:
    return str(one) == str(other)


def _write_outline(pdf: Pdf, bookmarks: list[_Bookmark]) -> Dictionary:
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines))
    visible = _write_items(pdf, outlines, bookmarks)
    outlines.Count = visible
    return outlines


def _write_items(pdf: Pdf, parent: Dictionary, bookmarks: list[_Bookmark]) -> int:
    """Writes ``bookmarks`` under ``parent``; returns how many items are
    visible below ``parent`` when it is open (the ``/Count`` of an open item)."""
    previous = None
    visible = 0
    for bookmark in bookmarks:
        item = pdf.make_indirect(Dictionary(Title=bookmark.title, Parent=parent))
        for key, value in bookmark.entries.items():
            item[key] = value
        below = _write_items(pdf, item, bookmark.children)
        if bookmark.children:
            item.Count = below if bookmark.is_open else -below
        visible += 1 + (below if bookmark.is_open else 0)
        if previous is None:
            parent.First = item
        else:
            previous.Next = item
            item.Prev = previous
        previous = item
    if previous is not None:
        parent.Last = previous
    return visible
