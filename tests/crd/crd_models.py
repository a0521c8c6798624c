"""Models of the CRD suite (imported by ``setpoint crd generate crd_models:Backup``)."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import Field

from setpoint.models import CRDModel, CustomResource, PrinterColumn, Rule, Scale


class Schedule(enum.StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


class Target(CRDModel):
    """Where backups go."""

    bucket: str = Field(description="The bucket name.", pattern=r"^[a-z0-9-]+$", max_length=63)
    prefix: str = Field(default="backups/", description="Key prefix inside the bucket.")


class BackupSpec(CRDModel):
    """The desired backups of a database."""

    database: str = Field(description="The database to back up.", min_length=1, max_length=64)
    schedule: Schedule = Field(default=Schedule.DAILY, description="How often.")
    keep: Annotated[int, Rule("self <= 30", message="keep at most 30 backups")] = Field(
        default=7, ge=1, description="How many backups to keep.")
    replicas: int = Field(default=1, ge=0, le=5)
    target: Target
    compression: Literal["none", "gzip", "zstd"] = "gzip"
    labels: dict[str, str] = Field(default_factory=dict, description="Labels put on every backup.")
    excluded_tables: set[str] = Field(default_factory=set, max_length=20)
    retention: int | str = Field(default="7d", description="Retention, as a count or a duration.")

    __validations__ = (Rule("self.replicas <= self.keep", message="replicas cannot exceed keep"),)


class Condition(CRDModel):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str = ""


class BackupStatus(CRDModel):
    last_backup: str | None = Field(default=None, description="When the last backup finished (RFC 3339).")
    replicas: int = 0
    conditions: list[Condition] = Field(default_factory=list)


class Backup(CustomResource, group="db.example.com", version="v1", short_names=("bk",), categories=("db",),
             printer_columns=(PrinterColumn("Database", ".spec.database"),
                              PrinterColumn("Schedule", ".spec.schedule"),
                              PrinterColumn("Keep", ".spec.keep", type="integer")),
             selectable_fields=(".spec.database",), scale=Scale()):
    """A Backup keeps copies of a database on a schedule."""

    spec: BackupSpec
    status: BackupStatus | None = None
