"""AppTest of the Recurring locations and Location profile pages, both data roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ENTRY = Path(__file__).resolve().parent / "app_entry.py"
PAGES = Path(__file__).resolve().parents[2] / "pages"
WINDOW = {"from": "2023-01", "to": "2024-12"}


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from geo.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build = build_demo(out, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLACESAFE_CONFIG", str(out / "placesafe.toml"))
        yield build.truth


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(str(PAGES / page)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_recurring_page_lists_the_planted_places_with_reasons(truth: dict) -> None:
    at = open_page("recurring.py", res="9", **WINDOW)
    table = at.dataframe[0].value
    planted = {h["cell"] for h in truth["recurring_hotspots"]}
    assert planted <= set(table["Cell id"].head(10))
    assert table["Why it is ranked"].str.len().gt(10).all()
    assert any("escalation" in w.value for w in at.warning)  # the escalation banner
    assert any(
        "Near-repeat pattern" in m.value or "near-repeat" in m.value.lower() for m in at.markdown
    )


def test_partnership_ranking_shows_no_counts(truth: dict) -> None:
    at = open_page("recurring.py", res="9", **WINDOW)
    at.radio(key="view_as").set_value("partnership").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Rank", "Place", "Score", "Pattern over time", "Escalate",
        "Why it is ranked", "Cell id",
    ]  # fmt: skip
    assert all(int(c[1], 16) <= 8 for c in table["Cell id"])


def test_profile_notes_are_kept_with_history_escaped_and_audited(truth: dict) -> None:
    cell = truth["recurring_hotspots"][0]["cell"]
    at = open_page("profile.py", res="9", cell=cell, **WINDOW)
    assert any("recurring location" in s.value for s in at.subheader)
    hostile = "Older boys gather **here** <script>alert(1)</script> ${x}"
    at.selectbox(key="note_heading").set_value("What happens here")
    at.text_area(key="note_body").set_value(hostile)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert hostile in [t.value for t in at.text]  # shown as plain text, not Markdown/HTML
    at.selectbox(key="note_heading").set_value("What happens here")
    at.text_area(key="note_body").set_value("Updated after the May meeting")
    at.button[0].click().run()
    assert "Updated after the May meeting" in [t.value for t in at.text]
    from ui import cache

    store = cache.get_store(cache.get_config())
    notes = store.notes(cell)
    assert len(notes) == 2 and notes["current"].sum() == 1  # history kept, one current
    assert (store.audit_log(100)["event"] == "assessment_note").sum() == 2


def test_partnership_profile_is_quarterly_and_coarse(truth: dict) -> None:
    cell = truth["recurring_hotspots"][0]["cell"]  # res 9: coarsened to res 8
    at = open_page("profile.py", res="9", cell=cell, **WINDOW)
    at.radio(key="view_as").set_value("partnership").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("(resolution 8)" in c.value for c in at.caption)
    assert not at.text_area  # no note form for the partnership


def test_view_as_partnership_survives_opening_a_profile(truth: dict) -> None:
    """Opening a place's profile from the partnership's ranking keeps the partnership
    view: its role, resolution and quarter, not the analyst's (issue 13, item 10)."""
    at = open_page("recurring.py", res="10", **WINDOW)
    at.radio(key="view_as").set_value("partnership").run()
    assert at.session_state["role"] == "partnership" and at.session_state["res"] == 8
    quarter = at.session_state["months"]
    pick = at.selectbox(key="rec_profile")
    pick.set_value(pick.options[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["view_as"] == "partnership"
    assert at.session_state["role"] == "partnership"
    assert at.session_state["res"] == 8
    assert at.session_state["months"] == quarter
    captions = " ".join(c.value for c in at.caption)
    assert "(resolution 8)" in captions and "Quarterly figures" in captions
    assert "Time-of-week detail is available to analysts." in captions


def test_near_repeat_tables_have_titles_and_the_method_sits_in_an_expander(truth: dict) -> None:
    at = open_page("recurring.py", res="9", **WINDOW)
    shown = [str(m.value) for m in at.markdown]
    assert "**How much more often than chance incidents follow one another**" in shown
    methods = [e for e in at.expander if e.label == "How this is worked out"]
    assert len(methods) == 2  # the ranking's and the near-repeat test's
    method = methods[-1]
    titles = [str(m.value) for m in method.markdown]
    assert "**p-value of each ratio**" in titles
    assert any("shuffles" in str(c.value) for c in method.caption)


@pytest.mark.parametrize("role", ["analyst", "partnership"])
def test_the_list_reads_plainly_and_its_ranks_match_the_profile(truth: dict, role: str) -> None:
    """No "No Pattern Detected" beside months hot, distinct reasons, the method in words,
    and a place ranked #2 on the list is ranked #2 on its profile (issue 15, item 3)."""
    at = open_page("recurring.py")
    if role == "partnership":
        at.radio(key="view_as").set_value("partnership").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert "No Pattern Detected" not in set(table["Pattern over time"])
    assert "Emerging hot spot category (Esri)" not in table.columns
    assert table["Why it is ranked"].head(10).is_unique
    captions = " ".join(str(c.value) for c in at.caption)
    assert "README" not in captions and "×" not in captions
    assert any(e.label == "How this is worked out" for e in at.expander)
    second = str(table["Cell id"].iloc[1])
    at.selectbox(key="rec_profile").set_value(second).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [str(t.value) for t in at.text]
    assert any(t.startswith("Rank 2,") for t in texts), texts
    assert not any("Not among" in str(c.value) for c in at.caption)


def test_a_finer_hexagon_in_a_ranked_place_is_given_that_place_s_rank(truth: dict) -> None:
    """A hexagon clicked on a finer map (resolution 9) inside the place ranked #2 at the
    list's resolution (8) is that place's, not "not among the ranked" places."""
    import h3

    at = open_page("recurring.py", res="8")
    second = str(at.dataframe[0].value["Cell id"].iloc[1])
    at.session_state["cell"] = h3.cell_to_center_child(second, 9)
    at.switch_page(str(PAGES / "profile.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [str(t.value) for t in at.text]
    assert any(t.startswith("Rank 2 (this hexagon lies in") for t in texts), texts
