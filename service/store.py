"""The durable job store: one SQLite file in WAL mode, shared by the API process (submit, read,
cancel) and the solver worker processes (claim, progress, finish).

Every state change is one short transaction; a job's record is never deleted. Transitions:

    queued --claim--> running --finish--> succeeded | cancelled | failed
    queued --cancel--> cancelled
    running --interrupt--> queued (attempts < max_attempts) | failed (code "interrupted")

A running job belongs to one claim (`claim_token`): a worker writes progress and results only
while its token is the job's, so a stale worker can never overwrite a re-queued job.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    instance_name TEXT NOT NULL,
    instance_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    previous_schedule_json TEXT,
    time_limit_s REAL NOT NULL,
    solver_workers INTEGER NOT NULL,
    request_hash TEXT NOT NULL,
    idempotency_key TEXT,
    api_key_hash TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    interruptions INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    claim_token TEXT,
    progress_json TEXT,
    result_json TEXT,
    result_summary_json TEXT,
    has_schedule INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    notes_json TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (api_key_hash, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (api_key_hash, seq);
"""

STATUS_COLUMNS = (
    "seq, id, status, instance_name, time_limit_s, solver_workers, created_at, started_at, finished_at, "
    "updated_at, attempts, interruptions, cancel_requested, previous_schedule_json IS NOT NULL AS has_previous, "
    "progress_json, result_summary_json, has_schedule, error_code, error_message, notes_json, version"
)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class JobRow:
    """A job's status columns (no instance, no result)."""

    seq: int
    id: str
    status: str
    instance_name: str
    time_limit_s: float
    solver_workers: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    attempts: int
    interruptions: int
    cancel_requested: bool
    has_previous: bool
    progress: dict[str, Any] | None
    result_summary: dict[str, Any] | None
    has_schedule: bool
    error_code: str | None
    error_message: str | None
    notes: list[str]
    version: int

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> JobRow:
        return cls(
            seq=row["seq"], id=row["id"], status=row["status"], instance_name=row["instance_name"],
            time_limit_s=row["time_limit_s"], solver_workers=row["solver_workers"],
            created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"],
            updated_at=row["updated_at"], attempts=row["attempts"], interruptions=row["interruptions"],
            cancel_requested=bool(row["cancel_requested"]), has_previous=bool(row["has_previous"]),
            progress=_loads(row["progress_json"]), result_summary=_loads(row["result_summary_json"]),
            has_schedule=bool(row["has_schedule"]), error_code=row["error_code"],
            error_message=row["error_message"], notes=json.loads(row["notes_json"]), version=row["version"],
        )


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job."""

    id: str
    claim_token: str
    attempts: int
    instance_json: str
    settings_json: str
    previous_schedule_json: str | None


@dataclass(frozen=True)
class NewJob:
    instance_name: str
    instance_json: str
    settings_json: str
    previous_schedule_json: str | None
    time_limit_s: float
    solver_workers: int
    request_hash: str
    idempotency_key: str | None
    api_key_hash: str
    notes: list[str]


@dataclass(frozen=True)
class SubmitOutcome:
    kind: str  # "created", "replayed", "key_reused", "queue_full"
    job: JobRow | None = None


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class JobStore:
    """Thread-safe: one connection per thread. Safe across processes through SQLite's locking."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking SQLite's write lock up front (no upgrade deadlocks). Writers
        of this process queue on a Python lock first: they are woken at once, where SQLite's busy
        handler would make them sleep and retry."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def init(self) -> None:
        """Create the file and the tables; switch the file to WAL mode (persistent)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RuntimeError(f"{self.path}: SQLite refused WAL mode ({mode})")
        conn.executescript(SCHEMA)
        with self._write() as c:
            c.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def journal_mode(self) -> str:
        return str(self._conn().execute("PRAGMA journal_mode").fetchone()[0])

    # -- API side ----------------------------------------------------------------------------

    def submit(self, job: NewJob, max_queued: int) -> SubmitOutcome:
        """Insert a queued job, unless the idempotency key was seen (replay or reuse) or the queue
        is full; the checks and the insert are one transaction."""
        with self._write() as c:
            if job.idempotency_key is not None:
                row = c.execute(
                    f"SELECT {STATUS_COLUMNS}, request_hash FROM jobs WHERE api_key_hash = ? AND idempotency_key = ?",
                    (job.api_key_hash, job.idempotency_key),
                ).fetchone()
                if row is not None:
                    kind = "replayed" if row["request_hash"] == job.request_hash else "key_reused"
                    return SubmitOutcome(kind, JobRow.from_sql(row))
            queued = c.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()[0]
            if queued >= max_queued:
                return SubmitOutcome("queue_full")
            now = now_iso()
            job_id = secrets.token_hex(16)
            c.execute(
                "INSERT INTO jobs (id, status, instance_name, instance_json, settings_json, previous_schedule_json, "
                "time_limit_s, solver_workers, request_hash, idempotency_key, api_key_hash, created_at, updated_at, "
                "notes_json) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, job.instance_name, job.instance_json, job.settings_json, job.previous_schedule_json,
                 job.time_limit_s, job.solver_workers, job.request_hash, job.idempotency_key, job.api_key_hash,
                 now, now, json.dumps(job.notes)),
            )
            row = c.execute(f"SELECT {STATUS_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return SubmitOutcome("created", JobRow.from_sql(row))

    def get(self, job_id: str, owner: str | None = None) -> JobRow | None:
        """The job, or None when unknown or owned by another API key (`owner` None: any owner)."""
        if owner is None:
            row = self._conn().execute(f"SELECT {STATUS_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        else:
            row = self._conn().execute(
                f"SELECT {STATUS_COLUMNS} FROM jobs WHERE id = ? AND api_key_hash = ?", (job_id, owner)
            ).fetchone()
        return None if row is None else JobRow.from_sql(row)

    def list(self, owner: str | None, limit: int, before_seq: int | None, status: str | None) -> list[JobRow]:
        """Newest first (by submission order, which never changes)."""
        where, args = [], []
        if owner is not None:
            where.append("api_key_hash = ?")
            args.append(owner)
        if before_seq is not None:
            where.append("seq < ?")
            args.append(before_seq)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        sql = f"SELECT {STATUS_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        return [JobRow.from_sql(r) for r in self._conn().execute(sql, args).fetchall()]

    def result_json(self, job_id: str) -> str | None:
        row = self._conn().execute("SELECT result_json FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else row["result_json"]

    def request_cancel(self, job_id: str) -> str:
        """Cancel a queued job at once ("cancelled"), ask a running one to stop ("requested"); a
        finished job is left as it is ("finished")."""
        with self._write() as c:
            now = now_iso()
            if c.execute(
                "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ?, updated_at = ?, "
                "version = version + 1 WHERE id = ? AND status = 'queued'", (now, now, job_id),
            ).rowcount:
                return "cancelled"
            if c.execute(
                "UPDATE jobs SET cancel_requested = 1, updated_at = ?, version = version + 1 "
                "WHERE id = ? AND status = 'running' AND cancel_requested = 0", (now, job_id),
            ).rowcount:
                return "requested"
            row = c.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return "requested" if row is not None and row["status"] == "running" else "finished"

    def counts(self) -> dict[str, int]:
        rows = self._conn().execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}

    def overdue(self, slack_s: float) -> list[str]:
        """Running jobs that started more than their time limit plus `slack_s` ago (a solve that did
        not stop: the worker abandons it after the wall-clock guard and a grace period)."""
        now = dt.datetime.fromisoformat(now_iso())
        rows = self._conn().execute("SELECT id, time_limit_s, started_at FROM jobs WHERE status = 'running' "
                                    "AND started_at IS NOT NULL").fetchall()
        return [r["id"] for r in rows
                if (now - dt.datetime.fromisoformat(r["started_at"])).total_seconds() > r["time_limit_s"] + slack_s]

    # -- worker side -------------------------------------------------------------------------

    def claim_next(self, worker: str) -> ClaimedJob | None:
        """Take the oldest queued job (FIFO) for `worker`; counts an attempt."""
        with self._write() as c:
            row = c.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            token = secrets.token_hex(8)
            now = now_iso()
            c.execute(
                "UPDATE jobs SET status = 'running', worker = ?, claim_token = ?, attempts = attempts + 1, "
                "started_at = ?, updated_at = ?, progress_json = NULL, version = version + 1 WHERE id = ?",
                (worker, token, now, now, row["id"]),
            )
            job = c.execute(
                "SELECT id, attempts, instance_json, settings_json, previous_schedule_json FROM jobs WHERE id = ?",
                (row["id"],),
            ).fetchone()
            return ClaimedJob(job["id"], token, job["attempts"], job["instance_json"], job["settings_json"],
                              job["previous_schedule_json"])

    def cancel_requested(self, job_id: str, token: str) -> bool:
        """True when the job was asked to stop, or no longer belongs to this claim."""
        row = self._conn().execute(
            "SELECT cancel_requested, claim_token FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return row is None or bool(row["cancel_requested"]) or row["claim_token"] != token

    def write_progress(self, job_id: str, token: str, progress: dict[str, Any]) -> bool:
        with self._write() as c:
            return bool(c.execute(
                "UPDATE jobs SET progress_json = ?, updated_at = ?, version = version + 1 "
                "WHERE id = ? AND claim_token = ? AND status = 'running'",
                (json.dumps(progress), now_iso(), job_id, token),
            ).rowcount)

    def finish(
        self,
        job_id: str,
        token: str,
        status: str,
        *,
        progress: dict[str, Any] | None = None,
        result_json: str | None = None,
        result_summary: dict[str, Any] | None = None,
        has_schedule: bool = False,
        error: tuple[str, str] | None = None,
        note: str | None = None,
    ) -> bool:
        """Record the end of a run; False when the claim is stale (the job was re-queued)."""
        with self._write() as c:
            notes = _claimed_notes(c, job_id, token)
            if notes is None:
                return False
            notes += [note] if note else []
            now = now_iso()
            c.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, updated_at = ?, progress_json = COALESCE(?, progress_json), "
                "result_json = ?, result_summary_json = ?, has_schedule = ?, error_code = ?, error_message = ?, "
                "notes_json = ?, claim_token = NULL, version = version + 1 WHERE id = ?",
                (status, now, now, None if progress is None else json.dumps(progress), result_json,
                 None if result_summary is None else json.dumps(result_summary), int(has_schedule),
                 None if error is None else error[0], None if error is None else error[1],
                 json.dumps(notes), job_id),
            )
            return True

    def release(self, job_id: str, token: str, note: str) -> bool:
        """Put a running job back in the queue without counting the run (a graceful shutdown)."""
        with self._write() as c:
            notes = _claimed_notes(c, job_id, token)
            if notes is None:
                return False
            c.execute(
                "UPDATE jobs SET status = 'queued', attempts = MAX(0, attempts - 1), claim_token = NULL, worker = NULL, "
                "progress_json = NULL, started_at = NULL, updated_at = ?, notes_json = ?, version = version + 1 "
                "WHERE id = ?",
                (now_iso(), json.dumps([*notes, note]), job_id),
            )
            return True

    def interrupt_running(self, reason: str, max_attempts: int, worker: str | None = None) -> list[tuple[str, str]]:
        """Jobs found running (all of them at start-up, or those of a dead `worker`) lost their run:
        re-queue each while it has attempts left, otherwise fail it; a job whose cancel was requested
        is cancelled. Returns (job id, new status)."""
        out = []
        with self._write() as c:
            sql = "SELECT id, attempts, cancel_requested, notes_json FROM jobs WHERE status = 'running'"
            rows = c.execute(sql + (" AND worker = ?" if worker else ""), (worker,) if worker else ()).fetchall()
            now = now_iso()
            for row in rows:
                notes = json.loads(row["notes_json"])
                notes.append(f"run {row['attempts']} interrupted at {now} ({reason})")
                error: tuple[str | None, str | None] = (None, None)
                if row["cancel_requested"]:
                    status = "cancelled"
                elif row["attempts"] >= max_attempts:
                    status = "failed"
                    error = ("interrupted", f"the job was interrupted {row['attempts']} time(s) ({reason}) and "
                             f"is not retried again (at most {max_attempts} runs)")
                else:
                    status = "queued"
                    notes.append("re-queued")
                finished = None if status == "queued" else now
                c.execute(
                    "UPDATE jobs SET status = ?, interruptions = interruptions + 1, claim_token = NULL, worker = NULL, "
                    "finished_at = ?, updated_at = ?, error_code = ?, error_message = ?, notes_json = ?, "
                    "version = version + 1 WHERE id = ?",
                    (status, finished, now, error[0], error[1], json.dumps(notes), row["id"]),
                )
                out.append((row["id"], status))
        return out


def _claimed_notes(c: sqlite3.Connection, job_id: str, token: str) -> list[str] | None:
    """The notes of a job still running under this claim; None when the claim is stale."""
    row = c.execute("SELECT notes_json FROM jobs WHERE id = ? AND claim_token = ? AND status = 'running'",
                    (job_id, token)).fetchone()
    return None if row is None else json.loads(row["notes_json"])
