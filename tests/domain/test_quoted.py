"""domain.quoted: the quoted history of a mail is found (en, ru, lv), and ordinary text is not."""

from __future__ import annotations

import pytest

from csm_console.domain.quoted import split_quoted

GMAIL_EN = """Thanks, the router works again.

Anna

On Mon, 3 Nov 2026 at 10:15, Baltic Net Support <support@balticnet.example> wrote:
> Hello Anna,
>
> please restart the router and tell us what the lights show.
"""

RU = """Спасибо, интернет снова работает.

пн, 3 нояб. 2026 г. в 10:15, Служба поддержки <support@balticnet.example> написал(а):
> Здравствуйте, Ирина!
> Перезагрузите, пожалуйста, роутер."""

LV = """Paldies, viss strādā.

2026. gada 3. nov., plkst. 10:15, Baltic Net atbalsts <atbalsts@balticnet.example> rakstīja:
> Labdien!
> Lūdzu, restartējiet maršrutētāju."""

WRAPPED = """Yes, it is the second invoice.

On Mon, Nov 3, 2026 at 10:15 AM Baltic Net Support <support@balticnet.example>
wrote:

> Which invoice do you mean?"""

OUTLOOK = """Please cancel the visit.

-----Original Message-----
From: Baltic Net <support@balticnet.example>
Sent: Monday, November 3, 2026 10:15
Subject: Technician visit

Your visit is booked for Tuesday."""

BOTTOM_QUOTE = """It still drops every evening.

> Does the connection drop at a particular time?
> Please tell us."""


@pytest.mark.parametrize(
    ("body", "new_end", "quoted_start"),
    [
        (GMAIL_EN, "Anna", "On Mon, 3 Nov 2026"),
        (RU, "снова работает.", "пн, 3 нояб."),
        (LV, "viss strādā.", "2026. gada"),
        (WRAPPED, "second invoice.", "On Mon, Nov 3"),
        (OUTLOOK, "cancel the visit.", "-----Original Message-----"),
        (BOTTOM_QUOTE, "every evening.", "> Does the connection"),
    ],
    ids=["gmail-en", "ru", "lv", "wrapped-attribution", "outlook", "trailing-quotes"],
)
def test_history_is_split_off(body: str, new_end: str, quoted_start: str) -> None:
    new, quoted = split_quoted(body)
    assert new.endswith(new_end)
    assert quoted.startswith(quoted_start)
    # nothing is lost: the two parts hold every non-blank line of the body, in order
    assert [x for x in f"{new}\n{quoted}".split("\n") if x.strip()] == [
        x for x in body.split("\n") if x.strip()
    ]


@pytest.mark.parametrize(
    "body",
    [
        "My internet has not worked since Monday.\nPlease help.",
        # the customer's own words that end in "wrote:" are not an attribution
        "Я уже написал:\nроутер мигает красным.",
        "The technician wrote:\n'cable damaged in the basement'.",
        "On Monday I wrote:\nplease call me back.",
        # an answer written between quoted lines: the quote is what it answers, not folded
        "> Is the light red?\nYes, red.\n> Since when?\nSince Monday.",
        # only history, nothing new: shown whole
        "> Hello,\n> your invoice is attached.",
        "",
    ],
    ids=[
        "plain",
        "ru-own-words",
        "en-own-words",
        "on-monday",
        "inline-answers",
        "only-quote",
        "empty",
    ],
)
def test_ordinary_text_is_not_folded(body: str) -> None:
    assert split_quoted(body) == (body, "")


def test_a_long_line_ending_in_wrote_is_text() -> None:
    body = "x" * 500 + " 10:15 wrote:\n> quoted"
    new, quoted = split_quoted(body)
    assert new == body[: body.index("\n")]  # the long line is text; only the `>` line folds
    assert quoted == "> quoted"
