"""Load and correctness under load: 200 experts autosave while the organiser closes the round; and 200 experts
answering a real-time study while their pages poll the live feedback.

    python bench/load.py                      # 200 experts, 30 s per run, all five load profiles (about 7 min)
    python bench/load.py --duration 10 --profiles saturating
    python bench/load.py --profiles realtime  # the real-time profile alone (about 1.5 min)

Everything runs on loopback and stops by itself: a throwaway PostgreSQL (scripts/pg-throwaway), a redis-server
for the shared rate-limit storage (if installed), and gunicorn with gunicorn.conf.py in production mode. The
study is seeded with bulk inserts (cheap password hashes, for the bench only), then for each load profile:

  1. the baseline: a bare Flask endpoint doing one upsert on the same database (bench/baseline_app.py);
  2. the platform: every expert logs in, opens the rating page and autosaves answers
     (POST /expert/rounds/<id>/autosave with X-CSRFToken); at 70 % of the run the organiser closes the round
     (POST /organiser/rounds/<id>/close) and the experts keep sending.

Profiles: "saturating" (no pause between answers: the most the server can take, so the throughput ratio is
meaningful), "heavy" (0.1–0.3 s between one expert's answers: near capacity without queueing on purpose),
"brisk" (0.5–1.5 s) and "paced" (2–8 s: latency at a human pace).
Each platform run then checks the database: every rating answered with 2xx is stored with its value and
counted in the round's results (sum of n over the items rows = stored ratings), nothing is written after the
results were computed, every answer sent after the close was refused with 409 and "closed", and no password,
CSRF token or session cookie reached the log. CPU time of gunicorn and PostgreSQL during each run is read from
/proc, to tell what limits the throughput. Figures are printed, never asserted. Targets: throughput >= 0.7 x baseline,
p95 < 100 ms, zero lost.

The "realtime" profile (issue 18, in the default set) seeds its study in real-time mode (live feedback from 3
answers, after one's own, refreshed every 3 s) and does not close it. Each expert logs in, opens the rating page
(the first domain's items, read from its data-live-items) and then, at the paced profile's 2-8 s, autosaves an
answer, a quarter of them changing an earlier one (revisions), while the page, on a second connection with the same
cookies, polls GET /expert/rounds/<id>/live?items=... every 3 s with If-None-Match and 0.25 s after each save, as
static/live.js does. Its baseline is the same experts, pace and polling against bench/_baseline_live.py (the bare
upsert plus a bare poll: one state query, 304, else one GROUP BY). Printed: answers/s and autosave p50/p95/p99;
polls/s, the share of 304s and poll p50/p95/p99; the delay until an answer shows in another expert's view (from the
answer's 2xx to the first poll of another expert whose panel counts it, read from the "(n ...)" of the panel HTML;
also for every expert who had answered the item, see live_delays); CPU; ratios to the baseline. Then zero answers
lost: each (expert, item)'s last 2xx answer is its stored rating, rating_events holds exactly one row per 2xx
answer (per pair and in all, the last one the stored value), and five pages read after the load show the stored
counts. Targets: autosave p95 < 100 ms, delay p95 < refresh_seconds + 1 s, zero lost.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Pause between one expert's answers, in seconds: none (the most the server can take), heavy (five answers a
# second per expert, ~4 x what the 2 cores served per expert at saturation before the autosave rewrite), brisk
# (faster than anyone reads an item), paced (an answer every ~5 s: still a quick reader).
CLOSE_AT = 0.7  # the organiser closes the round at this fraction of each platform run
PROFILES = {"saturating": (0.0, 0.0), "heavy": (0.1, 0.3), "brisk": (0.5, 1.5), "paced": (2.0, 8.0),
            "realtime": (2.0, 8.0)}  # realtime: the paced pace, on a real-time study, with live feedback polled


# ---------------------------------------------------------------------------------------------- HTTP client
class HttpError(Exception):
    pass


class Client:
    """One keep-alive HTTP/1.1 connection and a cookie jar: one simulated browser."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.last_used = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                      timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
        # gunicorn drops idle keep-alive connections after 5 s; never reuse one that may be half-closed.
        if self.writer is not None and time.monotonic() - self.last_used > 4.0:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            status, head, data = await asyncio.wait_for(self._response(), timeout)
        except BaseException:
            await self.close()
            raise
        self.last_used = time.monotonic()
        if head.get("connection", "").lower() == "close":
            await self.close()
        return status, head, data

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise HttpError("connection closed before a response")
        status = int(status_line.split()[1])
        head: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            key, _, value = line.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value and "max-age=0" not in value.lower():
                    self.cookies[name] = cookie_value
                else:
                    self.cookies.pop(name, None)
            head[key] = value
        if head.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(int(head.get("content-length", 0)))
        return status, head, data

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return await self.request("GET", path)

    async def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(fields).encode()
        return await self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    async def post_json(self, path: str, payload: dict, headers: dict[str, str] | None = None):
        return await self.request("POST", path, json.dumps(payload).encode(),
                                  {"Content-Type": "application/json", **(headers or {})})

    async def follow(self, status: int, head: dict[str, str], data: bytes, hops: int = 5):
        while status in (301, 302, 303) and hops:
            location = urllib.parse.urlsplit(head["location"])
            status, head, data = await self.get(location.path + (f"?{location.query}" if location.query else ""))
            hops -= 1
        return status, head, data


def csrf_in(html: bytes) -> str:
    match = CSRF_RE.search(html.decode("utf-8", "replace"))
    if not match:
        raise HttpError("no CSRF token on the page")
    return match.group(1)


async def log_in(client: Client, email: str) -> None:
    status, _, page = await client.get("/auth/login")
    if status != 200:
        raise HttpError(f"login page: {status}")
    status, head, _ = await client.post_form("/auth/login", {"email": email, "password": PASSWORD,
                                                             "csrf_token": csrf_in(page)})
    if status != 302:
        raise HttpError(f"login: {status}")


# ---------------------------------------------------------------------------------------------- records
@dataclass
class Sample:
    user: int            # panelist id (platform) or virtual user number (baseline)
    item: int
    value: int
    sent: float          # monotonic seconds
    done: float
    status: int          # 0 = transport error (outcome unknown)
    error: str = ""


@dataclass
class RunResult:
    name: str
    samples: list[Sample] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    logins: int = 0
    login_errors: list[str] = field(default_factory=list)
    login_seconds: float = 0.0
    close_sent: float | None = None
    close_done: float | None = None
    close_status: str = ""
    client_cpu: float = 0.0
    server_cpu: dict[str, object] = field(default_factory=dict)  # CPU seconds used during the measured window
    secrets: set[str] = field(default_factory=set)   # CSRF tokens and cookies handed out: must not be logged


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_line(samples: list[Sample]) -> str:
    ms = [(s.done - s.sent) * 1000 for s in samples]
    return (f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
            f"max {max(ms) if ms else float('nan'):.1f} ms")


