"""Review in the web app: the JSON routes the reader's review keys call, and the queue page.

`POST /api/v1/corrections` accepts, rejects, relabels (label, span, a quote's speaker, an
entity mention's entity) or adds a label; `DELETE
/api/v1/corrections/{id}` undoes one; `GET /api/v1/documents/{id}/labels` lists a document's
labels with their row ids and who corrected them; `GET /api/v1/review/queue` (and the page
`/review`) the labels most worth reviewing. Writing needs a reviewer (`web/users.py`); every
correction carries the signed-in user's name. The work is `narrascope.review.Review`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from narrascope.export import annotation_row
from narrascope.model import (
    Annotation,
    Correction,
    CorrectionRefused,
    LabelKey,
    Layer,
    subject_of,
)
from narrascope.review import NAME_LENGTH, Review
from narrascope.review.queue import ReviewQueue
from narrascope.web.queries import BadRequest, NotFound
from narrascope.web.users import Role, current_user, require

T = TypeVar("T")

router = APIRouter(tags=["review"])


class CorrectionRequest(BaseModel):
    """A verdict on one label, as the reader's review keys send it."""

    action: str = Field(description="accept, reject, relabel or add")
    annotation_id: int | None = Field(None, description="the label's id (not for add)")
    doc_id: str | None = None
    layer: str | None = Field(None, description="for add: technique, narrative, genre, …")
    label: str | None = Field(None, description="the new label (relabel, add)")
    start: int | None = Field(None, description="character offset into the text")
    end: int | None = None
    subject: str | None = Field(None, description="for an added role: the entity id")
    speaker: str | None = Field(
        None, max_length=NAME_LENGTH, description="a quote's speaker (name)"
    )
    entity: str | None = Field(
        None, max_length=NAME_LENGTH, description="the entity an entity mention links to (name)"
    )
    note: str = Field("", max_length=2000)


@dataclass(slots=True)
class ReviewLabel:
    """A document's label as the review panel shows it, with who corrected it."""

    id: int
    ann: Annotation
    text: str
    correction: Correction | None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **_ann_json(self.ann),
            "text": self.text,
            "correction": correction_json(self.correction) if self.correction else None,
        }


def _review(request: Request) -> Review:
    holder = request.app.state
    if not hasattr(holder, "review"):
        holder.review = Review(holder.store)  # the vocabulary loads once, on first use
    return holder.review


def _ann_json(ann: Annotation) -> dict[str, Any]:
    """An annotation as the export rows have it, with who it is about (and who speaks, or
    which entity a mention names)."""
    return {
        **annotation_row(ann),
        "subject": subject_of(ann),
        "speaker": ann.attrs.get("speaker"),
        "entity": ann.attrs.get("entity"),
    }


def correction_json(c: Correction) -> dict[str, Any]:
    """A correction as the API returns it."""
    return {
        "id": c.id,
        "action": str(c.action),
        "user": c.user,
        "at": c.created_at.isoformat() if c.created_at else None,
        "note": c.note,
        "model": c.model,
        "old": _ann_json(c.old) if c.old else None,
        "new": _ann_json(c.new) if c.new else None,
        "undone_at": c.undone_at.isoformat() if c.undone_at else None,
        "undone_by": c.undone_by or None,
    }


def review_labels(review: Review, doc_id: str) -> tuple[list[ReviewLabel], list[Correction]]:
    """The document's labels with ids and standing corrections, and its rejected labels."""
    store = review.store
    doc = store.document(doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id!r}")
    standing = store.corrections.of(doc.id)
    by_key = {LabelKey.of(c.new): c for c in standing if c.new is not None}
    labels = [
        ReviewLabel(
            row_id,
            ann,
            doc.text[ann.start : ann.end] if ann.start is not None else "",
            by_key.get(LabelKey.of(ann)),
        )
        for row_id, ann in store.corrections.annotated(doc.id)
    ]
    return labels, [c for c in standing if c.new is None]


