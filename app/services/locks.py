"""Write transactions that check and change under a lock, so concurrent writers take turns.

Every write to an assessment locks it before it reads what it checks: PostgreSQL with
`SELECT … FOR UPDATE OF assessments` on the assessment's row (starting a station's assessment
locks the station's row); SQLite with `BEGIN IMMEDIATE`, which takes the database's one write
lock before the transaction reads anything. Whatever the session had loaded before the lock is
read again after it, so a status checked, a finding looked up or a mutation id found is the state
the commit writes over. The locked row itself is read again by the locking statement, with what
it was loaded with (an assessment's station and team on the score path), so the lock costs one
statement and no lazy reloads. Locks last until the caller commits or rolls back.

The lock is taken before anything in the session changes (rows loaded earlier are expired):
work that needs no database, such as decoding a photo, is done before it.
"""

from sqlalchemy import inspect

from app.extensions import db


def begin_write() -> None:
    """On SQLite, open the transaction with the write lock; where one already writes, keep it."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock(row):
    """Lock `row` (an Assessment or a Station) for this transaction and read it and its kin again."""
    begin_write()
    held = _held()
    key = (type(row).__name__, row.id)
    if key in held:
        return row
    db.session.flush()
    db.session.expire_all()
    _read_locked(row, key[1])
    held.add(key)
    return row


def _read_locked(row, row_id: int) -> None:
    """Lock the row and read it again, with the relationships it was loaded with, in one statement."""
    model = type(row)
    statement = (
        db.select(model)
        .where(model.id == row_id)
        .options(*inspect(row).load_options)
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name != "sqlite":
        statement = statement.with_for_update(of=model)
    db.session.execute(statement).unique().one()


def _held() -> set:
    """The rows locked by the session's current transaction."""
    session = db.session()
    transaction = session.get_transaction()
    info = session.info
    if info.get("locks_transaction") is not transaction:
        info["locks_transaction"] = transaction
        info["locks"] = set()
    return info["locks"]
