"""The home dashboard's numbers, per role, as charts (certificates/pages/charts.py): each from
one aggregate query (never one per row), each bar a link to the list page, filtered, that
shows the same rows."""

import datetime as dt
from collections import Counter, defaultdict
from typing import Any, cast
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from certificates.models import Certificate
from certificates.pages.charts import Chart, Datum, Part, columns, rows
from certificates.pages.list_filters import NO_PROFILE
from certificates.pages.views import EXPIRING_WITHIN
from profiles.models import Module
from raportal.callers import Principal
from requests_app.approvals.decided import decisions
from requests_app.approvals.queue import AGES
from requests_app.models import Request, Status
from requests_app.pages.queries import profile_label

DECISION_DAYS = 14  # the approver's decisions per day, over this many days (today included)
ISSUANCE_DAYS = 30  # the administrator's issuance per day, likewise
EXPIRY_WEEKS = 12  # the administrator's expiry per week, from today
# The queue by age, in the approval queue's "waiting" filter values (requests_app/approvals).
QUEUE_AGES = (("0-1", "under a day"), ("1-3", "1 to 3 days"), ("3-7", "3 to 7 days"))
QUEUE_OLDER = ("7", "a week or more")
MODULE_TONES = {"webra": "primary", "est": "success", "scep": "purple", "acme": "info"}
MODULE_LABELS = dict(Module.choices) | {"discovery": "Discovery"}


def link(name: str, **params: object) -> str:
    """The list page ``name`` filtered by ``params``. A dashboard makes about a hundred of
    them: each page's path is reversed once (per URLconf and script prefix)."""
    key = (get_urlconf(), get_script_prefix(), name)
    if key not in _PATHS:
        _PATHS[key] = reverse(name)
    query = urlencode({param: v for param, v in params.items() if v not in ("", None)})
    return _PATHS[key] + (f"?{query}" if query else "")


