"""Request and response bodies for the notes resource."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from models import TITLE_MAX_LENGTH

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH)
]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    body: str = ""


class NoteUpdate(BaseModel):
    """A partial update: only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title | None = None
    body: str | None = None

    @model_validator(mode="after")
    def _sent_fields_are_not_null(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of: title, body")
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    created_at: datetime