@router.get("/api/v1/documents/{doc_id}/labels", summary="A document's labels, for review")
def document_labels(request: Request, doc_id: str) -> dict[str, Any]:
    labels, rejected = review_labels(_review(request), doc_id)
    return {
        "labels": [label.json() for label in labels],
        "rejected": [correction_json(c) for c in rejected],
        "user": current_user(request).name,
    }


async def as_write(request: Request, work: Callable[[], T]) -> T:
    """`work` in a worker thread of the writes' own (`web.app`'s `writes` limiter): an
    analyst's correction does not queue behind the team's page reads for a thread (#19)."""
    limiter = getattr(request.app.state, "writes", None)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


@router.post("/api/v1/corrections", summary="Accept, reject, relabel or add a label")
async def correct(request: Request, body: CorrectionRequest) -> JSONResponse:
    return await as_write(request, lambda: _correct(request, body))


def _correct(request: Request, body: CorrectionRequest) -> JSONResponse:
    user = require(request, Role.REVIEWER, "correct labels")
    fields = body.model_dump()
    try:
        done = _review(request).correct(fields.pop("action"), user=user.name, **fields)
    except CorrectionRefused as exc:
        raise BadRequest(str(exc)) from exc
    return JSONResponse(correction_json(done), status_code=201)


@router.delete("/api/v1/corrections/{correction_id}", summary="Undo a correction")
async def undo(request: Request, correction_id: int) -> dict[str, Any]:
    return await as_write(request, lambda: _undo(request, correction_id))


def _undo(request: Request, correction_id: int) -> dict[str, Any]:
    user = require(request, Role.REVIEWER, "undo corrections")
    review = _review(request)
    found = review.store.corrections.get(correction_id)
    if found is None:
        raise NotFound(f"no correction {correction_id}")
    if found.user != user.name:
        require(request, Role.ADMIN, f"undo {found.user}'s correction")
    try:
        return correction_json(review.undo(correction_id, user=user.name))
    except CorrectionRefused as exc:
        raise BadRequest(str(exc)) from exc


def queue_of(
    request: Request, outlet: str | None, layer: str | None, label: str | None, limit: int
) -> ReviewQueue:
    try:
        return _review(request).queue(
            outlet=outlet or None, layer=layer or None, label=label or None, limit=min(limit, 200)
        )
    except ValueError as exc:
        raise BadRequest(f"unknown layer {layer!r}") from exc


@router.get("/api/v1/review/labels", summary="The labels a correction may use on a layer")
def vocabulary(request: Request, layer: str) -> dict[str, Any]:
    try:
        known = _review(request).vocabulary.labels(Layer(layer))
    except ValueError as exc:
        raise BadRequest(f"unknown layer {layer!r}") from exc
    return {"layer": layer, "labels": sorted(known or ())}


@router.get("/api/v1/review/queue", summary="The labels most worth reviewing, with progress")
def queue(
    request: Request,
    outlet: str | None = None,
    layer: str | None = None,
    label: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    return queue_json(queue_of(request, outlet, layer, label, limit))


def queue_json(q: Any) -> dict[str, Any]:
    """A review queue as the API (and `narrascope review queue --json`) returns it."""
    return {
        "reviewed": q.reviewed,
        "remaining": q.remaining,
        "progress": round(q.progress, 4),
        "items": [
            {"id": i.annotation_id, **_ann_json(i.ann), "priority": i.priority, "why": i.reasons}
            for i in q.items
        ],
    }


@router.get("/review", response_class=HTMLResponse)
def queue_page(
    request: Request,
    outlet: str | None = None,
    layer: str | None = None,
    label: str | None = None,
) -> HTMLResponse:
    q = queue_of(request, outlet, layer, label, 50)
    filters = {"outlet": outlet or "", "layer": layer or "", "label": label or ""}
    return request.app.state.templates.TemplateResponse(
        request, "review.html", {"q": q, "filters": filters, "page": "review"}
    )
