"""What the members' phones show, as the fake provider counts it, and the verdict: once each, in time.

`FakeProvider.shown()` counts, per FCM token, the distinct notification tags it accepted (a resend under
the same tag replaces the notification on the phone: not a second showing), and per phone number the
SMS it accepted. Refused requests (an outage) show nothing.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from fakeprovider import FakeProvider
from notifications.models import ACTIVE_DELIVERY_STATUSES

from .harness import Member, Stack

LIMIT_SECONDS = 60.0  # an accepted alert is shown to every member within a minute of the fault ending
POLL_SECONDS = 0.2
# After everyone was reached: how long to keep watching for a second showing while rows are still active.
SETTLE_SECONDS = 75.0

Address = tuple[str, str]  # ("push", token) or ("sms", phone)


@dataclass
class Verdict:
    members: int
    once: list[int]
    twice: list[int]
    never: list[int]
    last_after: float | None  # seconds from the fault's end to the last member reached
    shown: dict[Address, int]
    last_by_channel: dict[str, float]  # seconds from the fault's end to the last first showing, per channel
    received: dict[str, int]  # requests the provider accepted, per channel: more than shown means resends

    def line(self) -> str:
        last = "nobody reached" if self.last_after is None else f"last reached {self.last_after:.1f} s after the fault ended"
        channels = ", ".join(f"{c} {t:.1f} s" for c, t in sorted(self.last_by_channel.items()))
        accepted = ", ".join(f"{c} {n}" for c, n in sorted(self.received.items()))
        return (f"{self.members} members: shown once {len(self.once)}, twice {len(self.twice)}, never "
                f"{len(self.never)}; {last} ({channels}; limit {LIMIT_SECONDS:.0f} s); "
                f"requests accepted: {accepted}")  # fmt: skip

    def failures(self) -> list[str]:
        problems = []
        if self.never:
            problems.append(f"never shown: users {self.never}")
        if self.twice:
            problems.append(f"shown twice or more: users {self.twice}")
        if self.last_after is not None and self.last_after > LIMIT_SECONDS:
            problems.append(f"the last member was reached {self.last_after:.1f} s after the fault ended")
        return problems


class Observer:
    """Polls the fake every 0.2 s from before the broadcast; counts only what was shown since."""

    def __init__(self, fake: FakeProvider, members: list[Member]) -> None:
        self.fake, self.members = fake, members
        self.baseline, self.baseline_received = self._counts(), self._counts("received")
        self.current: dict[Address, int] = {}
        self.received: dict[Address, int] = {}
        self.first_seen: dict[Address, float] = {}

    def _counts(self, what: str = "shown") -> dict[Address, int]:
        shown = self.fake.shown()
        return {(channel, address): entry[what] for channel in ("push", "sms")
                for address, entry in shown.get(channel, {}).items()}  # fmt: skip

    def poll(self) -> None:
        now = time.monotonic()
        self.current = {a: n - self.baseline.get(a, 0) for a, n in self._counts().items()}
        self.received = {a: n - self.baseline_received.get(a, 0) for a, n in self._counts("received").items()}
        for address, count in self.current.items():
            if count > 0:
                self.first_seen.setdefault(address, now)

    def reached_at(self, member: Member) -> float | None:
        """When the member had been shown the broadcast on every channel they have."""
        times = [self.first_seen.get(a) for a in member.channels()]
        return None if None in times else max(t for t in times if t is not None)

    def everyone_reached(self) -> bool:
        return all(self.reached_at(m) is not None for m in self.members)

    def watch(self, fault_end: float, quiet: Callable[[], bool]) -> None:
        """Until everyone is reached (or the limit passes), then while the fan-out may still show something."""
        self._poll_while(lambda: not self.everyone_reached(), fault_end + LIMIT_SECONDS + 1)
        if self.everyone_reached():
            self._poll_while(lambda: not quiet(), fault_end + SETTLE_SECONDS)
        self._poll_while(lambda: True, time.monotonic() + 1.0)  # a last look for late second showings

    def _poll_while(self, condition: Callable[[], bool], until: float) -> None:
        self.poll()
        while condition() and time.monotonic() < until:
            time.sleep(POLL_SECONDS)
            self.poll()

    def verdict(self, fault_end: float) -> Verdict:
        once, twice, never = [], [], []
        for member in self.members:
            counts = [self.current.get(a, 0) for a in member.channels()]
            if 0 in counts:
                never.append(member.user_id)
            if any(c >= 2 for c in counts):
                twice.append(member.user_id)
            if all(c == 1 for c in counts):
                once.append(member.user_id)
        reached = [t for m in self.members if (t := self.reached_at(m)) is not None]
        last = max(reached) - fault_end if reached else None
        by_channel: dict[str, float] = {}
        for (channel, _), seen in self.first_seen.items():
            by_channel[channel] = max(by_channel.get(channel, seen - fault_end), seen - fault_end)
        received = {channel: sum(n for (c, _), n in self.received.items() if c == channel) for channel in ("push", "sms")}
        return Verdict(len(self.members), once, twice, never, last, dict(self.current), by_channel, received)


def explain(stack: Stack, alert_id: int, verdict: Verdict) -> str:
    """For a failure: who, on which channel, and what their Delivery rows say; which processes are alive."""
    by_user = {m.user_id: m for m in stack.town.members} if stack.town else {}
    try:
        _, rows = stack.deliveries(alert_id)
    except Exception as error:  # noqa: BLE001 - a diagnosis must not hide the failure it explains
        rows, note = [], f"(database unreadable: {type(error).__name__})"
    else:
        note = ""
    lines = [stack.row_summary(alert_id), stack.processes(), note]
    for user_id in sorted(set(verdict.never) | set(verdict.twice))[:20]:
        member = by_user[user_id]
        shown = {c: verdict.shown.get((c, a), 0) for c, a in member.channels()}
        theirs = [f"{r[1]} {r[2]} attempts={r[3]} {r[4]}".strip() for r in rows if r[0] == user_id]
        lines.append(f"  user {user_id}: shown {shown}; rows {theirs or 'none'}")
    return "\n".join(line for line in lines if line)


def judge(stack: Stack, alert_id: int, observer: Observer, fault_end: float, report: Callable[[str], None],
          label: str) -> Verdict:  # fmt: skip
    """Watch the broadcast to its end, print the figures, return the verdict (assert it after)."""
    active = {str(s) for s in ACTIVE_DELIVERY_STATUSES}
    observer.watch(fault_end, lambda: stack.quiet(alert_id, active))
    verdict = observer.verdict(fault_end)
    report(f"{label}: {verdict.line()}; {stack.row_summary(alert_id)}")
    return verdict


def assert_once_in_time(stack: Stack, alert_id: int, verdict: Verdict) -> None:
    problems = verdict.failures()
    assert not problems, "; ".join(problems) + "\n" + explain(stack, alert_id, verdict)