# ---------------------------------------------------------------------------------------------- load
async def expert_logs_in(port: int, email: str, round_id: int,
                         result: RunResult) -> tuple[Client, str, bytes] | None:
    """Log in and open the rating page (where the browser gets its CSRF token), as an expert arriving."""
    client = Client(port)
    try:
        await log_in(client, email)
        status, head, data = await client.follow(*await client.get(f"/expert/rounds/{round_id}"))
        if status != 200:
            raise HttpError(f"rating page: {status}")
        token = csrf_in(data)
    except (HttpError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
        result.login_errors.append(f"{email}: {exc!r}")
        await client.close()
        return None
    result.logins += 1
    result.secrets.update([token, *client.cookies.values()])
    return client, token, data


async def expert_autosaves(client: Client, token: str, panelist_id: int, round_id: int, items: list[int],
                           points: int, pause: tuple[float, float], stop_at: float, result: RunResult,
                           rng: random.Random) -> None:
    order = items[:]
    rng.shuffle(order)
    i = 0
    try:
        if pause[1]:  # people do not all click in the same millisecond: spread the first answers over one pause
            await asyncio.sleep(rng.uniform(0, pause[1]))
        while time.monotonic() < stop_at:
            item = order[i % len(order)]
            i += 1
            value = rng.randint(1, points)
            sent = time.monotonic()
            try:
                status, _, data = await client.post_json(
                    f"/expert/rounds/{round_id}/autosave", {"item": item, "question": "agreement", "value": value},
                    {"X-CSRFToken": token, "Accept": "application/json"})
                try:
                    error = json.loads(data).get("error", "") if status != 200 else ""
                except ValueError:
                    error = data[:200].decode("utf-8", "replace")
            except (HttpError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                status, error = 0, repr(exc)
            result.samples.append(Sample(panelist_id, item, value, sent, time.monotonic(), status, error))
            if pause[1]:
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        await client.close()


async def baseline_session(port: int, user: int, round_id: int, items: list[int], points: int,
                           pause: tuple[float, float], start_at: float, stop_at: float, result: RunResult,
                           rng: random.Random) -> None:
    client = Client(port)
    try:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()) + (rng.uniform(0, pause[1]) if pause[1] else 0))
        order = items[:]
        rng.shuffle(order)
        i = 0
        while time.monotonic() < stop_at:
            item = order[i % len(order)]
            i += 1
            value = rng.randint(1, points)
            sent = time.monotonic()
            try:
                status, _, data = await client.post_json("/upsert", {"round": round_id, "panelist": user,
                                                                     "item": item, "question": "agreement",
                                                                     "value": value})
                error = "" if status == 200 else data[:200].decode("utf-8", "replace")
            except (HttpError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                status, error = 0, repr(exc)
            result.samples.append(Sample(user, item, value, sent, time.monotonic(), status, error))
            if pause[1]:
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        await client.close()


async def organiser_closes(port: int, email: str, study_id: int, round_id: int, close_at: float,
                           result: RunResult) -> None:
    client = Client(port)
    try:
        await log_in(client, email)
        status, _, page = await client.get(f"/organiser/studies/{study_id}")
        token = csrf_in(page)
        await asyncio.sleep(max(0.0, close_at - time.monotonic()))
        result.close_sent = time.monotonic()
        status, head, _ = await client.post_form(f"/organiser/rounds/{round_id}/close", {"csrf_token": token})
        result.close_done = time.monotonic()
        ok = status == 302 and f"/organiser/rounds/{round_id}" in head.get("location", "")
        result.close_status = "closed" if ok else f"FAILED ({status} → {head.get('location')})"
    except (HttpError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
        result.close_status = f"FAILED ({exc!r})"
    finally:
        await client.close()


async def run_platform(port: int, study: dict, pause: tuple[float, float], duration: float, name: str,
                       seed: int, master_pid: int) -> RunResult:
    result = RunResult(name)
    rng = random.Random(seed)
    cpu = time.process_time()
    t = time.monotonic()
    sessions = await asyncio.gather(*[expert_logs_in(port, email, study["round_id"], result)
                                      for _, email in study["experts"]])
    result.login_seconds = time.monotonic() - t
    # Everyone who got in starts answering at once; the organiser closes the round at 70 % of the run.
    before, cpu = cpu_snapshot(master_pid), time.process_time()
    result.started = time.monotonic()
    result.ended = result.started + duration
    tasks = [expert_autosaves(client, token, pid, study["round_id"], study["items"], study["points"], pause,
                              result.ended, result, random.Random(rng.random()))
             for (pid, _), session in zip(study["experts"], sessions) if session is not None
             for client, token, _page in [session]]
    tasks.append(organiser_closes(port, study["organiser"], study["study_id"], study["round_id"],
                                  result.started + CLOSE_AT * duration, result))
    await asyncio.gather(*tasks)
    result.client_cpu = time.process_time() - cpu
    result.server_cpu = cpu_used(before, cpu_snapshot(master_pid))
    return result


async def run_baseline(port: int, study: dict, pause: tuple[float, float], duration: float, name: str,
                       seed: int, master_pid: int) -> RunResult:
    result = RunResult(name)
    rng = random.Random(seed)
    start_at = time.monotonic() + 1.0
    stop_at = start_at + duration
    cpu = time.process_time()
    tasks = [baseline_session(port, n, study["round_id"], study["items"], study["points"], pause, start_at,
                              stop_at, result, random.Random(rng.random()))
             for n, _ in enumerate(study["experts"], 1)]
    result.started, result.ended = start_at, stop_at
    before = cpu_snapshot(master_pid)
    await asyncio.gather(*tasks)
    result.client_cpu = time.process_time() - cpu
    result.server_cpu = cpu_used(before, cpu_snapshot(master_pid))
    return result


# ---------------------------------------------------------------------------------------------- real-time load
# Real-time Delphi (issue 18): experts answer at a human pace and their rating page polls the live feedback every
# live.refresh_seconds with If-None-Match, and 0.25 s after each save (delphi/static/live.js does both).
REALTIME_LIVE = {"min_answers": 3, "after_own_answer": True, "refresh_seconds": 3}
REVISE = 0.25  # the share of answers that change one of the expert's earlier answers (a revision)
AFTER_SAVE = 0.25  # live.js: schedule(250) on "delphi:saved"


@dataclass
class Poll:
    user: int
    sent: float
    done: float
    status: int                  # 0 = transport error
    seen: dict[int, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # item: (n, counts), as shown
    inconsistent: int = 0        # items whose counts do not add up to their n
    size: int = 0                # bytes of the body


@dataclass
class RealtimeResult(RunResult):
    polls: list[Poll] = field(default_factory=list)
    page_items: list[int] = field(default_factory=list)
    final_views: list[dict[int, tuple[int, tuple[int, ...]]]] = field(default_factory=list)


def panel_reader(labels: list[str]):
    """Reads an item's live panel (templates/expert/_live.html): "(n 3)" and "Disagree 1, ..., Agree 2"."""
    n_re = re.compile(r"\(n (\d+)\)")
    counts_re = re.compile(", ".join(re.escape(str(label)) + r" (\d+)" for label in labels))

    def read(html: str) -> tuple[int, tuple[int, ...]] | None:
        n, counts = n_re.search(html), counts_re.search(html)
        if not n or not counts:
            return None  # not shown yet: before one's own answer, or fewer than min_answers
        return int(n.group(1)), tuple(int(c) for c in counts.groups())
    return read


async def realtime_expert(answer, poll, user: int, items: list[int], points: int, pause: tuple[float, float],
                          refresh: float, stop_at: float, result: RealtimeResult, rng: random.Random) -> None:
    """One expert on a real-time rating page: answers (new ones, sometimes a revision of an earlier one) while the
    page polls. `answer(item, value)` -> (status, error); `poll(etag, answered)` -> (status, etag, Poll fields)."""
    saved = asyncio.Event()
    answered: dict[int, int] = {}

    async def answering() -> None:
        order = items[:]
        rng.shuffle(order)
        await asyncio.sleep(rng.uniform(0, pause[1]))  # experts open their pages over a few seconds
        while time.monotonic() < stop_at:
            fresh = [i for i in order if i not in answered]
            if answered and (not fresh or rng.random() < REVISE):
                item = rng.choice(sorted(answered))
                value = rng.choice([v for v in range(1, points + 1) if v != answered[item]])
            else:
                item, value = fresh[0], rng.randint(1, points)
            sent = time.monotonic()
            status, error = await answer(item, value)
            result.samples.append(Sample(user, item, value, sent, time.monotonic(), status, error))
            if 200 <= status < 300:
                answered[item] = value
                saved.set()
            await asyncio.sleep(rng.uniform(*pause))

    async def polling() -> None:
        etag = None
        await asyncio.sleep(rng.uniform(0, refresh))
        while time.monotonic() < stop_at:
            sent = time.monotonic()
            status, etag, fields = await poll(etag, set(answered))
            result.polls.append(Poll(user, sent, time.monotonic(), status, **fields))
            saved.clear()  # a save while the poll was in flight is not asked about again (live.js: busy)
            try:
                await asyncio.wait_for(saved.wait(), max(0.0, min(refresh, stop_at - time.monotonic())))
                await asyncio.sleep(AFTER_SAVE)
            except asyncio.TimeoutError:
                pass

    await asyncio.gather(answering(), polling())


TRANSPORT = (HttpError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError)


async def run_platform_realtime(port: int, study: dict, pause: tuple[float, float], duration: float, name: str,
                                seed: int, master_pid: int) -> RealtimeResult:
    result = RealtimeResult(name)
    rng = random.Random(seed)
    read = panel_reader(study["labels"])
    round_id, refresh = study["round_id"], study["refresh"]
    t = time.monotonic()
    sessions = await asyncio.gather(*[expert_logs_in(port, email, round_id, result) for _, email in study["experts"]])
    result.login_seconds = time.monotonic() - t
    live_re = re.compile(r'data-live="([^"]+)" data-live-items="([^"]*)"')
    pages = []
    for (pid, _), session in zip(study["experts"], sessions):
        if session is None:
            continue
        client, token, page = session
        found = live_re.search(page.decode("utf-8", "replace"))
        if not found:
            result.login_errors.append(f"panelist {pid}: no live feedback on the rating page")
            await client.close()
            continue
        items = [int(x) for x in found.group(2).split(",") if x]
        poller = Client(port)
        poller.cookies = client.cookies  # the browser's second connection: the same cookie jar
        pages.append((pid, client, poller, token, found.group(1), items))
    result.page_items = pages[0][5] if pages else []

    def answer_with(client: Client, token: str):
        async def answer(item: int, value: int) -> tuple[int, str]:
            try:
                status, _, data = await client.post_json(
                    f"/expert/rounds/{round_id}/autosave", {"item": item, "question": "agreement", "value": value},
                    {"X-CSRFToken": token, "Accept": "application/json"})
            except TRANSPORT as exc:
                return 0, repr(exc)
            try:
                return status, json.loads(data).get("error", "") if status != 200 else ""
            except ValueError:
                return status, data[:200].decode("utf-8", "replace")
        return answer

    def poll_with(poller: Client, path: str):
        async def poll(etag: str | None, answered: set[int]) -> tuple[int, str | None, dict]:
            headers = {"Accept": "application/json", **({"If-None-Match": etag} if etag else {})}
            try:
                status, head, data = await poller.request("GET", path, headers=headers)
            except TRANSPORT:
                return 0, etag, {}
            if status != 200:
                return status, etag, {"size": len(data)}
            seen, bad = {}, 0
            for item, html in json.loads(data)["items"].items():
                shown = read(html)
                if shown is not None:
                    seen[int(item)] = shown
                    bad += sum(shown[1]) != shown[0]
            return status, head.get("etag", etag), {"seen": seen, "inconsistent": bad, "size": len(data)}
        return poll

    before, cpu = cpu_snapshot(master_pid), time.process_time()
    result.started = time.monotonic()
    result.ended = result.started + duration
    await asyncio.gather(*[
        realtime_expert(answer_with(client, token), poll_with(poller, f"{url}?items={','.join(map(str, items))}"),
                        pid, items, study["points"], pause, refresh, result.ended, result, random.Random(rng.random()))
        for pid, client, poller, token, url, items in pages])
    result.client_cpu = time.process_time() - cpu
    result.server_cpu = cpu_used(before, cpu_snapshot(master_pid))
    # Once everything settled: what a few experts' pages show now, to compare with the stored ratings.
    for pid, client, poller, token, url, items in pages[:5]:
        status, _, fields = await poll_with(poller, f"{url}?items={','.join(map(str, items))}")(None, set())
        if status == 200:
            result.final_views.append(fields["seen"])
    for _pid, client, poller, *_ in pages:
        await client.close()
        await poller.close()
    return result


async def run_baseline_realtime(port: int, study: dict, pause: tuple[float, float], duration: float, name: str,
                                seed: int, master_pid: int) -> RealtimeResult:
    """The same experts, pace and polling against bench/_baseline_live.py: a bare upsert and a bare poll."""
    result = RealtimeResult(name)
    rng = random.Random(seed)
    round_id, refresh, items, least = study["round_id"], study["refresh"], study["page_items"], study["least"]
    path = f"/poll?round={round_id}&items={','.join(map(str, items))}"

    def session(user: int):
        client, poller = Client(port), Client(port)

        async def answer(item: int, value: int) -> tuple[int, str]:
            try:
                status, _, data = await client.post_json("/upsert", {"round": round_id, "panelist": user,
                                                                     "item": item, "question": "agreement",
                                                                     "value": value})
            except TRANSPORT as exc:
                return 0, repr(exc)
            return status, "" if status == 200 else data[:200].decode("utf-8", "replace")

        async def poll(etag: str | None, answered: set[int]) -> tuple[int, str | None, dict]:
            try:
                status, head, data = await poller.request(
                    "GET", path, headers={"Accept": "application/json", **({"If-None-Match": etag} if etag else {})})
            except TRANSPORT:
                return 0, etag, {}
            if status != 200:
                return status, etag, {"size": len(data)}
            seen = {}
            for item, tally in json.loads(data)["items"].items():
                counts = tuple(tally.get(str(v), 0) for v in range(1, study["points"] + 1))
                # The platform's visibility rule, applied here by the client: after one's own answer, from `least`.
                if int(item) in answered and sum(counts) >= least:
                    seen[int(item)] = (sum(counts), counts)
            return status, head.get("etag", etag), {"seen": seen, "size": len(data)}
        return client, poller, answer, poll

    sessions = [session(user) for user, _ in study["experts"]]
    result.page_items = items
    start_at = time.monotonic() + 1.0
    cpu = time.process_time()
    result.started, result.ended = start_at, start_at + duration
    before = cpu_snapshot(master_pid)
    await asyncio.sleep(1.0)
    await asyncio.gather(*[realtime_expert(answer, poll, user, items, study["points"], pause, refresh, result.ended,
                                           result, random.Random(rng.random()))
                           for (user, _), (_c, _p, answer, poll) in zip(study["experts"], sessions)])
    result.client_cpu = time.process_time() - cpu
    result.server_cpu = cpu_used(before, cpu_snapshot(master_pid))
    for client, poller, _a, _p in sessions:
        await client.close()
        await poller.close()
    return result


def live_delays(result: RealtimeResult, least: int, refresh: float) -> dict:
    """How long until an answer shows in other experts' views, from the client's own records.

    The measured answers are first answers (each makes its item's n grow by one; n never falls). Let k be the
    number of first answers to the item sent before this one's 2xx, itself included (and any whose outcome is
    unknown): a view read before this answer was stored counts at most k - 1 of them, so a view showing n >= k
    was read after it and reflects it. When no other first answer to the item was in flight meanwhile, n is
    exactly k just after it and the delay is exact; otherwise it is an upper bound (the view may have waited for
    the others too). Only answers with k >= least (else nobody sees the item) acknowledged at least refresh + 2 s
    before the end (so every view had its chance) are measured. Two figures: the first poll of any other expert
    that reflects it (the brief's definition), and, for every other expert who had answered the item before it
    was sent (so the item was on show on their page), their first poll that reflects it."""
    import bisect

    # Per (expert, item), the answer that added the expert to the item's n: its first 2xx, or, when an answer of
    # unknown outcome (transport error) came before, a span from that one's sending to the 2xx (not measured).
    first: dict[tuple[int, int], tuple[float, float, Sample | None]] = {}  # (sent, done, answer if certain)
    settled: set[tuple[int, int]] = set()
    for s in sorted(result.samples, key=lambda s: s.sent):
        key = (s.user, s.item)
        if key in settled:
            continue
        if s.status == 0:
            first.setdefault(key, (s.sent, float("inf"), None))
        elif 200 <= s.status < 300:
            first[key] = (first[key][0], s.done, None) if key in first else (s.sent, s.done, s)
            settled.add(key)
    firsts_by_item: dict[int, list[tuple[float, float, Sample | None]]] = {}
    for key, entry in first.items():
        firsts_by_item.setdefault(key[1], []).append(entry)
    polls_by_user: dict[int, list[Poll]] = {}
    polls_by_item: dict[int, list[tuple[float, int, int]]] = {}  # (done, user, n), sorted by done
    for p in sorted((p for p in result.polls if p.status == 200), key=lambda p: p.done):
        polls_by_user.setdefault(p.user, []).append(p)
        for item, (n, _counts) in p.seen.items():
            polls_by_item.setdefault(item, []).append((p.done, p.user, n))
    cutoff = result.ended - (refresh + 2)
    first_other, each, missed, measured, exact = [], [], 0, 0, 0
    for item, answers in firsts_by_item.items():
        answers.sort(key=lambda e: e[0])
        views = polls_by_item.get(item, [])
        done_times = [v[0] for v in views]
        for _sent, _done, a in answers:
            if a is None:
                continue
            k = sum(1 for sent, _, _ in answers if sent < a.done)
            if k < least or a.done > cutoff:
                continue
            measured += 1
            exact += k == 1 + sum(1 for _, done, _ in answers if done < a.sent)
            for done, user, n in views[bisect.bisect_left(done_times, a.sent):]:
                if user != a.user and n >= k:
                    first_other.append(max(0.0, done - a.done))
                    break
            for _, done, b in answers:
                if b is None or b.user == a.user or done >= a.sent:
                    continue
                seen_at = next((p.done for p in polls_by_user.get(b.user, []) if p.done > a.sent
                                and p.seen.get(item, (0,))[0] >= k), None)
                if seen_at is None:
                    missed += 1
                else:
                    each.append(max(0.0, seen_at - a.done))
    return {"measured": measured, "exact": exact, "first_other": first_other, "each": each, "missed": missed}


def verify_realtime(database_url: str, study: dict, result: RealtimeResult) -> dict:
    """Zero answers lost in a real-time round: each (expert, item)'s last 2xx answer is its stored rating, every 2xx
    answer has its rating_events row (as many events as 2xx answers, per pair and in all, the last one being the
    stored value), and the experts' pages, read once more after the load, show the stored counts."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM rounds WHERE id = :r"), {"r": study["round_id"]}).scalar()
        stored = {(p, i): v for p, i, v in conn.execute(text(
            "SELECT panelist_id, item_id, value FROM ratings WHERE round_id = :r AND question = 'agreement'"),
            {"r": study["round_id"]})}
        events: dict[tuple[int, int], list[int | None]] = {}
        for p, i, v in conn.execute(text(
                "SELECT panelist_id, item_id, value FROM rating_events WHERE round_id = :r AND question = 'agreement' "
                "ORDER BY id"), {"r": study["round_id"]}):
            events.setdefault((p, i), []).append(v)
        tallies: dict[int, list[int]] = {}
        for i, v, n in conn.execute(text(
                "SELECT item_id, value, count(*) FROM ratings WHERE round_id = :r AND question = 'agreement' "
                "GROUP BY item_id, value"), {"r": study["round_id"]}):
            if v is not None:
                tallies.setdefault(i, [0] * study["points"])[v - 1] = n
    engine.dispose()
    expected: dict[tuple[int, int], int] = {}
    acked: dict[tuple[int, int], int] = {}
    unknown: set[tuple[int, int]] = set()
    for s in sorted(result.samples, key=lambda s: s.sent):
        key = (s.user, s.item)
        if 200 <= s.status < 300:
            expected[key] = s.value
            acked[key] = acked.get(key, 0) + 1
            unknown.discard(key)
        elif s.status == 0:
            unknown.add(key)
    lost = [k for k, v in expected.items() if k not in unknown and stored.get(k) != v]
    phantom = [k for k in stored if k not in expected and k not in unknown]
    decided = [k for k in acked if k not in unknown]
    events_wrong = [k for k in decided if len(events.get(k, [])) != acked[k]]
    last_wrong = [k for k in decided if (events.get(k) or [None])[-1] != stored.get(k)]
    compared = differ = 0
    for view in result.final_views:
        for item, (n, counts) in view.items():
            compared += 1
            differ += list(counts) != tallies.get(item, [0] * study["points"])
    return {"round_status": status, "acknowledged_pairs": len(expected), "stored": len(stored), "lost": len(lost),
            "phantom": len(phantom), "unknown": len(unknown), "answers_2xx": sum(acked.values()),
            "events": sum(len(v) for v in events.values()), "events_wrong_pairs": len(events_wrong),
            "last_event_not_stored": len(last_wrong), "views_compared": compared, "views_differ": differ,
            "revisions_2xx": sum(acked.values()) - len(acked)}


def summarise_polls(result: RealtimeResult) -> dict:
    window = result.ended - result.started
    ms = [(p.done - p.sent) * 1000 for p in result.polls]
    fresh = [p for p in result.polls if p.status == 200]
    errors: dict[str, int] = {}
    for p in result.polls:
        if p.status not in (200, 304):
            errors[str(p.status or "transport")] = errors.get(str(p.status or "transport"), 0) + 1
    return {"requests": len(result.polls), "rate": len(result.polls) / window if window > 0 else 0.0,
            "share_304": sum(p.status == 304 for p in result.polls) / len(result.polls) if result.polls else 0.0,
            "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "max": max(ms) if ms else float("nan"),
            "p95_200": percentile([(p.done - p.sent) * 1000 for p in fresh], 95),
            "p95_304": percentile([(p.done - p.sent) * 1000 for p in result.polls if p.status == 304], 95),
            "bytes_200": sum(p.size for p in fresh) / len(fresh) if fresh else 0.0,
            "inconsistent": sum(p.inconsistent for p in result.polls), "errors": errors}


def delay_line(values: list[float]) -> str:
    if not values:
        return "none measured"
    return (f"p50 {percentile(values, 50):.2f} s, p95 {percentile(values, 95):.2f} s, "
            f"p99 {percentile(values, 99):.2f} s, max {max(values):.2f} s")


def report_realtime(args, base: RealtimeResult, res: RealtimeResult, check: dict, study: dict) -> None:
    pause, refresh, least = PROFILES["realtime"], study["refresh"], study["least"]
    print(f"\n== profile realtime: {args.experts} experts on a real-time study (live feedback from {least} answers, "
          f"after one's own), {pause[0]}-{pause[1]} s between answers, {REVISE:.0%} of them revisions, "
          f"{len(res.page_items)} items on the rating page, polled every {refresh} s with If-None-Match and "
          f"{AFTER_SAVE} s after each save, {args.duration:.0f} s")
    b, p = summarise(base, platform=False), summarise(res, platform=True)
    bp, pp = summarise_polls(base), summarise_polls(res)
    print(f"baseline (bare upsert + bare poll): answers {b['throughput']:.1f}/s, {b['latency']}; polls "
          f"{bp['rate']:.1f}/s, {bp['share_304']:.0%} 304, p50 {bp['p50']:.1f} ms, p95 {bp['p95']:.1f} ms; errors "
          f"{b['errors'] or 0}/{bp['errors'] or 0}")
    print(f"platform autosave:      {p['throughput']:.1f} answers/s; {p['latency']}; {p['requests']} answers "
          f"({check['revisions_2xx']} revisions acknowledged), errors {p['errors'] or 0}")
    print(f"platform live poll:     {pp['rate']:.1f} polls/s, {pp['share_304']:.0%} answered 304; p50 "
          f"{pp['p50']:.1f} ms, p95 {pp['p95']:.1f} ms, p99 {pp['p99']:.1f} ms, max {pp['max']:.1f} ms (p95 of "
          f"the 200s {pp['p95_200']:.1f} ms, of the 304s {pp['p95_304']:.1f} ms); {pp['requests']} polls, "
          f"{pp['bytes_200'] / 1024:.1f} KiB per 200, errors {pp['errors'] or 0}, panels whose counts do not add up "
          f"to n {pp['inconsistent']}")
    print(f"logins: {res.logins} ok, {len(res.login_errors)} failed"
          + (f" (first: {res.login_errors[0]})" if res.login_errors else "")
          + f"; all {args.experts} logins + rating pages in {res.login_seconds:.1f} s")
    delays = {label: live_delays(run, least, refresh) for label, run in (("baseline", base), ("platform", res))}
    for label, d in delays.items():
        print(f"delay until an answer shows in another expert's view, {label}: {d['measured']} first answers "
              f"measured ({d['exact']} exactly, the others as an upper bound: another first answer to the item was "
              f"in flight); first other "
              f"expert {delay_line(d['first_other'])}; each expert who had answered the item "
              f"({len(d['each'])} answer x viewer pairs) {delay_line(d['each'])}; not shown by the end of the run "
              f"{d['missed']} (slow polls, not a lost answer: the store is checked below)")
    for label, run in (("baseline", base), ("platform", res)):
        n_req = len(run.samples) + len(run.polls)
        cpu = run.server_cpu
        workers = "/".join(f"{w:.1f}" for w in cpu.get("workers", []))
        print(f"CPU during the {label} run: gunicorn {cpu.get('gunicorn', 0):.1f} s (workers {workers}), "
              f"PostgreSQL {cpu.get('postgres', 0):.1f} s, load client {run.client_cpu:.1f} s"
              + (f" = {1000 * (cpu.get('gunicorn', 0)) / n_req:.2f} ms gunicorn + "
                 f"{1000 * cpu.get('postgres', 0) / n_req:.2f} ms PostgreSQL per request (answers and polls)"
                 if n_req else ""))

    def ratio(x: float, y: float) -> float:
        return x / y if y else float("nan")

    each_p95 = percentile(delays["platform"]["each"], 95)
    first_p95 = percentile(delays["platform"]["first_other"], 95)
    print(f"ratio platform/baseline: answers/s {ratio(p['throughput'], b['throughput']):.2f}, polls/s "
          f"{ratio(pp['rate'], bp['rate']):.2f}; autosave p95 {ratio(p['p95'], b['p95']):.1f} x, poll p95 "
          f"{ratio(pp['p95'], bp['p95']):.1f} x, delay p95 (each viewer) "
          f"{ratio(each_p95, percentile(delays['baseline']['each'], 95)):.2f} x")
    print(f"targets: autosave p95 {p['p95']:.1f} ms (< 100); delay p95 first other expert {first_p95:.2f} s, each "
          f"viewer {each_p95:.2f} s (< refresh {refresh} s + 1 s = {refresh + 1} s)")
    print(f"database: round {check['round_status']}; {check['acknowledged_pairs']} (panelist, item) pairs "
          f"acknowledged with 2xx, {check['stored']} stored; lost {check['lost']}, stored without a 2xx "
          f"{check['phantom']}, outcome unknown {check['unknown']}; rating_events {check['events']} for "
          f"{check['answers_2xx']} answers acknowledged with 2xx (pairs whose count differs "
          f"{check['events_wrong_pairs']}, whose last event is not the stored value {check['last_event_not_stored']}); "
          f"pages read after the load: {check['views_compared']} panels compared with the stored counts, "
          f"{check['views_differ']} differ")
    good = (check["lost"] == 0 and check["phantom"] == 0 and check["events"] == check["answers_2xx"]
            and check["events_wrong_pairs"] == 0 and check["last_event_not_stored"] == 0
            and check["views_differ"] == 0 and check["views_compared"] > 0 and pp["inconsistent"] == 0)
    print(f"lost: {check['lost']} — consistency {'OK' if good else 'FAILED'}")


# ---------------------------------------------------------------------------------------------- processes
def cpu_snapshot(master_pid: int) -> dict[int, tuple[str, float]]:
    """{pid: (component, CPU seconds so far)} for the gunicorn master, its workers and PostgreSQL processes."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        ppid, used = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == master_pid:
            out[int(entry.name)] = ("master", used)
        elif ppid == master_pid:
            out[int(entry.name)] = ("worker", used)
        elif comm.startswith("postgres"):
            out[int(entry.name)] = ("postgres", used)
    return out


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, object]:
    """CPU seconds between two snapshots: gunicorn (master + workers), each worker, PostgreSQL.

    A process that exited in between is not counted (its time is lost), so the figures are lower bounds."""
    workers = sorted((used - before.get(pid, ("", 0.0))[1] for pid, (kind, used) in after.items()
                      if kind == "worker"), reverse=True)
    gunicorn = sum(workers) + sum(used - before.get(pid, ("", 0.0))[1] for pid, (kind, used) in after.items()
                                  if kind == "master")
    postgres = sum(used - before.get(pid, ("", 0.0))[1] for pid, (kind, used) in after.items()
                   if kind == "postgres")
    return {"gunicorn": gunicorn, "postgres": postgres, "workers": workers}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} not ready in {seconds} s")


def start_gunicorn(app: str, port: int, env: dict[str, str], log_path: Path, workers: int,
                   threads: int) -> subprocess.Popen:
    env = dict(env, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
               GUNICORN_MAX_REQUESTS="0", PYTHONPATH=str(ROOT))
    log = open(log_path, "ab")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                             app], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    wait_http(port, "/healthz", proc)
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_redis(workdir: Path) -> tuple[subprocess.Popen | None, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return None, ""
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    from limits.storage import storage_from_string

    uri = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        try:
            if storage_from_string(uri).check():
                return proc, uri
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    stop(proc)
    return None, ""


# ---------------------------------------------------------------------------------------------- seed / verify
def seed(database_url: str, workdir: Path, experts: int, realtime: list[bool]) -> list[dict]:
    """Bulk-insert experts (cheap hashes: bench only) and open one round per run (on a real-time study where
    realtime[n]); returns what the runs need."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DELPHI_INSTANCE_DIR"] = str(workdir)
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from delphi import create_app
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Panelist, PlatformRole, User
    from delphi.services.accounts import users
    from delphi.services.frameworks import versions
    from delphi.services.studies import design, rounds

    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", REQUEST_LOG=False)
    out = []
    with app.app_context():
        upgrade()
        org = users.create_user("org@bench.example.org", "Organiser", PASSWORD)
        users.grant_role(org, PlatformRole.ORGANISER)
        cheap = users.hash_password(PASSWORD)
        now = utcnow()
        db.session.execute(insert(User), [{"email": f"e{i:04d}@bench.example.org", "name": f"Expert {i}",
                                           "password_hash": cheap, "active": True, "session_version": 1,
                                           "created_at": now} for i in range(1, experts + 1)])
        expert_rows = db.session.execute(select(User.id, User.email).where(User.email.like("e%@bench.example.org"))
                                   .order_by(User.email)).all()
        shipped = versions.ensure_shipped()
        for n, live in enumerate(realtime):
            # The 1+MG design: domains, subdomains, indicators and level sets on a 3-point agreement scale.
            study = design.create(f"Load {n + 1}", shipped, by=org)
            if live:
                design.set_protocol(study, {**study.protocol, "mode": "realtime", "live": REALTIME_LIVE}, by=org)
            db.session.execute(insert(Panelist), [
                {"study_id": study.id, "user_id": uid, "pseudonym": f"E{i + 1:04d}", "added_at": now,
                 "consented_at": now, "stakeholder_group": ["clinician", "policy"][i % 2], "country": "",
                 "expertise": ""} for i, (uid, _) in enumerate(expert_rows)])
            db.session.expire(study)
            rnd = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
            db.session.commit()
            by_user = {p.user_id: p.id for p in study.panelists}
            # The page an expert lands on (expert.round_start): the first domain's items, in round order.
            ordered = sorted(rnd.round_items, key=lambda ri: ri.position)
            question = study.protocol["questions"][0]
            out.append({"study_id": study.id, "round_id": rnd.id, "organiser": org.email,
                        "items": [ri.item_id for ri in rnd.round_items],
                        "page_items": [ri.item_id for ri in ordered
                                       if ri.item.domain_code == ordered[0].item.domain_code],
                        "points": question["points"], "labels": question["labels"],
                        "least": live and study.protocol["live"]["min_answers"],
                        "refresh": live and study.protocol["live"]["refresh_seconds"],
                        "experts": [(by_user[uid], email) for uid, email in expert_rows]})
        db.session.remove()
        db.engine.dispose()
    return out


def verify(database_url: str, study: dict, result: RunResult) -> dict:
    """Check in the database that nothing answered with 2xx was lost and nothing was written after the close."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        status, closed_at, results = conn.execute(text(
            "SELECT status, closed_at, results FROM rounds WHERE id = :r"), {"r": study["round_id"]}).one()
        stored = {(p, i): v for p, i, v in conn.execute(text(
            "SELECT panelist_id, item_id, value FROM ratings WHERE round_id = :r AND question = 'agreement'"),
            {"r": study["round_id"]})}
        if isinstance(results, str):
            results = json.loads(results)
        # A rating in flight when the close began is accepted (the close waits for it), so updated_at may pass
        # closed_at; none may pass the moment the statistics were computed, after every such write committed.
        computed_at = (results or {}).get("computed_at")
        late = conn.execute(text("SELECT count(*) FROM ratings WHERE round_id = :r AND updated_at > :c"),
                            {"r": study["round_id"], "c": computed_at}).scalar() if computed_at else None
    engine.dispose()
    # The expected value of each (panelist, item): its last answer acknowledged with 2xx. An answer whose outcome
    # is unknown (transport error) after that makes the pair undecidable; it is counted apart.
    expected: dict[tuple[int, int], int] = {}
    unknown: set[tuple[int, int]] = set()
    for s in sorted(result.samples, key=lambda s: s.sent):
        key = (s.user, s.item)
        if 200 <= s.status < 300:
            expected[key] = s.value
            unknown.discard(key)
        elif s.status == 0:
            unknown.add(key)
    lost = [k for k, v in expected.items() if k not in unknown and stored.get(k) != v]
    phantom = [k for k in stored if k not in expected and k not in unknown]
    rows = [row for row in (((results or {}).get("questions") or {}).get("agreement") or {}).get("items", [])
            if row.get("round") == 1]
    counted = sum(int(row["n"]) + int(row.get("n_abstain", 0)) for row in rows)
    refused_ok = refused_bad = 0
    if result.close_done is not None:
        for s in result.samples:
            if s.sent > result.close_done:
                if s.status == 409 and "closed" in s.error.lower():
                    refused_ok += 1
                else:
                    refused_bad += 1
    return {"round_status": status, "acknowledged_pairs": len(expected), "stored": len(stored), "lost": len(lost),
            "phantom": len(phantom), "unknown": len(unknown), "counted_in_results": counted,
            "written_after_close": late, "after_close_refused_clearly": refused_ok,
            "after_close_not_refused": refused_bad}