_PATHS: dict[tuple[object, str, str], str] = {}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def day_label(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


# --- everyone: their certificates and requests ---------------------------------------------


def requester_charts(user: Principal, now: dt.datetime) -> list[Chart]:
    return [expiring_chart(user, now), pending_chart(user, now)]


def expiring_chart(user: Principal, now: dt.datetime) -> Chart:
    """The user's certificates (and their teams') expiring within 7, 30 and 90 days — valid
    and not renewed, as the expiring list counts them (each number includes the shorter
    windows')."""
    longest = max(EXPIRING_WITHIN)
    counts = (
        Certificate.objects.owned_by(user)
        .expiring(dt.timedelta(days=longest), now)
        .aggregate(
            **{
                f"d{days}": Count("pk", filter=Q(not_after__lte=now + dt.timedelta(days=days)))
                for days in EXPIRING_WITHIN
            }
        )
    )
    tones = dict(zip(EXPIRING_WITHIN, ("danger", "warning", "info"), strict=False))
    data = [
        Datum(
            f"within {days} days",
            (
                Part(
                    counts[f"d{days}"],
                    f"{plural(counts[f'd{days}'], 'certificate')} expiring within {days} days",
                    link("expiring-certificates", within=days),
                    tones.get(days, "info"),
                ),
            ),
        )
        for days in EXPIRING_WITHIN
    ]
    return rows(
        "chart-expiring",
        "Your certificates expiring",
        data,
        note="Yours and your teams', valid and not renewed yet.",
        empty_text="None of your certificates expires within 90 days.",
    )


def pending_chart(user: Principal, now: dt.datetime) -> Chart:
    """The user's pending requests (and their teams'), by profile."""
    found = (
        Request.objects.mine(user)
        .shown_as(Status.PENDING, now)
        .order_by()
        .values("profile__name")
        .annotate(label=profile_label("profile__"), n=Count("pk"))
        .order_by("label")
    )
    data = [
        Datum(
            row["label"] or "(no profile)",
            (
                Part(
                    row["n"],
                    f"{plural(row['n'], 'pending request')} on {row['label'] or 'no profile'}",
                    link("my-requests", status=Status.PENDING, profile=row["profile__name"]),
                    "warning",
                ),
            ),
        )
        for row in found
    ]
    return rows(
        "chart-pending",
        "Your requests waiting for approval",
        data,
        note="Yours and your teams', by profile.",
        empty_text="No request of yours waits for approval.",
    )


# --- approvers: what waits for them, what they decided -----------------------------------


def approver_charts(user: Principal, now: dt.datetime) -> tuple[list[Chart], int]:
    """The approver's charts, and how many requests wait for them (the menu's count)."""
    by_profile, by_age, waiting = queue_charts(user, now)
    return [by_profile, by_age, decisions_chart(user, now)], waiting


def queue_charts(user: Principal, now: dt.datetime) -> tuple[Chart, Chart, int]:
    """What waits for the user (the approval queue's rows), by profile and by age, and how
    many in all: one query counting each profile's requests in each age band."""
    bands = [*QUEUE_AGES, QUEUE_OLDER]
    found = (
        Request.objects.decidable_by(user, now)
        .order_by()
        .values("profile__name")
        .annotate(
            label=profile_label("profile__"),
            n=Count("pk"),
            **{
                f"age_{index}": Count("pk", filter=_age_condition(key, now))
                for index, (key, _) in enumerate(bands)
            },
        )
        .order_by("label")
    )
    profiles: list[Datum] = []
    ages: Counter[int] = Counter()
    for found_row in found:
        row = cast(dict[str, Any], found_row)  # its age keys are built: no TypedDict
        label = row["label"] or "(no profile)"
        profiles.append(
            Datum(
                label,
                (
                    Part(
                        row["n"],
                        f"{plural(row['n'], 'request')} on {label} waiting for you",
                        link("approval-queue", profile=row["profile__name"]),
                    ),
                ),
            )
        )
        for index in range(len(bands)):
            ages[index] += row[f"age_{index}"]
    by_age = [
        Datum(
            label,
            (
                Part(
                    ages[index],
                    f"{plural(ages[index], 'request')} waiting {label}",
                    link("approval-queue", age=key),
                    "danger" if (key, label) == QUEUE_OLDER else "primary",
                ),
            ),
        )
        for index, (key, label) in enumerate(bands)
    ]
    empty = "Nothing waits for you."
    return (
        rows("chart-queue-profile", "Waiting for you, by profile", profiles, empty_text=empty),
        rows("chart-queue-age", "Waiting for you, by age", by_age, empty_text=empty),
        sum(datum.parts[0].value for datum in profiles),
    )


def _age_condition(key: str, now: dt.datetime) -> Q:
    older_than, younger_than = AGES[key]  # the queue's own filter, for the same rows
    condition = Q(created_at__lte=now - older_than)
    if younger_than is not None:
        condition &= Q(created_at__gt=now - younger_than)
    return condition


def decisions_chart(user: Principal, now: dt.datetime) -> Chart:
    """The requests the user approved or denied per day (their own decisions, as the list
    behind the bars shows them), over the last DECISION_DAYS days."""
    today = timezone.localdate(now)
    days = [today - dt.timedelta(days=n) for n in range(DECISION_DAYS - 1, -1, -1)]
    start = dt.datetime.combine(days[0], dt.time.min, tzinfo=timezone.get_current_timezone())
    found = (
        decisions(user, None, "")
        .filter(updated_at__gte=start)
        .order_by()
        .annotate(day=TruncDate("updated_at"))
        .values("day")
        .annotate(
            denied=Count("pk", filter=Q(status=Status.DENIED)),
            approved=Count("pk", filter=~Q(status=Status.DENIED)),
        )
    )
    per_day = {row["day"]: cast(dict[str, Any], row) for row in found}
    data = []
    for day in days:
        row = per_day.get(day, {"approved": 0, "denied": 0})
        parts = tuple(
            Part(
                row[outcome],
                f"{plural(row[outcome], 'request')} {outcome} on {day}",
                link("approval-decided", on=day.isoformat(), outcome=outcome),
                tone,
                series=outcome,
            )
            for outcome, tone in (("approved", "success"), ("denied", "danger"))
        )
        data.append(Datum(day_label(day), parts))
    return columns(
        "chart-decisions",
        f"Your decisions, last {DECISION_DAYS} days",
        data,
        note="The requests you approved or denied yourself, per day.",
        empty_text=f"You decided no request in the last {DECISION_DAYS} days.",
    )


# --- administrators: the whole portal ------------------------------------------------------


def admin_charts(user: Principal, now: dt.datetime) -> list[Chart]:
    return [*issuance_charts(user, now), expiry_chart(user, now)]


def issuance_charts(user: Principal, now: dt.datetime) -> list[Chart]:
    """Certificates issued over the last ISSUANCE_DAYS days (by their notBefore), per day,
    per profile and per protocol (the module that issued them): one query, counted by day,
    profile and module."""
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=ISSUANCE_DAYS - 1)
    found = (
        Certificate.objects.visible_to(user)
        .issued_between(first, today)
        .order_by()
        .annotate(day=TruncDate("not_before"))
        .values("day", "profile__name", "module")
        .annotate(label=profile_label("profile__"), n=Count("pk"))
    )
    per_day: Counter[dt.date] = Counter()
    per_profile: Counter[tuple[str, str]] = Counter()
    per_module: Counter[str] = Counter()
    for row in found:
        per_day[row["day"]] += row["n"]
        per_profile[(row["label"] or "(no profile)", row["profile__name"] or NO_PROFILE)] += row[
            "n"
        ]
        per_module[row["module"]] += row["n"]
    window = {"scope": "all", "issued_from": first.isoformat(), "issued_to": today.isoformat()}
    days = [first + dt.timedelta(days=n) for n in range(ISSUANCE_DAYS)]
    daily = [
        Datum(
            day_label(day),
            (
                Part(
                    per_day[day],
                    f"{plural(per_day[day], 'certificate')} issued on {day}",
                    link("my-certificates", scope="all", issued_from=day, issued_to=day),
                ),
            ),
        )
        for day in days
    ]
    profiles = [
        Datum(
            label,
            (
                Part(
                    n,
                    f"{plural(n, 'certificate')} issued on {label} "
                    f"in the last {ISSUANCE_DAYS} days",
                    link("my-certificates", **window, profile=name),
                ),
            ),
        )
        for (label, name), n in sorted(per_profile.items())
    ]
    modules = sorted(per_module, key=lambda m: (-per_module[m], m))
    mix = Datum(
        f"last {ISSUANCE_DAYS} days",
        tuple(
            Part(
                per_module[module],
                f"{plural(per_module[module], 'certificate')} issued through "
                f"{MODULE_LABELS.get(module, module)} in the last {ISSUANCE_DAYS} days",
                link("my-certificates", **window, module=module),
                MODULE_TONES.get(module, "secondary"),
                series=MODULE_LABELS.get(module, module),
            )
            for module in modules
        ),
    )
    empty = f"No certificate issued in the last {ISSUANCE_DAYS} days."
    return [
        columns(
            "chart-issued-day",
            f"Certificates issued per day, last {ISSUANCE_DAYS} days",
            daily,
            empty_text=empty,
        ),
        rows(
            "chart-issued-profile",
            f"Issued per profile, last {ISSUANCE_DAYS} days",
            profiles,
            empty_text=empty,
        ),
        rows(
            "chart-protocols",
            f"Protocol mix, last {ISSUANCE_DAYS} days",
            [mix],
            note="The module that issued them: WebRA (pages and API), EST, SCEP, ACME.",
            empty_text=empty,
        ),
    ]


