"""The dashboard, the home page: the state of the work, with its chart drawn here as SVG.

The chart is drawn on the server, so it needs no script and nothing the CSP refuses (no inline
style: sizes and positions are SVG attributes, colours are classes in style.css). The same
figures are in a table under it for screen readers and for reading exact values, and served as
JSON at /api/dashboard (web/api/dashboard.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from workbench.db import get_session
from workbench.models import Role
from workbench.review import dashboard as figures
from workbench.web.access import allow

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# The chart's own coordinates (its viewBox); CSS scales it to the width it is given.
WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 24, 26, 28  # room for the zero, the day labels and the busiest day's figure
BAR_GAP = 1


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor: start, middle or end


@dataclass(frozen=True)
class Chart:
    """Bars for claims in and claims checked per day, ready for the template to draw."""

    width: int
    height: int
    baseline: float
    top: float  # the height of the busiest day, where its figure is written
    came_in: list[Bar]
    checked: list[Bar]
    days: list[Label]  # a label under every seventh day, the last one today
    scale: list[Label]  # zero by the axis, and the busiest day's figure over its line
    description: str


def chart(board: figures.Dashboard) -> Chart:
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = float(HEIGHT - BOTTOM)
    slot = (WIDTH - LEFT) / len(board.days)
    bar = (slot - 3 * BAR_GAP) / 2
    top = board.busiest_day

    def bar_at(x: float, value: int, title: str) -> Bar:
        height = plot_height * value / top
        return Bar(round(x, 2), round(baseline - height, 2), round(bar, 2), round(height, 2), title)

    came_in, checked, days = [], [], []
    for i, day in enumerate(board.days):
        x = LEFT + i * slot + BAR_GAP
        when = day.day.isoformat()
        came_in.append(bar_at(x, day.came_in, f"{when}: {day.came_in} in"))
        checked.append(bar_at(x + bar + BAR_GAP, day.checked, f"{when}: {day.checked} checked"))
        if (len(board.days) - 1 - i) % 7 == 0:
            text = f"{day.day:%b} {day.day.day}"
            if i == len(board.days) - 1:  # today's label ends at the chart's edge
                days.append(Label(WIDTH, HEIGHT - 6, text, "end"))
            else:
                days.append(Label(round(x + bar, 2), HEIGHT - 6, text))
    scale = [
        Label(LEFT - 4, baseline, "0", "end"),
        Label(LEFT, TOP - 6, f"{top:,} a day", "start"),
    ]
    description = (
        f"Over the last {len(board.days)} days, {sum(d.came_in for d in board.days):,} claims "
        f"came in and {sum(d.checked for d in board.days):,} were checked; "
        f"{board.came_in_this_week:,} came in and {board.checked_this_week:,} were checked "
        f"in the last 7 days."
    )
    return Chart(WIDTH, HEIGHT, baseline, TOP, came_in, checked, days, scale, description)


def page() -> str:
    """The dashboard page; the home page (`/`, web/__init__.py) shows it too."""
    board = figures.dashboard(get_session())
    return render_template(
        "dashboard.html",
        board=board,
        chart=chart(board),
        bands=figures.BANDS,
        cap=figures.COUNT_CAP,
    )


@bp.get("/")
@allow(Role.VIEWER)
def index() -> str:
    return page()
