"""Role mapping, pseudonymous user ids, cookie-secret checks, safe exports and escaping."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.core.access import cookie_secret_problem, pseudonymous_user_id, roles_for
from geo.core.config import AccessConfig
from geo.core.escape import escape_markdown
from geo.render.export import neutralise_formulas, to_csv_bytes

ACCESS = AccessConfig(
    users=(("ann@example.org", ("analyst",)), ("cat@example.org", ("admin", "analyst"))),
    role_claim="groups",
    claim_roles=(("lscp-strategic", "partnership"),),
)


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"email": "ann@example.org", "email_verified": True}, ("analyst",)),
        ({"email": "ANN@Example.org ", "email_verified": True}, ("analyst",)),
        ({"email": "cat@example.org", "email_verified": True}, ("admin", "analyst")),
        ({"email": "ann@example.org", "email_verified": False}, ()),  # unverified
        ({"email": "ann@example.org"}, ()),  # verification unknown
        ({"email": "eve@example.org", "email_verified": True}, ()),  # unmapped
        ({"groups": ["lscp-strategic"]}, ("partnership",)),
        ({"groups": "lscp-strategic"}, ("partnership",)),
        ({"groups": ["someone-else"]}, ()),
        ({}, ()),
    ],
)
def test_roles_come_only_from_the_server_side_mapping(claims: dict, roles: tuple) -> None:
    assert roles_for(claims, ACCESS) == roles


def test_unverified_emails_allowed_only_when_configured() -> None:
    lax = AccessConfig(users=ACCESS.users, require_verified_email=False)
    assert roles_for({"email": "ann@example.org"}, lax) == ("analyst",)


def test_claims_cannot_name_a_role_directly() -> None:
    assert roles_for({"groups": ["admin", "analyst"], "role": "admin"}, ACCESS) == ()


def test_pseudonymous_user_id_is_keyed_and_stable() -> None:
    a = pseudonymous_user_id({"sub": "123", "email": "ann@example.org"}, "k" * 40)
    assert a == pseudonymous_user_id({"sub": "123"}, "k" * 40)
    assert a != pseudonymous_user_id({"sub": "123"}, "j" * 40)
    assert "ann" not in a and "123" not in a


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        (None, None),
        ({"cookie_secret": "x" * 32}, None),
        ({"cookie_secret": "x" * 31}, "shorter than 32 bytes"),
        ({"cookie_secret": ""}, "missing"),
        ({}, "missing"),
    ],
)
def test_cookie_secret_problem(auth: dict | None, problem: str | None) -> None:
    found = cookie_secret_problem(auth)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_csv_exports_neutralise_spreadsheet_formulas() -> None:
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tX", "plain"], "n": range(6)}
    )
    out = neutralise_formulas(frame)
    assert out["name"].tolist() == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tX",
        "plain",
    ]
    assert out["n"].tolist() == list(range(6))  # numbers untouched
    text = to_csv_bytes(frame).decode("utf-8-sig")
    assert "\n=" not in text and ",=" not in text


def test_escape_markdown_renders_partner_text_literally() -> None:
    hostile = "[click](javascript:alert(1)) **bold** <b>x</b> $x$"
    escaped = escape_markdown(hostile)
    for raw in ("[click]", "](", "**bold**", "<b>", "$x$"):
        assert raw not in escaped
    # every Markdown special character is preceded by a backslash
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            i += 2
            continue
        assert escaped[i] not in "[]()*<>$`_", escaped
        i += 1