def expiry_chart(user: Principal, now: dt.datetime) -> Chart:
    """Unrevoked certificates by the week their notAfter falls in, over the next EXPIRY_WEEKS
    weeks from today: counted by day in the database, summed per week here."""
    today = timezone.localdate(now)
    last = today + dt.timedelta(weeks=EXPIRY_WEEKS, days=-1)
    found = (
        Certificate.objects.visible_to(user)
        .expiring_between(today, last)
        .order_by()
        .annotate(day=TruncDate("not_after"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    per_week: defaultdict[int, int] = defaultdict(int)
    for row in found:
        per_week[(row["day"] - today).days // 7] += row["n"]
    data = []
    for week in range(EXPIRY_WEEKS):
        start = today + dt.timedelta(weeks=week)
        end = start + dt.timedelta(days=6)
        n = per_week[week]
        data.append(
            Datum(
                day_label(start),
                (
                    Part(
                        n,
                        f"{plural(n, 'certificate')} expiring from {start} to {end}",
                        link("my-certificates", scope="all", expires_from=start, expires_to=end),
                        "warning",
                    ),
                ),
            )
        )
    return columns(
        "chart-expiry-week",
        f"Certificates expiring per week, next {EXPIRY_WEEKS} weeks",
        data,
        note="Unrevoked certificates, by the week their validity ends (weeks start today).",
        empty_text=f"No certificate expires in the next {EXPIRY_WEEKS} weeks.",
    )
