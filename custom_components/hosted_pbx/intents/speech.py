"""What the intents say: the English and Dutch texts, lists of names and amounts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from homeassistant.helpers import intent

DEFAULT_LANGUAGE = "en"
# A question listing more phones than this names the first few and counts the rest.
MAX_NAMES_SPOKEN = 6

# Everything spoken, per language; placeholders are filled with str.format.
SPEECH: dict[str, dict[str, str]] = {
    "en": {
        "calling": "Calling {number} from {source}.",
        "no_number": "Which number should I call?",
        "no_call_source": "None of your phone accounts can start calls.",
        "no_such_phone": "I don't know a phone called {name}.",
        "ambiguous": "Which one do you mean: {names}?",
        "failed": "That did not work.",
        "dnd_on": "Do not disturb is on for {name}.",
        "dnd_off": "Do not disturb is off for {name}.",
        "no_dnd": "None of your phones has do not disturb.",
        "dnd_which": "For which phone: {names}?",
        "dnd_unavailable": "Do not disturb of {name} cannot be reached right now.",
        "credit_number": "{name} has {amount} {currency} credit.",
        "balance_account": "The balance of {name} is {amount} {currency}.",
        "no_credit": "No credit is known for your phone accounts.",
        "queue_none": "No callers are waiting in {name}.",
        "queue_one": "1 caller is waiting in {name}.",
        "queue_many": "{count} callers are waiting in {name}.",
        "queue_unknown": "I don't know how many callers are waiting in {name} right now.",
        "no_queues": "Your phone accounts have no queues.",
        "no_such_queue": "I don't know a queue called {name}.",
        "or": "or",
        "others": "{count} others",
    },
    "nl": {
        "calling": "Ik bel {number} vanaf {source}.",
        "no_number": "Welk nummer moet ik bellen?",
        "no_call_source": "Geen van je telefoonaccounts kan gesprekken starten.",
        "no_such_phone": "Ik ken geen toestel dat {name} heet.",
        "ambiguous": "Welke bedoel je: {names}?",
        "failed": "Dat is niet gelukt.",
        "dnd_on": "Niet storen staat aan op {name}.",
        "dnd_off": "Niet storen staat uit op {name}.",
        "no_dnd": "Geen van je toestellen heeft niet storen.",
        "dnd_which": "Op welk toestel: {names}?",
        "dnd_unavailable": "Niet storen van {name} is nu niet bereikbaar.",
        "credit_number": "{name} heeft {amount} {currency} tegoed.",
        "balance_account": "Het saldo van {name} is {amount} {currency}.",
        "no_credit": "Er is geen tegoed bekend voor je telefoonaccounts.",
        "queue_none": "Er wachten geen bellers in {name}.",
        "queue_one": "Er wacht 1 beller in {name}.",
        "queue_many": "Er wachten {count} bellers in {name}.",
        "queue_unknown": "Ik weet nu niet hoeveel bellers er in {name} wachten.",
        "no_queues": "Je telefoonaccounts hebben geen wachtrijen.",
        "no_such_queue": "Ik ken geen wachtrij die {name} heet.",
        "or": "of",
        "others": "{count} andere",
    },
}

# Spoken currency names; other currencies are spoken as their code.
CURRENCIES: dict[str, dict[str, str]] = {
    "en": {"EUR": "euro", "CAD": "Canadian dollars", "USD": "US dollars"},
    "nl": {"EUR": "euro", "CAD": "Canadese dollar", "USD": "Amerikaanse dollar"},
}


def request_language(intent_obj: intent.Intent) -> str:
    """``en`` or ``nl`` for ``nl-BE`` and the like; English otherwise."""
    base = (intent_obj.language or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower()
    return base if base in SPEECH else DEFAULT_LANGUAGE


def say(language: str, key: str, **placeholders: object) -> str:
    """The text ``key`` in ``language``, placeholders filled in."""
    return SPEECH[language][key].format(**placeholders)


def spoken_names(language: str, names: Iterable[str]) -> str:
    """``A, B or C``."""
    listed = list(names)
    if len(listed) > MAX_NAMES_SPOKEN:
        others = say(language, "others", count=len(listed) - MAX_NAMES_SPOKEN + 1)
        listed = [*listed[: MAX_NAMES_SPOKEN - 1], others]
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} {SPEECH[language]['or']} {listed[-1]}"


def spoken_money(language: str, amount: Decimal) -> str:
    """An amount as it is written in ``language`` (a decimal comma in Dutch)."""
    text = f"{amount:.2f}"
    return text.replace(".", ",") if language == "nl" else text
