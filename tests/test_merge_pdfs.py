"""Merging tagged (PDF/UA-1) chunk PDFs into one tagged PDF: documents.merge."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from documents.merge import merge_pdfs
from documents.rendering import render_pdf


def _part(title: str, area: str, stations: list[str], extra: str = "", lang: str = "da") -> bytes:
    """A chunk like the election roster's: an area heading, then one page per
    station with a heading, paragraphs and a link."""
    pages = []
    for station in stations:
        pages.append(
            f'<section style="break-after: page">'
            f'<h2 style="bookmark-level: 2">{station}</h2>'
            f"<p>Tilforordnede på {station}: Søren Ødegård, Åse Æbelø.</p>"
            f"<p>Mødetid 07:30 på {station}.</p>"
            f'<p><a href="https://example.org/{station}">Kort over {station}</a></p>'
            f"</section>"
        )
    return render_pdf(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f'<h1 style="bookmark-level: 1">{area}</h1>{"".join(pages)}{extra}</body></html>'
    )


@pytest.fixture(scope="module")
def parts() -> list[bytes]:
    # Nord spans the first two chunks: it must stay one bookmark.
    return [
        _part("Valgbreve", "Nord", ["Station A", "Station B"]),
        _part("Andet", "Nord", ["Station C"]),
        _part("Tredje", "Syd", ["Station D", "Station E"]),
    ]


@pytest.fixture(scope="module")
def merged(parts: list[bytes]) -> tuple[bytes, int]:
    return merge_pdfs(parts)


@pytest.fixture
def pdf(merged: tuple[bytes, int]) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(io.BytesIO(merged[0])) as document:
        yield document


def _elements(element: Dictionary) -> Iterator[Dictionary]:
    """Every structure element below ``element`` (itself included)."""
    yield element
    kids = element.get("/K")
    for kid in kids if isinstance(kids, Array) else [kids]:
        is_element = isinstance(kid, Dictionary) and "/S" in kid
        if is_element and kid.get("/Type", Name.StructElem) == Name.StructElem:
            yield from _elements(kid)


def _parent_tree(tree: Dictionary) -> dict[int, object]:
    entries: dict[int, object] = {}

    def collect(node: Dictionary) -> None:
        nums = node.get("/Nums", Array())
        for index in range(0, len(nums), 2):
            entries[int(nums[index])] = nums[index + 1]
        for kid in node.get("/Kids", Array()):
            collect(kid)

    collect(tree.ParentTree)
    return entries


def _text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_pages_and_text_of_every_part_in_order(parts, merged):
    content, pages = merged
    assert pages == 5
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == 5
    text = _text(content)
    positions = [text.index(f"Tilforordnede på Station {name}") for name in "ABCDE"]
    assert positions == sorted(positions)
    assert "Søren Ødegård, Åse Æbelø" in text
    # Each station on its own page, as in the parts.
    assert [page.count("Station") > 0 for page in text.split("\f")[:5]] == [True] * 5


def test_one_structure_tree_with_one_document(pdf):
    tree = pdf.Root.StructTreeRoot
    assert tree.Type == Name.StructTreeRoot
    (document,) = tree.K
    assert Name.Document == document.S
    assert document.P.objgen == tree.objgen
    tops = list(document.K)
    # The parts' own Document elements are unwrapped: their headings, sections
    # and paragraphs are the merged Document's children, in order.
    assert all(Name.Document != kid.S and kid.P.objgen == document.objgen for kid in tops)
    headings = [kid for kid in tops if kid.S == Name.H1]
    assert len(headings) == 3
    assert sum(1 for element in _elements(document) if element.S == Name.H2) == 5
    assert sum(1 for element in _elements(document) if Name.Link == element.S) == 5


def test_page_references_point_at_the_merged_pages(pdf):
    pages = {page.objgen for page in pdf.pages}
    with_page = [e for e in _elements(pdf.Root.StructTreeRoot.K[0]) if "/Pg" in e]
    assert len(with_page) > 20
    assert all(element.Pg.objgen in pages for element in with_page)
    # Every page carries some of the structure.
    assert {element.Pg.objgen for element in with_page} == pages


def test_parent_tree_rekeyed_and_struct_parents_shifted(pdf):
    tree = pdf.Root.StructTreeRoot
    entries = _parent_tree(tree)
    keys = [int(page.obj.StructParents) for page in pdf.pages]
    annotation_keys = [
        int(annotation.StructParent)
        for page in pdf.pages
        for annotation in page.obj.get("/Annots", Array())
    ]
    assert len(annotation_keys) == 5  # one link per station
    assert len(set(keys + annotation_keys)) == len(keys) + len(annotation_keys)
    assert all(key in entries for key in keys + annotation_keys)
    assert int(tree.ParentTreeNextKey) > max(entries)

    # A page's entry lists, by MCID, the element that holds that marked content.
    for page in pdf.pages:
        by_mcid = entries[int(page.obj.StructParents)]
        for element in _elements(tree.K[0]):
            kids = element.get("/K")
            for mcid in kids if isinstance(kids, Array) else [kids]:
                if isinstance(mcid, int) and element.Pg.objgen == page.objgen:
                    assert by_mcid[mcid].objgen == element.objgen

    # An annotation's entry is the Link element that owns it (through an OBJR).
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", Array()):
            link = entries[int(annotation.StructParent)]
            assert Name.Link == link.S
            owned = [kid.Obj.objgen for kid in link.K if isinstance(kid, Dictionary)]
            assert annotation.objgen in owned


def test_tagged_document_with_language_and_title_of_the_first_part(pdf):
    root = pdf.Root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "da"
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.docinfo.Title) == "Valgbreve"
    with pdf.open_metadata() as meta:
        assert meta["dc:title"] == "Valgbreve"
        assert meta["pdfuaid:part"] == "1"
    assert pdf.pdf_version >= "1.7"


def test_outline_joins_an_area_that_continues_in_the_next_part(pdf):
    def tree(items: list) -> list:
        return [
            (item.title, pdf.pages.index(pikepdf.Page(item.destination[0])), tree(item.children))
            for item in items
        ]

    with pdf.open_outline() as outline:
        assert tree(outline.root) == [
            ("Nord", 0, [("Station A", 0, []), ("Station B", 1, []), ("Station C", 2, [])]),
            ("Syd", 3, [("Station D", 3, []), ("Station E", 4, [])]),
        ]
    assert pdf.Root.PageMode == Name.UseOutlines


def test_merged_file_passes_qpdf_check(pdf):
    assert pdf.check_pdf_syntax() == []


def test_nothing_to_merge():
    assert merge_pdfs([]) == (b"", 0)
    assert merge_pdfs(iter(())) == (b"", 0)


def test_a_single_part_stays_tagged(parts):
    content, pages = merge_pdfs([parts[0]])
    assert pages == 2
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.check_pdf_syntax() == []
        tree = pdf.Root.StructTreeRoot
        entries = _parent_tree(tree)
        assert all(int(page.obj.StructParents) in entries for page in pdf.pages)
        assert str(pdf.Root.Lang) == "da"
        assert str(pdf.docinfo.Title) == "Valgbreve"
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == ["Nord"]
            assert [item.title for item in outline.root[0].children] == ["Station A", "Station B"]
    assert "Tilforordnede på Station B" in _text(content)


def test_internal_links_lead_to_their_own_part():
    """WeasyPrint names a destination for every element id; the same id in two
    parts must not send the second part's link to the first part's page."""
    extra = (
        '<p><a href="#notes">Se noter</a></p>'
        '<h2 id="notes" style="break-before: page; bookmark-level: none">Noter</h2>'
    )
    first = _part("Et", "Nord", ["Station A"], extra)
    second = _part("To", "Syd", ["Station B"], extra)
    content, pages = merge_pdfs([first, second])
    assert pages == 6  # station, link, notes: three pages a part
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.check_pdf_syntax() == []
        dests = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        targets = []
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", Array()):
                if "/Dest" in annotation:
                    target = dests[str(annotation.Dest)][0]
                    targets.append(pdf.pages.index(pikepdf.Page(target)))
        # Part one's notes are on its last page (index 2), part two's on index 5.
        assert targets == [2, 5]


def test_a_part_in_another_language_keeps_it(parts):
    english = _part("Letters", "North", ["Station F"], lang="en")
    content, _pages = merge_pdfs([parts[0], english])
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert str(pdf.Root.Lang) == "da"
        tops = list(pdf.Root.StructTreeRoot.K[0].K)
        languages = [str(kid.Lang) if "/Lang" in kid else None for kid in tops]
        first = len(tops) - languages.count("en")
        # The Danish part's elements take the document's language; every
        # element of the English part says it is English.
        assert languages == [None] * first + ["en"] * (len(tops) - first)
        assert 0 < first < len(tops)


def test_an_untagged_part_adds_its_pages(parts):
    blank = pikepdf.new()
    blank.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    blank.save(buffer)
    content, pages = merge_pdfs([buffer.getvalue(), parts[1]])
    assert pages == 2
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert "/StructParents" not in pdf.pages[0].obj
        assert int(pdf.pages[1].obj.StructParents) in _parent_tree(pdf.Root.StructTreeRoot)
    assert "Tilforordnede på Station C" in _text(content)
