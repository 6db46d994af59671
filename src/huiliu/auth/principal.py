from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from huiliu.accounts.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an account (agent, supervisor, admin) or a visitor (a contact)."""

    kind: Literal["account", "visitor"]
    tenant_id: int
    id: int  # account id or contact id
    role: Role | None = None

    @property
    def is_account(self) -> bool:
        return self.kind == "account"

    @property
    def is_visitor(self) -> bool:
        return self.kind == "visitor"

    def at_least(self, role: Role) -> bool:
        return self.role is not None and self.role.rank >= role.rank
