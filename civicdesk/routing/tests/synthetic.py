"""Small synthetic Finnish contacts for fast tests: three topics, inflected and compounded words."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.utils import timezone

from civicdesk.cases.models import Case, CaseCategory, CaseKind, Channel, Resolution, Status
from civicdesk.routing.classifier import Example

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "streets": (
        ["Kuoppa kadulla", "Katuvalo rikki", "Asfaltissa reikä", "Liukas jalkakäytävä", "Katukiveys irti"],
        ["Mannerheimintiellä on iso kuoppa pyörätien kohdalla", "katuvalot eivät pala illalla kadulla",
         "asfaltti on rikkoutunut ja kuopissa on vettä", "jalkakäytävällä on jäätä eikä hiekoitusta",
         "reunakivi on irronnut kadun kulmassa", "ajoradan kuoppa rikkoi renkaan", "katu on täynnä kuoppia"],
    ),
    "parks": (
        ["Puiston penkki rikki", "Leikkipaikan keinu", "Nurmikko leikkaamatta", "Puu kaatunut", "Roskia puistossa"],
        ["puistossa penkki on rikottu ja laudat irti", "leikkipuiston keinun ketju on poikki",
         "nurmikkoa ei ole leikattu koko kesänä puistossa", "myrsky kaatoi puun puistokäytävälle",
         "puiston roska-astiat ovat täynnä", "leikkipaikan hiekkalaatikossa on lasinsiruja", "puistopolku on mutainen"],
    ),
    "social": (
        ["Toimeentulotuki", "Kotihoito", "Sosiaalityöntekijä", "Lastensuojelu", "Asumisneuvonta"],
        ["toimeentulotukihakemukseni käsittely kestää liian kauan", "äidin kotihoidon käynnit ovat myöhässä",
         "sosiaalityöntekijä ei ole vastannut viesteihini", "haluan tietää lastensuojeluilmoituksen käsittelystä",
         "tarvitsen apua vuokrarästien kanssa asumisneuvonnasta", "kotihoitaja ei tullut sovittuna aikana",
         "sosiaalitoimiston palvelu oli ystävällistä"],
    ),
}


# Contacts that say nothing about their topic; they are spread over every topic, as in real life.
VAGUE = ["Hei, minulla olisi kysymys teille", "Voisitteko soittaa minulle", "Kiitos etukäteen vastauksesta",
         "Asia on kiireellinen, ottakaa yhteyttä"]


def synthetic_text(topic: str, rng: random.Random, *, vague: bool = False) -> str:
    if vague:
        return f"Yhteydenotto\n{'. '.join(rng.sample(VAGUE, 2))}."
    titles, sentences = TOPICS[topic]
    body = ". ".join(rng.sample(sentences, 2)).capitalize() + "."
    return f"{rng.choice(titles)}\n{body}"


def synthetic_examples(count: int = 90, *, seed: int = 1, start: dt.datetime | None = None) -> list[Example]:
    rng = random.Random(seed)
    start = start or dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    topics = list(TOPICS)
    return [Example(text=synthetic_text(topics[i % 3], rng), labels=(topics[i % 3],),
                    at=start + dt.timedelta(hours=i)) for i in range(count)]


def handled_cases(city: Any, count: int = 90, *, seed: int = 1, start: dt.datetime | None = None) -> list[Case]:
    """Closed, answered cases of the three topics (category, type and group set), written in bulk."""
    rng = random.Random(seed)
    start = start or (timezone.now() - dt.timedelta(days=400))
    groups = {"streets": city.streets, "parks": city.parks, "social": city.social}
    categories = {"streets": city.category_streets, "parks": city.category_parks, "social": city.category_social}
    types = {"streets": city.types[CaseKind.FAULT_REPORT], "parks": city.types[CaseKind.FAULT_REPORT],
             "social": city.types[CaseKind.FEEDBACK]}
    topics = list(TOPICS)
    cases = []
    for i in range(count):
        topic = topics[i % 3]
        title, _, description = synthetic_text(topic, rng, vague=i % 5 == 4).partition("\n")
        at = start + dt.timedelta(hours=i)
        cases.append(Case(
            organization=city.org, reference=f"S-{secrets.token_hex(6)}", case_type=types[topic],
            channel=Channel.EMAIL, title=title, description=description, owner_group=groups[topic],
            status=Status.CLOSED, resolution=Resolution.ANSWERED, created_at=at, last_activity_at=at, closed_at=at,
        ))
    created = Case.objects.bulk_create(cases)
    CaseCategory.objects.bulk_create([
        CaseCategory(case=case, category=categories[topics[i % 3]], is_primary=True) for i, case in enumerate(created)
    ])
    return created
