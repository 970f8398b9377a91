"""The model registry in the SQL store: its tables and ``SqlRegistry``, mixed into SqlStore.

Version numbers come from a counter column on ``registered_models``: creating a version
increments it with ``UPDATE ... RETURNING`` inside the write transaction. On PostgreSQL that
UPDATE takes the row lock, so concurrent registrations queue on it; on SQLite every write
transaction already holds the database write lock (``BEGIN IMMEDIATE``). Either way no two
processes get the same number and none is skipped; the primary key (name, version) is the
backstop. Child tables follow a rename or a delete through ON UPDATE/DELETE CASCADE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from autolog.core._clock import now_ms
from autolog.errors import AlreadyExistsError, InvalidInputError
from autolog.core import _messages as msg
from autolog.core._model_entities import EventKind, ModelEvent, ModelVersion, RegisteredModel
from autolog.core._model_store import RegistryStore
from autolog.store.sql._records import upsert
from autolog.store.sql._schema import _BIG_ID, _text, metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row

    from autolog.store.sql._engine import Database


def _name_fk(column: str = "name") -> Column[str]:
    return Column(
        column,
        _text(256),
        ForeignKey("registered_models.name", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
    )


registered_models = Table(
    "registered_models",
    metadata,
    Column("name", _text(256), primary_key=True),
    Column("description", Text, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("next_version", Integer, nullable=False),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    _name_fk(),
    Column("key", _text(250), nullable=False),
    Column("value", _text(), nullable=False),
    PrimaryKeyConstraint("name", "key"),
)

model_versions = Table(
    "model_versions",
    metadata,
    _name_fk(),
    Column("version", Integer, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("user_id", _text(256), nullable=False),
    Column("source", Text, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("status", String(20), nullable=False),
    PrimaryKeyConstraint("name", "version"),
    Index("ix_model_versions_run", "run_id"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("name", _text(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", _text(250), nullable=False),
    Column("value", _text(), nullable=False),
    PrimaryKeyConstraint("name", "version", "key"),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", _text(256), nullable=False),
    Column("alias", _text(255), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("name", "alias"),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
)

model_events = Table(
    "model_events",
    metadata,
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    _name_fk(),
    Column("kind", String(32), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("user_id", _text(256), nullable=False),
    Column("version", Integer, nullable=True),
    Column("alias", _text(255), nullable=True),
    Column("previous_version", Integer, nullable=True),
    Column("detail", Text, nullable=False),
    Index("ix_model_events_name", "name", "timestamp"),
)

_rm, _mv, _al, _ev = registered_models.c, model_versions.c, model_aliases.c, model_events.c
_rmt, _mvt = registered_model_tags.c, model_version_tags.c




def _event(
    conn: Connection, name: str, kind: EventKind, user_id: str, now: int, **fields: Any
) -> None:
    values = {"version": None, "alias": None, "previous_version": None, "detail": ""}
    values.update(fields)
    conn.execute(
        model_events.insert(),
        {"name": name, "kind": kind, "timestamp": now, "user_id": user_id, **values},
    )


def _model_row(conn: Connection, name: str) -> Row[Any]:
    row = conn.execute(select(registered_models).where(_rm.name == name)).first()
    if row is None:
        names = conn.execute(select(_rm.name)).scalars().all()
        raise msg.no_model(name, names)
    return row


def _require_version(conn: Connection, name: str, version: int) -> None:
    found = conn.execute(
        select(_mv.version).where(_mv.name == name, _mv.version == version)
    ).first()
    if found is None:
        _model_row(conn, name)
        existing = conn.execute(select(_mv.version).where(_mv.name == name)).scalars().all()
        raise msg.no_version(name, version, existing)


def _aliases(conn: Connection, name: str) -> dict[str, int]:
    rows = conn.execute(select(_al.alias, _al.version).where(_al.name == name)).all()
    return {alias: version for alias, version in sorted(rows)}


def _load_models(conn: Connection, rows: list[Row[Any]]) -> list[RegisteredModel]:
    if not rows:
        return []
    names = [r.name for r in rows]
    tags: dict[str, dict[str, str]] = {n: {} for n in names}
    aliases: dict[str, dict[str, int]] = {n: {} for n in names}
    latest: dict[str, int] = {}
    single = len(names) == 1
    where_tags = _rmt.name == names[0] if single else _rmt.name.in_(names)
    for name, key, value in conn.execute(select(_rmt.name, _rmt.key, _rmt.value).where(where_tags)):
        tags[name][key] = value
    where_al = _al.name == names[0] if single else _al.name.in_(names)
    for name, alias, version in conn.execute(
        select(_al.name, _al.alias, _al.version).where(where_al).order_by(_al.alias)
    ):
        aliases[name][alias] = version
    where_mv = _mv.name == names[0] if single else _mv.name.in_(names)
    from sqlalchemy import func

    for name, top in conn.execute(
        select(_mv.name, func.max(_mv.version)).where(where_mv).group_by(_mv.name)
    ):
        latest[name] = top
    return [
        RegisteredModel(
            r.name, r.creation_time, r.last_updated_time, r.description, tags[r.name],
            aliases[r.name], latest.get(r.name),
        )
        for r in rows
    ]


def _load_versions(conn: Connection, rows: list[Row[Any]]) -> list[ModelVersion]:
    if not rows:
        return []
    names = sorted({r.name for r in rows})
    tags: dict[tuple[str, int], dict[str, str]] = {}
    for name, version, key, value in conn.execute(
        select(_mvt.name, _mvt.version, _mvt.key, _mvt.value).where(_mvt.name.in_(names))
    ):
        tags.setdefault((name, version), {})[key] = value
    aliases: dict[tuple[str, int], list[str]] = {}
    for name, alias, version in conn.execute(
        select(_al.name, _al.alias, _al.version).where(_al.name.in_(names)).order_by(_al.alias)
    ):
        aliases.setdefault((name, version), []).append(alias)
    return [
        ModelVersion(
            r.name, r.version, r.creation_time, r.last_updated_time, r.source, r.run_id,
            r.description, r.user_id, r.status, tags.get((r.name, r.version), {}),
            tuple(aliases.get((r.name, r.version), ())),
        )
        for r in rows
    ]


def _one_version(conn: Connection, name: str, version: int) -> ModelVersion:
    _require_version(conn, name, version)
    row = conn.execute(
        select(model_versions).where(_mv.name == name, _mv.version == version)
    ).one()
    return _load_versions(conn, [row])[0]


def _touch(conn: Connection, name: str, now: int) -> None:
    conn.execute(update(registered_models).where(_rm.name == name).values(last_updated_time=now))


def _insert_model(conn: Connection, name: str, description: str, user_id: str, now: int) -> bool:
    """Insert the model row unless it exists; True if this call created it."""
    stmt = upsert(conn, registered_models).values(
        name=name, description=description, creation_time=now, last_updated_time=now, next_version=1
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING
    inserted = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["name"]).returning(_rm.name)
    ).first()
    created = inserted is not None
    if created:
        _event(conn, name, "model_created", user_id, now)
    return created


class SqlRegistry(RegistryStore):
    """The registry methods of ``SqlStore`` (which provides ``self.db``)."""

    db: Database

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, description: str, tags: dict[str, str], user_id: str
    ) -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            now = now_ms()
            if not _insert_model(conn, name, description, user_id, now):
                raise AlreadyExistsError(f"a registered model named {name!r} already exists")
            if tags:
                conn.execute(
                    registered_model_tags.insert(),
                    [{"name": name, "key": k, "value": v} for k, v in tags.items()],
                )
            return _load_models(conn, [_model_row(conn, name)])[0]

        return self.db.write(work)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.db.read(lambda conn: _load_models(conn, [_model_row(conn, name)])[0])

    def list_registered_models(self) -> list[RegisteredModel]:
        return self.db.read(
            lambda conn: _load_models(conn, list(conn.execute(select(registered_models)).all()))
        )

    def rename_registered_model(self, name: str, new_name: str, user_id: str) -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            _model_row(conn, name)
            if new_name != name:
                taken = conn.execute(select(_rm.name).where(_rm.name == new_name)).first()
                if taken is not None:
                    raise AlreadyExistsError(f"a registered model named {new_name!r} already exists")
                now = now_ms()
                try:
                    conn.execute(
                        update(registered_models)
                        .where(_rm.name == name)
                        .values(name=new_name, last_updated_time=now)
                    )
                except IntegrityError:
                    raise AlreadyExistsError(
                        f"a registered model named {new_name!r} already exists"
                    ) from None
                _event(conn, new_name, "model_renamed", user_id, now, detail=name)
            return _load_models(conn, [_model_row(conn, new_name)])[0]

        return self.db.write(work)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        def work(conn: Connection) -> RegisteredModel:
            _model_row(conn, name)
            conn.execute(
                update(registered_models)
                .where(_rm.name == name)
                .values(description=description, last_updated_time=now_ms())
            )
            return _load_models(conn, [_model_row(conn, name)])[0]

        return self.db.write(work)

    def delete_registered_model(self, name: str) -> None:
        def work(conn: Connection) -> None:
            _model_row(conn, name)
            conn.execute(registered_models.delete().where(_rm.name == name))

        self.db.write(work)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        def work(conn: Connection) -> None:
            _model_row(conn, name)
            stmt = upsert(conn, registered_model_tags)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "key"], set_={"value": stmt.excluded.value}
                ),
                {"name": name, "key": key, "value": value},
            )
            _touch(conn, name, now_ms())

        self.db.write(work)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        def work(conn: Connection) -> None:
            _model_row(conn, name)
            gone = conn.execute(
                registered_model_tags.delete().where(_rmt.name == name, _rmt.key == key)
            ).rowcount
            if not gone:
                keys = conn.execute(select(_rmt.key).where(_rmt.name == name)).scalars().all()
                raise msg.no_tag(f"registered model {name!r}", key, keys)
            _touch(conn, name, now_ms())

        self.db.write(work)

    # -- versions -------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: dict[str, str],
        description: str,
        user_id: str,
        create_model: bool,
        version: int | None = None,
    ) -> ModelVersion:
        def bump(conn: Connection, now: int) -> int | None:
            if version is None:
                counter: Any = _rm.next_version + 1
                where = [_rm.name == name]
            else:
                # a given number: only above every number used so far
                counter = version + 1
                where = [_rm.name == name, _rm.next_version <= version]
            after = conn.execute(
                update(registered_models)
                .where(*where)
                .values(next_version=counter, last_updated_time=now)
                .returning(_rm.next_version)
            ).scalar()
            if after is None and version is not None:
                used = conn.execute(select(_rm.next_version).where(_rm.name == name)).scalar()
                if used is not None:
                    raise msg.version_used(name, version, used)
            return after

        def work(conn: Connection) -> ModelVersion:
            now = now_ms()
            after = bump(conn, now)
            if after is None:
                if not create_model:
                    _model_row(conn, name)  # raises, listing the names
                _insert_model(conn, name, "", user_id, now)
                after = bump(conn, now)
                assert after is not None
            number = after - 1
            conn.execute(
                model_versions.insert(),
                {
                    "name": name, "version": number, "creation_time": now,
                    "last_updated_time": now, "description": description, "user_id": user_id,
                    "source": source, "run_id": run_id, "status": "READY",
                },
            )
            if tags:
                conn.execute(
                    model_version_tags.insert(),
                    [{"name": name, "version": number, "key": k, "value": v} for k, v in tags.items()],
                )
            _event(conn, name, "version_created", user_id, now, version=number)
            return _one_version(conn, name, number)

        return self.db.write(work)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self.db.read(lambda conn: _one_version(conn, name, version))

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        def work(conn: Connection) -> list[ModelVersion]:
            stmt = select(model_versions)
            if name is not None:
                _model_row(conn, name)
                stmt = stmt.where(_mv.name == name)
            return _load_versions(conn, list(conn.execute(stmt).all()))

        return self.db.read(work)

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        def work(conn: Connection) -> ModelVersion:
            _require_version(conn, name, version)
            conn.execute(
                update(model_versions)
                .where(_mv.name == name, _mv.version == version)
                .values(description=description, last_updated_time=now_ms())
            )
            return _one_version(conn, name, version)

        return self.db.write(work)

    def delete_model_version(self, name: str, version: int, user_id: str) -> list[str]:
        def work(conn: Connection) -> list[str]:
            _require_version(conn, name, version)
            now = now_ms()
            removed = sorted(a for a, v in _aliases(conn, name).items() if v == version)
            for alias in removed:
                _event(conn, name, "alias_deleted", user_id, now, alias=alias, previous_version=version)
            # aliases and tags of the version go with it (ON DELETE CASCADE)
            conn.execute(
                model_aliases.delete().where(_al.name == name, _al.version == version)
            )
            conn.execute(
                model_versions.delete().where(_mv.name == name, _mv.version == version)
            )
            _event(conn, name, "version_deleted", user_id, now, version=version)
            _touch(conn, name, now)
            return removed

        return self.db.write(work)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        def work(conn: Connection) -> None:
            _require_version(conn, name, version)
            stmt = upsert(conn, model_version_tags)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "version", "key"], set_={"value": stmt.excluded.value}
                ),
                {"name": name, "version": version, "key": key, "value": value},
            )

        self.db.write(work)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        def work(conn: Connection) -> None:
            _require_version(conn, name, version)
            where = (_mvt.name == name, _mvt.version == version)
            gone = conn.execute(model_version_tags.delete().where(*where, _mvt.key == key)).rowcount
            if not gone:
                keys = conn.execute(select(_mvt.key).where(*where)).scalars().all()
                raise msg.no_tag(f"version {version} of {name!r}", key, keys)

        self.db.write(work)

    # -- aliases and history ---------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int, user_id: str) -> None:
        def work(conn: Connection) -> None:
            _require_version(conn, name, version)
            previous = _aliases(conn, name).get(alias)
            stmt = upsert(conn, model_aliases)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "alias"], set_={"version": stmt.excluded.version}
                ),
                {"name": name, "alias": alias, "version": version},
            )
            now = now_ms()
            _event(
                conn, name, "alias_set", user_id, now, alias=alias, version=version,
                previous_version=previous,
            )
            _touch(conn, name, now)

        self.db.write(work)

    def delete_registered_model_alias(self, name: str, alias: str, user_id: str) -> None:
        def work(conn: Connection) -> None:
            _model_row(conn, name)
            existing = _aliases(conn, name)
            if alias not in existing:
                raise msg.no_alias(name, alias, existing)
            conn.execute(model_aliases.delete().where(_al.name == name, _al.alias == alias))
            now = now_ms()
            _event(
                conn, name, "alias_deleted", user_id, now, alias=alias,
                previous_version=existing[alias],
            )
            _touch(conn, name, now)

        self.db.write(work)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        def work(conn: Connection) -> ModelVersion:
            _model_row(conn, name)
            existing = _aliases(conn, name)
            if alias not in existing:
                raise msg.no_alias(name, alias, existing)
            return _one_version(conn, name, existing[alias])

        return self.db.read(work)

    def get_registered_model_events(self, name: str) -> list[ModelEvent]:
        def work(conn: Connection) -> list[ModelEvent]:
            _model_row(conn, name)
            rows = conn.execute(
                select(model_events).where(_ev.name == name).order_by(_ev.timestamp, _ev.id)
            ).all()
            return [
                ModelEvent(
                    r.name, r.kind, r.timestamp, r.user_id, r.version, r.alias,
                    r.previous_version, r.detail,
                )
                for r in rows
            ]

        return self.db.read(work)