def secrets_in_log(log_path: Path, secret_values: set[str]) -> int:
    """Occurrences in the log of the password, a CSRF token or a cookie value (one pass over its words)."""
    wanted = {v for v in secret_values if len(v) >= 8} | {PASSWORD}
    found = 0
    with log_path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            found += sum(1 for word in re.split(r"[^A-Za-z0-9._~+/=-]+", line) if word in wanted)
            found += line.count(PASSWORD)
    return found


# ---------------------------------------------------------------------------------------------- report
def summarise(result: RunResult, platform: bool) -> dict:
    window = result.ended - result.started
    if platform and result.close_sent is not None:
        before = [s for s in result.samples if s.done <= result.close_sent]
        span = result.close_sent - result.started
    else:
        before, span = result.samples, window
    ok = [s for s in before if 200 <= s.status < 300]
    expected_statuses = {200, 409} if platform else {200}
    errors: dict[str, int] = {}
    for s in result.samples:
        if s.status not in expected_statuses or (s.status == 409 and "closed" not in s.error.lower()):
            key = str(s.status or "transport")
            errors[key] = errors.get(key, 0) + 1
    return {"requests": len(result.samples), "throughput": len(ok) / span if span > 0 else 0.0,
            "latency": latency_line(before), "p95": percentile([(s.done - s.sent) * 1000 for s in before], 95),
            "errors": errors, "window": window}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per run")
    parser.add_argument("--profiles", default="saturating,heavy,brisk,paced,realtime")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1,
                        help="baseline/platform pairs per profile, run alternately (the median ratio is reported)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) afterwards")
    args = parser.parse_args()
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {unknown}; choose from {sorted(PROFILES)}")
    workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    # (profile, repeat) pairs in the order they run; each platform run closes a round of its own.
    plan = [(profile, r) for profile in profiles for r in range(args.repeats)]

    workdir = Path(tempfile.mkdtemp(prefix="delphi-load-"))
    pgdir = Path(tempfile.mkdtemp(prefix="delphi-load-pg-"))  # its own: as root, pg-throwaway hands it to postgres
    pg_url = redis_proc = app_proc = base_proc = None
    try:
        pg_port = free_port()
        started = subprocess.run([str(ROOT / "scripts/pg-throwaway"), "start", str(pgdir), str(pg_port)],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise SystemExit(f"could not start PostgreSQL: {started.stderr.strip()}")
        pg_url = started.stdout.strip()
        redis_proc, redis_uri = start_redis(workdir)
        t = time.perf_counter()
        runs = seed(pg_url, workdir, args.experts, [profile == "realtime" for profile, _ in plan])
        print(f"setup: PostgreSQL on :{pg_port}, {args.experts} experts, {len(runs[0]['items'])} items per round, "
              f"{len(runs)} open round(s), seeded in {time.perf_counter() - t:.1f} s")
        from sqlalchemy import create_engine

        sys.path.insert(0, str(ROOT / "bench"))
        from baseline_app import metadata

        engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        metadata.create_all(engine)
        engine.dispose()

        env = {k: v for k, v in os.environ.items() if not k.startswith(("DELPHI_", "RATELIMIT_"))}
        env.update(DELPHI_ENV="production", DATABASE_URL=pg_url, SECRET_KEY=secrets.token_hex(32),
                   DELPHI_INSTANCE_DIR=str(workdir), LOG_FORMAT="json", MAIL_BACKEND="smtp",  # no mail is sent here
                   LOGIN_RATE_LIMIT="100000 per minute",  # every simulated expert logs in from 127.0.0.1
                   JOBS_MODE="inline")  # no worker runs beside the bench, and it sends no mail
        if redis_uri:
            env["RATELIMIT_STORAGE_URI"] = redis_uri
            limiter_note = f"rate limits in redis ({redis_uri})"
        else:
            env["RATELIMIT_ENABLED"] = "0"
            limiter_note = "redis-server not installed: rate limiting off for the bench"
        print(f"gunicorn: {workers} workers x {args.threads} threads (gthread), DELPHI_ENV=production, "
              f"{limiter_note}; client: one asyncio process, {args.experts} connections")

        # Both servers run side by side and each pair of runs is back to back, so a slow minute of a shared
        # machine hits the baseline and the platform alike (the idle server costs nothing).
        base_port, app_port = free_port(), free_port()
        app_log = workdir / "app.log"
        # The real-time profile's floor also polls: bench/_baseline_live.py is baseline_app plus a bare /poll.
        base_app = "bench._baseline_live" if "realtime" in profiles else "bench.baseline_app"
        base_proc = start_gunicorn(f"{base_app}:create_app()", base_port, env, workdir / "baseline.log",
                                   workers, args.threads)
        app_proc = start_gunicorn("delphi:create_app()", app_port, env, app_log, workers, args.threads)
        baselines, platform = {}, {}
        for n, (profile, r) in enumerate(plan):
            run_base, run_app = ((run_baseline_realtime, run_platform_realtime) if profile == "realtime"
                                 else (run_baseline, run_platform))
            baselines[n] = asyncio.run(run_base(base_port, runs[n], PROFILES[profile], args.duration,
                                                f"baseline/{profile}", seed=n, master_pid=base_proc.pid))
            platform[n] = asyncio.run(run_app(app_port, runs[n], PROFILES[profile], args.duration,
                                              f"platform/{profile}", seed=100 + n, master_pid=app_proc.pid))
        stop(app_proc)
        stop(base_proc)
        app_proc = base_proc = None

        print(f"\nmachine: {os.cpu_count()} cores, {machine()}")
        ratios: dict[str, list[float]] = {}
        for n, (profile, r) in enumerate(plan):
            if profile == "realtime":
                report_realtime(args, baselines[n], platform[n], verify_realtime(pg_url, runs[n], platform[n]),
                                runs[n])
                continue
            base = summarise(baselines[n], platform=False)
            res = platform[n]
            plat = summarise(res, platform=True)
            check = verify(pg_url, runs[n], res)
            pause = PROFILES[profile]
            print(f"\n== profile {profile}" + (f" (pair {r + 1} of {args.repeats})" if args.repeats > 1 else "")
                  + f": {args.experts} experts, "
                  + ("no pause between answers" if not pause[1] else f"{pause[0]}-{pause[1]} s between answers")
                  + f", {args.duration:.0f} s")
            print(f"baseline (bare upsert): {base['throughput']:.0f} req/s; {base['latency']}; "
                  f"{base['requests']} requests, errors {base['errors'] or 0}")
            print(f"platform autosave:      {plat['throughput']:.0f} req/s before the close; {plat['latency']}; "
                  f"{plat['requests']} requests, errors {plat['errors'] or 0}")
            print(f"logins: {res.logins} ok, {len(res.login_errors)} failed"
                  + (f" (first: {res.login_errors[0]})" if res.login_errors else "")
                  + f"; all {args.experts} logins + rating pages in {res.login_seconds:.1f} s")
            close_ms = (res.close_done - res.close_sent) * 1000 if res.close_done and res.close_sent else float("nan")
            after = [s for s in res.samples if res.close_done and s.sent > res.close_done]
            print(f"close at {CLOSE_AT * args.duration:.0f} s: {res.close_status} in {close_ms:.0f} ms under load; "
                  f"{len(after)} answers sent after it ({latency_line(after) if after else 'none'})")
            for label, run in (("baseline", baselines[n]), ("platform", res)):
                n_req = len(run.samples)
                cpu = run.server_cpu
                workers = "/".join(f"{w:.1f}" for w in cpu.get("workers", []))
                print(f"CPU during the {label} run: gunicorn {cpu.get('gunicorn', 0):.1f} s (workers {workers}), "
                      f"PostgreSQL {cpu.get('postgres', 0):.1f} s, load client {run.client_cpu:.1f} s"
                      + (f" = {1000 * (cpu.get('gunicorn', 0)) / n_req:.2f} ms gunicorn + "
                         f"{1000 * cpu.get('postgres', 0) / n_req:.2f} ms PostgreSQL per request" if n_req else ""))
            ratio = plat["throughput"] / base["throughput"] if base["throughput"] else float("nan")
            ratios.setdefault(profile, []).append(ratio)
            print(f"ratio platform/baseline: {ratio:.2f} (target >= 0.70); p95 {plat['p95']:.1f} ms (target < 100)")
            if not pause[1] and plat["throughput"] and base["throughput"]:
                # Closed loop without pauses: every expert always has one request in flight, so the mean latency is
                # (in flight) / (throughput) whatever the server does (Little's law, L = lambda W).
                print(f"queueing: {args.experts} requests always in flight, so mean latency = {args.experts} / "
                      f"throughput = {1000 * args.experts / plat['throughput']:.0f} ms for the platform and "
                      f"{1000 * args.experts / base['throughput']:.0f} ms for the baseline (its p95: "
                      f"{base['p95']:.0f} ms); p95 < 100 ms at this load would need more than "
                      f"{args.experts / 0.1:.0f} req/s of either")
            print(f"database: round {check['round_status']}; {check['acknowledged_pairs']} (panelist, item) pairs "
                  f"acknowledged with 2xx, {check['stored']} stored, {check['counted_in_results']} counted in the "
                  f"results; lost {check['lost']}, stored without a 2xx {check['phantom']}, outcome unknown "
                  f"{check['unknown']}; written after the results were computed {check['written_after_close']}; "
                  "after the close "
                  f"{check['after_close_refused_clearly']} refused with 409 'closed', "
                  f"{check['after_close_not_refused']} not")
            good = (check["lost"] == 0 and check["phantom"] == 0 and check["stored"] == check["counted_in_results"]
                    and not check["written_after_close"] and check["after_close_not_refused"] == 0
                    and res.close_status == "closed")
            print(f"lost: {check['lost']} — consistency {'OK' if good else 'FAILED'}")
        if args.repeats > 1:
            print()
            for profile, values in ratios.items():
                ordered = sorted(values)
                print(f"ratio platform/baseline, {profile}, {len(values)} alternating pairs: "
                      + ", ".join(f"{v:.2f}" for v in values) + f"; median {ordered[len(ordered) // 2]:.2f}, "
                      f"lowest {ordered[0]:.2f} (target >= 0.70)")
        handed_out = set().union(*(r.secrets for r in platform.values()))
        leaked = secrets_in_log(app_log, handed_out)
        with app_log.open(encoding="utf-8", errors="replace") as fh:
            lines = [line for line in fh if line.startswith("{")]
        requests_logged = sum(1 for line in lines if '"event": "request"' in line)
        print(f"\nlog: {requests_logged} JSON request lines; occurrences of the password, of the "
              f"{len(handed_out)} CSRF tokens and cookie values handed out: {leaked}")
    finally:
        stop(app_proc)
        stop(base_proc)
        stop(redis_proc)
        if pg_url:
            subprocess.run([str(ROOT / "scripts/pg-throwaway"), "stop", str(pgdir)], check=False)
        shutil.rmtree(pgdir, ignore_errors=True)
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal")).split()[1])
        return f"{model}, {mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        return model


if __name__ == "__main__":
    main()
