"""A request refused by the desk's own checks before anything was sent: every area's services
raise ``Refused`` with the problems, each naming the form field it is about, and the forms show
them with ``desk.forms.ProblemsMixin``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str | None  # the form field it is about; None: the whole request
    message: str


class Refused(Exception):
    """Refused before anything was sent; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def refuse(field: str | None, message: str) -> Refused:
    return Refused([Problem(field, message)])
