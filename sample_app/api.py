"""The notes resource: create, list, read, update, delete."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import get_session
from models import Note
from schemas import NoteCreate, NoteOut, NoteUpdate

router = APIRouter(prefix="/notes", tags=["notes"])

SessionDep = Annotated[Session, Depends(get_session)]


def _get_or_404(session: Session, note_id: int) -> Note:
    note = session.get(Note, note_id)
    if note is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found")
    return note


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NoteOut)
def create_note(payload: NoteCreate, session: SessionDep) -> Note:
    note = Note(title=payload.title, body=payload.body)
    session.add(note)
    session.commit()
    session.refresh(note)
    return note


@router.get("", response_model=list[NoteOut])
def list_notes(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Note]:
    query = select(Note).order_by(Note.id).limit(limit).offset(offset)
    return list(session.scalars(query))


@router.get("/{note_id}", response_model=NoteOut)
def read_note(note_id: int, session: SessionDep) -> Note:
    return _get_or_404(session, note_id)


@router.patch("/{note_id}", response_model=NoteOut)
def update_note(note_id: int, payload: NoteUpdate, session: SessionDep) -> Note:
    note = _get_or_404(session, note_id)
    for field, value in payload.model_dump(exclude_unset=True).items():
        setattr(note, field, value)
    session.commit()
    session.refresh(note)
    return note


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: int, session: SessionDep) -> Response:
    session.delete(_get_or_404(session, note_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
