"""documents.rendering keeps pydyf's page references between reads (PDF/UA
tagging reads them once per tagged box): the structure still points at the
right pages, and a page added later is seen."""

from __future__ import annotations

import io

import pikepdf
import pydyf
from pikepdf import Name

from documents.rendering import render_pdf


def test_page_references_are_kept_until_a_page_is_added():
    pdf = pydyf.PDF()
    for _ in range(2):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert pdf.page_references is first  # not rebuilt on every read
    assert first == tuple(f"{n} 0 R".encode() for n in pdf.pages["Kids"][::3])
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 3
    assert pdf.page_references[2] == f"{pdf.pages['Kids'][6]} 0 R".encode()


def _elements(element):
    yield element
    kids = element.get("/K")
    if isinstance(kids, pikepdf.Array):
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield from _elements(kid)
    elif isinstance(kids, pikepdf.Dictionary) and "/S" in kids:
        yield from _elements(kids)


def test_each_paragraph_of_a_tagged_document_points_at_its_own_page():
    pages = "".join(
        f'<p style="break-before: page">Side {n}</p><h2>Overskrift {n}</h2>' for n in range(1, 6)
    )
    pdf = pikepdf.open(
        io.BytesIO(
            render_pdf(
                f'<html lang="da"><head><title>Sider</title></head><body>{pages}</body></html>'
            )
        )
    )
    page_of = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    headings = [
        e for e in _elements(pdf.Root.StructTreeRoot) if e.get("/S") == Name.H2 and "/Pg" in e
    ]
    assert [page_of[h.Pg.objgen] for h in headings] == [1, 2, 3, 4, 5]
