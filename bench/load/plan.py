"""What a simulated viewer does on each page: the deep link it opens and the selector it changes.

Pages are discovered from the app's navigation message (keyed by url path; the default page is
""), so a new page is visited without changes here; it just gets no parameters and its first
bound selector is changed. Parameter names and values are those of src/dashboard/state.py
(values are the option labels a shared link carries).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class PagePlan:
    params: dict  # deep-link query parameters (a list value repeats the key)
    change: str | None  # URL key of the selector a viewer changes; None = page has none

    def query(self) -> str:
        return urlencode(self.params, doseq=True)


# The period a meeting shares: the pages' default (2022 → 2026 since issue 15), which the
# warm-up fills; a link carries it explicitly, as a copied link from before a default change would.
PERIOD = "2022-2026"

PLANS: dict[str, PagePlan] = {
    # Översikt (default page)
    "": PagePlan({"period": PERIOD, "parti": "Vänsterpartiet"}, change="parti"),
    "kommuner": PagePlan({"val": "Riksdagsval", "period": PERIOD, "parti": "Vänsterpartiet"}, change="val"),
    "jamfor": PagePlan(
        {"kommuner": ["Botkyrka", "Huddinge", "Nacka", "Stockholm"], "period": PERIOD, "jmf": "Förändring"},
        change="parti",
    ),
    "valdistrikt": PagePlan({"kommun": "Botkyrka", "val": "Riksdagsval", "period": PERIOD}, change="kommun"),
    "kalender": PagePlan({"datum": "2026-05-12"}, change="vy"),
    "om_data": PagePlan({}, change=None),
    "utskrift": PagePlan({"kommun": "Nacka", "period": PERIOD}, change="parti"),
    "logga_in": PagePlan({}, change=None),
}
# A page not listed above (e.g. one added later): no parameters; change its first selector
# if it has one.
FALLBACK = PagePlan({}, change="*")


def _norm(page: str) -> str:
    # url paths are matched loosely ("om-data" = "om_data") so a renamed path keeps its plan.
    return page.strip("/").lower().replace("-", "_")


def plan_for(page: str) -> PagePlan:
    return PLANS.get(_norm(page), FALLBACK)


def pick(viewer: int):
    """The option viewer number `viewer` switches to: spread over the options, so a crowd asks
    for different views (and some cold cache entries), as a meeting would."""

    def choose(options: list[str]) -> str:
        return options[(viewer + 1) % len(options)] if len(options) > 1 else options[0]

    return choose


def journey(pages: list[str], viewer: int) -> tuple[str, str, str]:
    """Deep-link page, then two more pages by the navigation menu; the third has a selector.

    Viewers start on every page in turn; the two following pages are the next ones (in menu
    order) that have a selector to change.
    """
    first = pages[viewer % len(pages)]
    rest = [p for p in pages[pages.index(first) + 1:] + pages[: pages.index(first)]
            if plan_for(p).change is not None]
    if len(rest) < 2:
        rest = (rest + [first, first])[:2]
    return first, rest[0], rest[1]
