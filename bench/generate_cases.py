"""Fill a PostgreSQL database with N realistic cases for the selector benchmarks.

    bench/pg.sh start
    DATABASE_URL=postgres://postgres@127.0.0.1:54330/civicdesk_bench \\
    DJANGO_SETTINGS_MODULE=config.settings.local \\
        .venv/bin/python bench/generate_cases.py --cases 1000000 --seed 1 --reset

What it does, phase by phase (each timed; the times are printed and written to
bench/results/generate-*.json):

1. `migrate` (with --reset: drop the public schema first, so the schema is exactly the
   migrations' one).
2. Reference data through the ORM: 1 organisation, units, a working calendar, 8 areas, 100
   service groups (1 intake group of advisors, 1 external partner group, 98 expert groups),
   400 staff users with Memberships and GroupMemberships (mostly experts, 12 advisors, a few
   admins, reporters, viewers and partners), case types for every CaseKind (plus one for special
   categories of personal data) and 31 nested categories.
3. The secondary indexes and foreign keys of the bulk tables are dropped (their definitions are
   read from the catalogue and re-created verbatim at the end, so the schema ends identical).
4. Cases, their categories, timeline entries (3-5 per case), comment requests and shares are
   generated in chunks of --chunk cases and loaded with COPY (psycopg 3 `cursor.copy`). Each
   chunk's cases go to an unlogged staging table, which --movers other connections move into
   cases_case by INSERT ... SELECT computing `search_vector` with the expression of
   `case_refresh_search_vector` (so no case row is written twice), while Python generates the
   next chunk.
5. Indexes and foreign keys re-created (foreign keys are validated as they are added), sequences
   and `cases_referencesequence` set, VACUUM ANALYZE.
6. A check that the stored search vectors equal what Django's `SearchVector` expression of
   `case_refresh_search_vector` computes, on a sample of cases.

Distributions: 60 % closed (older cases more often closed), the rest new/open/waiting; group
sizes Zipf-like (s=1: the largest group receives ~19 % of all cases); created_at over the 3
years before now, weekdays and office hours more likely; texts in Finnish (86 %), Swedish,
English and a few other languages, from templates and from sentences of the Helsinki feedback
in $SHARED_DATA_DIR/helsinki_feedback_2014_2015.jsonl when it exists (read, never copied).
The audit log, attachments and case links are not filled. Sessions set synchronous_commit=off.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import queue
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from civicdesk.accounts.models import GroupMembership, Membership, Role, User  # noqa: E402
from civicdesk.cases.models import Case, CaseKind, CaseType, Category, ReferenceSequence  # noqa: E402
from civicdesk.organizations.models import (  # noqa: E402
    OpeningHours,
    Organization,
    ServiceGroup,
    Unit,
    WorkingCalendar,
)
from civicdesk.organizations.services import area_save  # noqa: E402

BULK_TABLES = ["cases_case", "cases_casecategory", "cases_timelineentry", "cases_commentrequest", "cases_caseshare"]
STAGE = "bench_case_stage"  # one per chunk: bench_case_stage_<n>
CASE_COLUMNS = [
    "id", "organization_id", "reference", "case_type_id", "feedback_subtype", "channel", "language", "title",
    "description", "lat", "lon", "address", "area_id", "customer_name", "customer_email", "customer_phone",
    "customer_type", "answer_requested", "consent_text", "consent_method", "consent_at", "submitted_by_id",
    "status", "resolution", "public_works_status", "priority", "owner_group_id", "handler_id", "due_at",
    "contains_special_categories", "public_title", "public_text", "public_answer", "is_published",
    "published_at", "merged_into_id", "tracking_token", "created_at", "updated_at", "last_activity_at",
    "first_response_at", "closed_at", "form_answers",
]
ENTRY_COLUMNS = ["id", "case_id", "kind", "actor_id", "actor_label", "body", "data", "is_internal",
                 "delivery_state", "comment_request_id", "original_case_reference", "created_at"]
CATEGORY_COLUMNS = ["id", "case_id", "category_id", "is_primary"]
REQUEST_COLUMNS = ["id", "case_id", "requested_by_id", "requested_from_user_id", "requested_from_group_id",
                   "question", "due_at", "status", "answer", "answered_by_id", "answered_at", "created_at"]
SHARE_COLUMNS = ["id", "case_id", "user_id", "service_group_id", "reason", "created_at"]

# The expression of civicdesk.cases.services.case_refresh_search_vector, as Django compiles it
# (SearchVector(..., config=c) → to_tsvector(c::regconfig, COALESCE(col, ''))), with the
# per-language config of SEARCH_CONFIGS (anything else: 'simple').
SEARCH_CONFIG_SQL = (
    "(CASE language WHEN 'fi' THEN 'finnish' WHEN 'sv' THEN 'swedish' WHEN 'en' THEN 'english' "
    "ELSE 'simple' END)::regconfig"
)
SEARCH_VECTOR_SQL = (
    f"((setweight(to_tsvector({SEARCH_CONFIG_SQL}, COALESCE(title, '')), 'A') || "
    f"setweight(to_tsvector({SEARCH_CONFIG_SQL}, COALESCE(description, '')), 'B')) || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(reference, '') || ' ' || COALESCE(title, '') || ' ' || "
    "COALESCE(description, '')), 'D'))"
)

# Helsinki, roughly: (south, west, north, east).
BBOX = (60.13, 24.83, 60.30, 25.25)
DAY = 86_400
YEARS = 3

# ------------------------------------------------------------------------------------------
# Texts


def words(text: str) -> list[str]:
    return text.split()


def esc(value: str) -> str:
    """COPY text-format escaping."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


STREET_PREFIXES = words(
    "Koivu Kuusi Mänty Tammi Vaahtera Pihlaja Haapa Leppä Kataja Kanerva Kielo Sinivuokko Kallio Kivi "
    "Hiekka Sammal Niitty Pelto Metsä Järvi Lampi Ranta Salmi Niemi Saari Lahti Mylly Paja Kartano Kirkko "
    "Koulu Tori Satama Laiva Airo Purje Ankkuri Majakka Kalastaja Seppä Suutari Räätäli Mylläri Leipuri "
    "Kauppias Tuomari Pormestari Kapteeni Luotsi Kuu Aurinko Tähti Revontuli Pilvi Sade Lumi Halla Kevät "
    "Kesä Syksy Talvi Joutsen Kurki Haukka Pöllö Tikka Peippo Västäräkki Kettu Ilves Karhu Hirvi Orava "
    "Jänis Majava Saukko Lohi Siika Ahven Hauki Kuha Muikku Mustikka Puolukka Karpalo Vadelma Mansikka "
    "Omena Kirsikka Luumu Humala Ruis Ohra Kaura Pellava Hamppu Rauta Kupari Hopea Kulta Tina Lasi Savi "
    "Tiili Hirsi Paasi Louhi Vuori Harju Kumpu"
)
STREET_SUFFIXES = words(
    "tie katu kuja polku rinne kaari väylä puisto aukio mäki laita portti kulma ranta tanhua"
)
FIRST_NAMES = words(
    "Aino Eino Helmi Väinö Siiri Onni Aada Leevi Lilja Elias Ella Oliver Sofia Eetu Venla Juho Emma Mikko "
    "Anna Matti Liisa Pekka Maria Jukka Kaisa Timo Sanna Antti Riikka Ville Erik Astrid Johan Linnea John "
    "Mary Ahmed Fatima Olga Ivan"
)
LAST_NAMES = words(
    "Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen "
    "Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen Salo Laitinen Tuominen "
    "Rantanen Karjalainen Jokinen Mattila Savolainen Lahtinen Ahonen Lindqvist Nyström Holmberg Smith "
    "Jones Ali Hassan Ivanova Petrov Tamm"
)

FI_TITLES = [
    "Kuoppa tiessä, {street}", "Katuvalo ei toimi: {street} {num}", "Roskia puistossa lähellä {street}",
    "Liukas jalkakäytävä {street}", "Töhryjä seinässä, {street} {num}", "Liikennemerkki kaatunut {street}",
    "Kiitos nopeasta korjauksesta", "Kysymys päiväkotipaikasta", "Pysäköinti {street}", "Aurauskinos {street}",
    "Rikkinäinen penkki puistossa", "Leikkipuiston keinu rikki", "Roska-astia täynnä {street}",
    "Meluhaitta työmaalta {street} {num}", "Vesilätäkkö pyörätiellä {street}", "Kaatunut puu {street}",
    "Hiekoitus puuttuu {street}", "Bussipysäkin katos rikki", "Palaute kirjaston aukioloajoista",
    "Uimahallin siivous", "Kysymys rakennusluvasta", "Koiranpuisto {street}", "Ehdotus: lisää pyöräpysäköintiä",
    "Kadun valaistus {street}", "Jäteastia kaatunut {street} {num}",
]
SV_TITLES = [
    "Gatlyktan fungerar inte på {street}", "Skräp i parken vid {street}", "Hål i vägen, {street} {num}",
    "Fråga om parkeringstillstånd", "Halt på trottoaren {street}", "Tack för snabb hjälp",
    "Klotter på väggen, {street}", "Trasig bänk i parken", "Fråga om dagvårdsplats", "Buller från byggplatsen",
]
EN_TITLES = [
    "Pothole on {street}", "Street light out at {street} {num}", "Litter in the park near {street}",
    "Question about a parking permit", "Icy pavement on {street}", "Thank you for the quick repair",
    "Graffiti on a wall, {street}", "Broken bench in the park", "Question about day care", "Noise from a building site",
]
OTHER_TITLES = {"ru": ["Яма на дороге {street}", "Не работает фонарь {street}", "Мусор в парке"],
                "et": ["Auk teel {street}", "Tänavavalgusti ei tööta {street}", "Prügi pargis"]}
FI_SENTENCES = [
    "Osoitteessa {street} {num} on ollut jo pitkään iso kuoppa keskellä ajorataa.",
    "Katuvalo on ollut pimeänä viikon verran ja illalla on todella pimeää.",
    "Puistossa on paljon roskia ja roska-astiat ovat täynnä.",
    "Jalkakäytävä on aivan jäässä eikä hiekoitusta ole tehty.",
    "Pyydän korjaamaan asian mahdollisimman pian.", "Toivoisin vastausta sähköpostitse.",
    "Asia on toistuva ja siitä on ilmoitettu aiemminkin.", "Lapset leikkivät alueella päivittäin.",
    "Liikennemerkki on kaatunut risteyksessä ja aiheuttaa vaaratilanteita.",
    "Haluan kiittää henkilökuntaa erinomaisesta palvelusta.", "Miten voin hakea lapselle päiväkotipaikkaa?",
    "Työmaalta kuuluu melua myös yöaikaan.", "Pyörätiellä on syvä vesilätäkkö sateen jälkeen.",
    "Aurauksen jälkeen kinos tukkii suojatien.", "Bussipysäkin katoksen lasi on rikottu.",
    "Penkki on rikki ja siitä törröttää nauloja.", "Koirat juoksevat vapaana leikkipuistossa.",
]
SV_SENTENCES = [
    "Gatlyktan vid {street} {num} har varit släckt i en vecka.", "Det finns mycket skräp i parken.",
    "Trottoaren är mycket hal och ingen har sandat.", "Jag vill tacka personalen för god service.",
    "Kan ni reparera detta så snart som möjligt?", "Hur ansöker jag om dagvårdsplats för mitt barn?",
    "Det är buller från byggplatsen också på natten.", "Bänken är trasig och farlig för barn.",
    "Det har varit ett stort hål i vägen länge.", "Jag önskar svar per e-post.",
]
EN_SENTENCES = [
    "The street light at {street} {num} has been out for a week.", "There is a lot of litter in the park.",
    "The pavement is very icy and nobody has gritted it.", "I would like to thank the staff for the good service.",
    "Could you please repair this as soon as possible?", "How do I apply for a day care place for my child?",
    "There is noise from the building site also at night.", "The bench is broken and dangerous for children.",
    "There has been a big pothole in the road for a long time.", "Please answer by email.",
]
OTHER_SENTENCES = {"ru": ["Пожалуйста, исправьте это как можно скорее.", "Фонарь не работает уже неделю."],
                   "et": ["Palun parandage see võimalikult kiiresti.", "Tänavavalgusti ei ole nädal aega töötanud."]}
FI_REPLIES = [
    "Kiitos ilmoituksestanne. Olemme välittäneet korjauspyynnön alueen kunnossapitoon.",
    "Kiitos palautteestanne. Asia on korjattu.", "Kiitos yhteydenotosta. Välitimme viestin asiasta vastaavalle.",
    "Hei, kiitos palautteesta. Kohde on lisätty korjauslistalle ja korjataan lähiviikkoina.",
    "Kiitos kysymyksestä. Päiväkotipaikkaa haetaan sähköisellä hakemuksella.",
]
FI_NOTES = [
    "Siirretty alueen urakoitsijalle.", "Soitettu asiakkaalle, lisätietoja tulossa.", "Tarkistettu paikan päällä.",
    "Odottaa urakoitsijan kuittausta.", "Sama asia kuin aiemmassa ilmoituksessa.", "Korjaus tilattu.",
    "Kuuluu kiinteistön omistajalle, ohjataan eteenpäin.", "Tarkistetaan seuraavalla kierroksella.",
]
FI_QUESTIONS = ["Voisitteko kommentoida asiaa?", "Kuuluuko tämä teidän alueellenne?",
                "Onko tähän tulossa korjausta tänä vuonna?", "Pyydän lausuntoa asiakkaan kysymykseen."]
FI_ANSWERS = ["Korjaus on aikataulutettu ensi kuulle.", "Ei kuulu meille, kiinteistön vastuulla.",
              "Kohde tarkistetaan tällä viikolla.", "Asia on jo hoidettu."]

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
CLEAN_OUT = re.compile(r"https?://|www\.|@|\d{5,}|PL \d|p\. \+")


class Texts:
    """Pools of COPY-escaped strings to compose titles and descriptions from."""

    def __init__(self, rnd: random.Random, shared: Path | None) -> None:
        self.rnd = rnd
        streets: list[str] = []
        fi_titles = list(FI_TITLES)
        fi_sentences = list(FI_SENTENCES)
        replies = list(FI_REPLIES)
        self.points: list[tuple[float, float]] = []
        self.source = "templates only"
        if shared is not None and shared.exists():
            self.source = f"templates + {shared}"
            real_streets = set()
            for line in shared.open(encoding="utf-8"):
                row = json.loads(line)
                title = (row.get("title") or "").strip()
                title = " ".join(title.split())
                if title and not title.endswith("...") and 4 <= len(title) <= 120:
                    fi_titles.append(title.replace("{", "(").replace("}", ")"))
                for sentence in SENTENCE_SPLIT.split(" ".join((row.get("description") or "").split())):
                    if 20 <= len(sentence) <= 300 and not CLEAN_OUT.search(sentence):
                        fi_sentences.append(sentence.replace("{", "(").replace("}", ")"))
                answer = (row.get("answer") or "").split("Terveisin")[0].split("Ystävällisin")[0]
                answer = " ".join(answer.split())
                if 20 <= len(answer) <= 600 and not CLEAN_OUT.search(answer):
                    replies.append(answer.replace("{", "(").replace("}", ")"))
                address = (row.get("address") or "").split(",")[0]
                street = re.sub(r"\s+\d.*$", "", address).strip()
                if street and street[0].isupper() and " " not in street and len(street) < 40:
                    real_streets.add(street)
                if row.get("lat") and row.get("lon"):
                    lat, lon = float(row["lat"]), float(row["lon"])
                    if BBOX[0] <= lat <= BBOX[2] and BBOX[1] <= lon <= BBOX[3]:
                        self.points.append((lat, lon))
            streets.extend(sorted(real_streets))
        streets.extend(p + s for p in STREET_PREFIXES for s in STREET_SUFFIXES)
        rnd.shuffle(streets)
        self.streets = [esc(s) for s in streets]
        # Zipf-like popularity of streets: a few appear in thousands of cases, most in a handful.
        weights = 1.0 / np.arange(1, len(streets) + 1) ** 1.1
        self.street_cdf = np.cumsum(weights / weights.sum())
        self.titles = {"fi": [esc(t) for t in fi_titles], "sv": SV_TITLES, "en": EN_TITLES, **OTHER_TITLES}
        self.sentences = {"fi": [esc(s) for s in fi_sentences], "sv": SV_SENTENCES, "en": EN_SENTENCES,
                          **OTHER_SENTENCES}
        self.replies = [esc(r) for r in replies]
        self.counts = {"fi_titles": len(fi_titles), "fi_sentences": len(fi_sentences), "replies": len(replies),
                       "streets": len(streets), "points": len(self.points)}

    def street(self, u: float) -> str:
        return self.streets[int(np.searchsorted(self.street_cdf, u))]

    def compose(self, language: str, street: str, num: int) -> tuple[str, str]:
        rnd = self.rnd
        title = rnd.choice(self.titles[language]).format(street=street, num=num)[:200]
        pool = self.sentences[language]
        parts = [rnd.choice(pool) for _ in range(rnd.choice((1, 2, 2, 3, 3, 4)))]
        if rnd.random() < 0.5:
            parts.append(f"{street} {num}.")
        description = " ".join(parts).format(street=street, num=num)
        if rnd.random() < 0.3:
            description += "\\n\\n" + rnd.choice(pool).format(street=street, num=num)
        if language == "fi" and rnd.random() < 0.1:
            # A registration plate: the nearly unique words real texts are full of.
            plate = "".join(rnd.choice("ABCEFGHIJKLMNOPRSTUVXYZ") for _ in range(3))
            description += f" Rekisterinumero {plate}-{rnd.randint(1, 999)}."
        return title, description


# ------------------------------------------------------------------------------------------
# Reference data (ORM)

UNITS = [("kymp", "Kaupunkiympäristön toimiala"), ("kasko", "Kasvatuksen ja koulutuksen toimiala"),
         ("kuva", "Kulttuurin ja vapaa-ajan toimiala"), ("sote", "Sosiaali- ja terveystoimiala"),
         ("kanslia", "Kaupunginkanslia")]
DOMAINS = [
    ("katujen-kunnossapito", "Katujen kunnossapito", 0), ("puistot", "Puistot ja viheralueet", 0),
    ("liikenne", "Liikennejärjestelyt", 0), ("valaistus", "Katuvalaistus", 0), ("puhtaanapito", "Puhtaanapito", 0),
    ("talvihoito", "Talvikunnossapito", 0), ("pysakointi", "Pysäköinninvalvonta", 0), ("rakennusvalvonta",
    "Rakennusvalvonta", 0), ("ymparisto", "Ympäristöpalvelut", 0), ("joukkoliikenne", "Joukkoliikenne", 0),
    ("varhaiskasvatus", "Varhaiskasvatus", 1), ("perusopetus", "Perusopetus", 1), ("lukiot", "Lukiot", 1),
    ("kirjastot", "Kirjastot", 2), ("liikunta", "Liikuntapalvelut", 2), ("nuoriso", "Nuorisopalvelut", 2),
    ("kulttuuri", "Kulttuuripalvelut", 2), ("terveysasemat", "Terveysasemat", 3), ("sosiaalityo", "Sosiaalityö", 3),
    ("vanhuspalvelut", "Vanhuspalvelut", 3), ("suun-terveys", "Suun terveydenhuolto", 3),
    ("viestinta", "Viestintä", 4), ("tyollisyys", "Työllisyyspalvelut", 4), ("asuminen", "Asuminen", 0),
    ("maankaytto", "Maankäyttö ja kaavoitus", 0),
]
REGIONS = [("etela", "eteläinen"), ("ita", "itäinen"), ("lansi", "läntinen"), ("pohjoinen", "pohjoinen")]
AREAS = ["Eteläinen", "Läntinen", "Keskinen", "Pohjoinen", "Koillinen", "Kaakkoinen", "Itäinen", "Östersundom"]
CATEGORY_TREE = {
    "Kadut ja liikenne": ["Kuopat ja päällysteet", "Liikennemerkit", "Kyltit ja opasteet", "Katuvalaistus",
                          "Talvikunnossapito", "Pysäköinti", "Pyöräily"],
    "Puistot ja luonto": ["Puistot", "Leikkipuistot", "Metsät", "Koirapuistot", "Kaatuneet puut"],
    "Puhtaus": ["Ilkivalta", "Roskaaminen", "Töhryjen poisto", "Jäteastiat"],
    "Kasvatus ja koulutus": ["Päiväkodit", "Koulut", "Lukiot"],
    "Kulttuuri ja vapaa-aika": ["Kirjastot", "Uimahallit", "Tapahtumat"],
    "Sosiaali- ja terveys": ["Terveysasemat", "Sosiaalityö", "Vanhuspalvelut"],
}
KIND_SHARES = [(CaseKind.FEEDBACK, 0.45), (CaseKind.FAULT_REPORT, 0.25), (CaseKind.QUESTION, 0.15),
               (CaseKind.SERVICE_REQUEST, 0.10), (CaseKind.INTERNAL_REQUEST, 0.05)]


UNUSABLE_PASSWORD = "!bench-user-cannot-log-in"  # noqa: S105 - "!" prefix: Django's unusable password


def ascii_name(value: str) -> str:
    return value.lower().translate(str.maketrans("äöåé", "aoae"))


def create_reference_data(rnd: random.Random, n_groups: int, n_staff: int) -> dict[str, Any]:
    org = Organization.objects.create(slug="helsinki", name="Helsingin kaupunki", business_id="0201256-6",
                                      name_sv="Helsingfors stad", name_en="City of Helsinki")
    calendar = WorkingCalendar.objects.create(organization=org, name="Virka-aika")
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=d, opens=dt.time(8), closes=dt.time(16)) for d in range(5)
    )
    units = {code: Unit.objects.create(organization=org, code=code, name=name) for code, name in UNITS}
    unit_list = list(units.values())

    # Areas: a 4 x 2 grid over the city's bounding box.
    south, west, north, east = BBOX
    areas = []
    for i, name in enumerate(AREAS):
        row, col = divmod(i, 4)
        lat0 = south + (north - south) * row / 2
        lat1 = south + (north - south) * (row + 1) / 2
        lon0 = west + (east - west) * col / 4
        lon1 = west + (east - west) * (col + 1) / 4
        ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
        areas.append(area_save(organization=org, code=ascii_name(name), name=f"{name} suurpiiri",
                               geometry={"type": "Polygon", "coordinates": [ring]}))

    groups = [ServiceGroup(organization=org, unit=units["kanslia"], name="Asiakasneuvonta", code="neuvonta",
                           kind=ServiceGroup.Kind.ADVISORS, is_intake=True, calendar=calendar,
                           email="neuvonta@example.fi"),
              ServiceGroup(organization=org, unit=units["kymp"], name="Kunnossapitourakoitsija Oy", code="urakoitsija",
                           kind=ServiceGroup.Kind.PARTNER, calendar=calendar)]
    for code, name, unit_index in DOMAINS:
        for region_code, region in REGIONS:
            if len(groups) >= n_groups:
                break
            groups.append(ServiceGroup(organization=org, unit=unit_list[unit_index], name=f"{name}, {region} alue",
                                       code=f"{code}-{region_code}", calendar=calendar,
                                       email=f"{code}-{region_code}@example.fi"))
    ServiceGroup.objects.bulk_create(groups)
    groups = list(ServiceGroup.objects.filter(organization=org).order_by("pk"))

    # Case volume per group, Zipf-like: rank 1 gets ~19 %. The intake group is ranked 5th,
    # the partner group 60th, the expert groups in a shuffled order.
    experts = [g for g in groups if g.kind == ServiceGroup.Kind.EXPERTS]
    rnd.shuffle(experts)
    ranked = [*experts[:4], groups[0], *experts[4:58], groups[1], *experts[58:]]
    weights = 1.0 / np.arange(1, len(ranked) + 1)
    group_weights = {g.pk: w / weights.sum() for g, w in zip(ranked, weights, strict=True)}

    # Staff.
    roles: list[str] = (
        [Role.SERVICE_ADVISOR] * 12 + [Role.TECHNICAL_ADMIN] * 3 + [Role.CONTENT_ADMIN] * 4
        + [Role.REPORTER] * 5 + [Role.VIEWER] * 4 + [Role.EXTERNAL_PARTNER] * 3
    )
    roles += [Role.EXPERT] * (n_staff - len(roles))
    users = []
    for i, role in enumerate(roles):
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        users.append(User(username=f"staff{i + 1:04d}", first_name=first, last_name=last,
                          email=f"{ascii_name(first)}.{ascii_name(last)}.{i + 1}@hel.example.fi",
                          password=UNUSABLE_PASSWORD, is_staff=role != Role.EXTERNAL_PARTNER))
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith="staff").order_by("username"))
    Membership.objects.bulk_create(Membership(user=u, organization=org, role=r)
                                   for u, r in zip(users, roles, strict=True))
    for membership in Membership.objects.filter(role=Role.VIEWER):
        membership.areas.set(rnd.sample(areas, 2))

    members: dict[int, list[int]] = {g.pk: [] for g in groups}
    group_memberships = []
    expert_users = [u for u, r in zip(users, roles, strict=True) if r == Role.EXPERT]
    # Every expert group gets members in proportion to the square root of its volume (>= 2);
    # seats are dealt round-robin over the shuffled experts (one group each at 400 staff).
    expert_groups = [g for g in groups if g.kind == ServiceGroup.Kind.EXPERTS]
    seats = {g.pk: max(2, round(np.sqrt(group_weights[g.pk]) * 30)) for g in expert_groups}
    pool = list(expert_users)
    rnd.shuffle(pool)
    cursor = 0
    for g in expert_groups:
        for _ in range(seats[g.pk]):
            user = pool[cursor % len(pool)]
            cursor += 1
            if user.pk not in members[g.pk]:
                members[g.pk].append(user.pk)
    for u, r in zip(users, roles, strict=True):
        if r == Role.SERVICE_ADVISOR:
            members[groups[0].pk].append(u.pk)
        elif r == Role.EXTERNAL_PARTNER:
            members[groups[1].pk].append(u.pk)
    in_a_group = {pk for pks in members.values() for pk in pks}
    for user in expert_users:  # nobody left without a group
        if user.pk not in in_a_group:
            members[rnd.choice(expert_groups).pk].append(user.pk)
    for group_id, pks in members.items():
        for i, pk in enumerate(pks):
            group_memberships.append(GroupMembership(user_id=pk, service_group_id=group_id, is_lead=i == 0))
    GroupMembership.objects.bulk_create(group_memberships)

    case_types = {}
    for kind, _share in KIND_SHARES:
        case_types[kind] = CaseType.objects.create(organization=org, code=kind.replace("_", "-"), kind=kind,
                                                   name=str(kind.label))
    special = CaseType.objects.create(organization=org, code="sosiaalipalaute", kind=CaseKind.FEEDBACK,
                                      name="Palaute sosiaali- ja terveyspalveluista")
    special_groups = [g for g in groups if g.code.startswith("sosiaalityo")][:2] or groups[2:4]
    special.special_data_groups.set(special_groups)

    categories = []
    for parent_name, children in CATEGORY_TREE.items():
        parent = Category.objects.create(organization=org, code=ascii_name(parent_name).replace(" ", "-")[:60],
                                         name=parent_name)
        for child in children:
            categories.append(Category.objects.create(
                organization=org, parent=parent, code=ascii_name(child).replace(" ", "-")[:60], name=child,
                default_group=rnd.choice(expert_groups), keywords=child.lower()))
    # 30 categories in all (parents and children).
    return {
        "organization": org, "groups": groups, "group_weights": group_weights, "members": members,
        "advisors": [u.pk for u, r in zip(users, roles, strict=True) if r == Role.SERVICE_ADVISOR],
        "internal_customers": [], "areas": areas, "case_types": case_types, "special_type": special,
        "categories": categories, "all_categories": list(Category.objects.filter(organization=org)),
    }


# ------------------------------------------------------------------------------------------
# Bulk data


def fmt_ts(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(int(t)))


def fmt(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def line(values: list[Any]) -> str:
    return "\t".join(fmt(v) for v in values) + "\n"


class Generator:
    def __init__(self, n: int, seed: int, ref: dict[str, Any], texts: Texts, now: float) -> None:
        self.n = n
        self.ref = ref
        self.texts = texts
        self.now = now
        self.rng = np.random.default_rng(seed)
        self.rnd = random.Random(seed)
        self.seed = seed
        rng = self.rng
        span = YEARS * 365 * DAY
        start = now - span
        # created_at: volume growing ~30 % over the three years, weekdays and office hours more likely.
        u = rng.random(n * 2)
        days = np.where(rng.random(n * 2) < 0.8, u, np.sqrt(u)) * (span / DAY)
        day_start = start + np.floor(days) * DAY
        weekday = ((np.floor((day_start) / DAY) + 3) % 7).astype(int)  # 1970-01-01 was a Thursday
        keep = rng.random(n * 2) < np.where(weekday >= 5, 0.45, 1.0)
        day_start = day_start[keep][:n]
        if len(day_start) < n:
            raise RuntimeError("not enough candidate days")
        hours = rng.choice(24, size=n, p=self._hour_weights())
        created = day_start + hours * 3600 + rng.integers(0, 3600, n)
        created = np.minimum(created, now - 120)
        created.sort()
        self.created = created
        age = (now - created) / span
        # 60 % closed overall, older cases more often: p = a + 0.6 * age, a chosen for a mean of 0.6.
        self.closed = rng.random(n) < (0.6 - 0.6 * float(age.mean()) + 0.6 * age)
        open_status = rng.choice(3, size=n, p=[0.30, 0.55, 0.15])  # new, open, waiting
        self.status = np.where(self.closed, 3, open_status)
        duration = rng.exponential(6 * DAY, n) + 1800
        closed_at = np.minimum(created + duration, now - 60)
        open_last = created + rng.random(n) * (now - created)
        new_last = created + rng.random(n) * np.minimum(now - created, 2 * DAY)
        self.last = np.where(self.closed, closed_at, np.where(self.status == 0, new_last, open_last))
        self.last = np.maximum(self.last, created + 1)
        groups = list(ref["group_weights"])
        probs = np.array([ref["group_weights"][g] for g in groups])
        self.group = np.array(groups)[rng.choice(len(groups), size=n, p=probs / probs.sum())]
        self.n_entries = rng.integers(3, 6, n)
        self.language = rng.choice(np.array(["fi", "sv", "en", "ru", "et"]), size=n,
                                   p=[0.86, 0.07, 0.05, 0.01, 0.01])
        kinds = [k for k, _ in KIND_SHARES]
        self.kind = rng.choice(len(kinds), size=n, p=[s for _, s in KIND_SHARES])
        self.kinds = kinds
        self.special = rng.random(n) < 0.01
        self.has_location = rng.random(n) < 0.75
        self.has_email = rng.random(n) < 0.55
        self.has_phone = rng.random(n) < 0.2
        # Repeat customers: index ~ pool * u^2 (a few customers with hundreds of cases).
        self.customer = (np.floor(rng.random(n) ** 2 * max(1, n // 4))).astype(int)
        self.comment_request = rng.random(n) < 0.04
        self.info_share = rng.random(n) < 0.02
        self.forwarded = rng.random(n) < 0.05
        self.priority = rng.choice([1, 2, 3, 4], size=n, p=[0.05, 0.85, 0.08, 0.02])
        self.street_u = rng.random(n)
        self.years = np.array([time.gmtime(int(t)).tm_year for t in created])
        self.sequences: dict[int, int] = {}
        self.channels = [("web_form", 55), ("mobile_app", 12), ("email", 12), ("phone", 8), ("embedded_form", 4),
                         ("api", 3), ("chat", 2), ("walk_in", 1), ("social_media", 1), ("survey", 1)]
        self.channel_cdf = np.cumsum([w for _, w in self.channels]) / sum(w for _, w in self.channels)
        self.categories_by_group: dict[int, list[int]] = {}
        cats = [c.pk for c in ref["categories"]]
        for c in ref["categories"]:
            self.categories_by_group.setdefault(c.default_group_id, []).append(c.pk)
        self.cats = cats
        self.group_ids = groups
        self.group_probs = probs / probs.sum()
        self.group_cdf = np.cumsum(self.group_probs)
        self.timeline_id = 0
        self.case_category_id = 0
        self.request_id = 0
        self.share_id = 0
        self.stats = {"timeline": 0, "case_categories": 0, "comment_requests": 0, "shares": 0}

    @staticmethod
    def _hour_weights() -> np.ndarray:
        w = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 13, 12, 10, 8, 7, 6, 5, 4, 3, 2], dtype=float)
        return w / w.sum()

    def _reference(self, i: int) -> str:
        year = int(self.years[i])
        value = self.sequences.get(year, 0) + 1
        self.sequences[year] = value
        return f"{year}-{value:06d}"

    def _member(self, group_id: int) -> int | None:
        pks = self.ref["members"].get(group_id) or self.ref["advisors"]
        return self.rnd.choice(pks) if pks else None

    def _other_group(self, group_id: int) -> int:
        while True:
            index = min(int(np.searchsorted(self.group_cdf, self.rnd.random())), len(self.group_ids) - 1)
            g = int(self.group_ids[index])
            if g != group_id:
                return g

    def chunk(self, lo: int, hi: int) -> dict[str, list[str]]:
        ref, texts, rnd = self.ref, self.texts, self.rnd
        org_id = ref["organization"].pk
        case_types = ref["case_types"]
        special_type = ref["special_type"].pk
        areas = ref["areas"]
        out: dict[str, list[str]] = {"case": [], "category": [], "entry": [], "request": [], "share": []}
        south, west, north, east = BBOX
        points = texts.points
        for i in range(lo, hi):
            case_id = i + 1
            created = float(self.created[i])
            last = float(self.last[i])
            status_code = int(self.status[i])
            status = ("new", "open", "waiting", "closed")[status_code]
            closed = status_code == 3
            group = int(self.group[i])
            language = str(self.language[i])
            kind = self.kinds[int(self.kind[i])]
            special = bool(self.special[i])
            case_type = special_type if special else case_types[kind].pk
            if special:
                kind = CaseKind.FEEDBACK
            subtype = ""
            if kind == CaseKind.FEEDBACK:
                subtype = rnd.choice(("", "thanks", "complaint", "complaint", "complaint", "complaint", "wish",
                                      "wish", "wish", "idea"))
            u = rnd.random()
            channel = self.channels[int(np.searchsorted(self.channel_cdf, u))][0]
            if kind == CaseKind.INTERNAL_REQUEST:
                channel = "internal"
            street = texts.street(float(self.street_u[i]))
            num = rnd.randint(1, 120)
            title, description = texts.compose(language, street, num)
            lat = lon = area_id = None
            address = ""
            if self.has_location[i]:
                if points and rnd.random() < 0.7:
                    plat, plon = rnd.choice(points)
                    lat = min(max(plat + rnd.gauss(0, 0.004), south), north)
                    lon = min(max(plon + rnd.gauss(0, 0.008), west), east)
                else:
                    lat, lon = rnd.uniform(south, north), rnd.uniform(west, east)
                lat, lon = round(lat, 6), round(lon, 6)
                row = min(int((lat - south) / (north - south) * 2), 1)
                col = min(int((lon - west) / (east - west) * 4), 3)
                area_id = areas[row * 4 + col].pk
                address = f"{street} {num}, Helsinki"
            customer = int(self.customer[i])
            first = FIRST_NAMES[customer % len(FIRST_NAMES)]
            last_name = LAST_NAMES[(customer // len(FIRST_NAMES)) % len(LAST_NAMES)]
            email = (f"{ascii_name(first)}.{ascii_name(last_name)}{customer}@"
                     f"{('example.fi', 'example.com', 'example.org')[customer % 3]}") if self.has_email[i] else ""
            phone = f"+35840{customer:07d}" if self.has_phone[i] else ""
            name = f"{first} {last_name}" if (email or phone) and rnd.random() < 0.8 else ""
            answer_requested = bool(email or phone) and rnd.random() < 0.7
            consent = "Annan suostumuksen yhteystietojeni käsittelyyn." if answer_requested else ""
            handler = None
            if status != "new" or rnd.random() < 0.2:
                handler = self._member(group)
            resolution = public_works = ""
            merged_into = None
            if closed:
                r = rnd.random()
                resolution = ("answered" if r < 0.6 else "no_answer_needed" if r < 0.9
                              else "unnecessary" if r < 0.98 else "merged")
                if resolution == "merged" and case_id > 1:
                    merged_into = rnd.randint(max(1, case_id - 5000), case_id - 1)
                if kind == CaseKind.FAULT_REPORT:
                    public_works = rnd.choice(("PUBLIC_WORKS_COMPLETED", "PUBLIC_WORKS_COMPLETED",
                                               "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER",
                                               "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION"))
            elif kind == CaseKind.FAULT_REPORT and status == "open" and rnd.random() < 0.5:
                public_works = rnd.choice(("PUBLIC_WORKS_NEW", "PUBLIC_WORKS_IN_PROGRESS"))
            due = created + 14 * DAY if kind != CaseKind.FEEDBACK or answer_requested else None

            # --- timeline ---
            n_entries = int(self.n_entries[i])
            moments = sorted(rnd.uniform(created, last) for _ in range(n_entries - 2))
            moments = [created, *moments, last]
            request_id = None
            request_answered = False
            answered_by = None
            if self.comment_request[i]:
                self.request_id += 1
                request_id = self.request_id
                other = self._other_group(group)
                from_user = self._member(other) if rnd.random() < 0.3 else None
                asked_at = moments[1]
                request_answered = closed or rnd.random() < 0.4
                cr_status = ("answered" if request_answered else "pending") if rnd.random() < 0.95 else "cancelled"
                answered_by = (from_user or self._member(other)) if cr_status == "answered" else None
                answered_at = moments[2] if cr_status == "answered" else None
                out["request"].append(line([
                    request_id, case_id, handler or self._member(group), from_user, other,
                    esc(rnd.choice(FI_QUESTIONS)), fmt_ts(asked_at + 7 * DAY), cr_status,
                    esc(rnd.choice(FI_ANSWERS)) if answered_by else "", answered_by,
                    fmt_ts(answered_at) if answered_at else None, fmt_ts(asked_at),
                ]))
                self.share_id += 1
                out["share"].append(line([self.share_id, case_id, None, other, "comment_request", fmt_ts(asked_at)]))
                if from_user:
                    self.share_id += 1
                    out["share"].append(line([self.share_id, case_id, from_user, None, "comment_request",
                                              fmt_ts(asked_at)]))
                self.stats["comment_requests"] += 1
            if self.info_share[i]:
                self.share_id += 1
                out["share"].append(line([self.share_id, case_id, None, self._other_group(group), "information",
                                          fmt_ts(moments[1])]))
            forwarded_from = None
            if self.forwarded[i]:
                forwarded_from = self._other_group(group)
                self.share_id += 1
                out["share"].append(line([self.share_id, case_id, None, forwarded_from, "forwarded_from",
                                          fmt_ts(moments[1])]))

            # Slots: 0 = created, the last = the latest activity; comment requests, forwards and
            # replies take the first free slots, the rest are notes, handler and classification changes.
            contact = bool(email or phone)
            slots: list[str | None] = [None] * n_entries
            slots[0] = "created"
            if closed:
                slots[-1] = "status_change"
            elif status == "waiting" and contact:
                slots[-1] = "outbound_reply"
            if request_id is not None:
                slots[1] = "comment_request"
                if request_answered and slots[2] is None:
                    slots[2] = "comment_reply"
            elif forwarded_from is not None:
                slots[1] = "forward"
            if closed and resolution == "answered" and contact and slots[-2] is None:
                slots[-2] = "outbound_reply"
            actor = handler or self._member(group)
            entries = []
            for k, slot in enumerate(slots):
                at = moments[k]
                kind_ = slot
                if kind_ is None:
                    r = rnd.random()
                    if r < 0.25 and status != "new":
                        kind_ = "handler_change"
                    elif r < 0.55:
                        kind_ = "internal_note"
                    elif r < 0.75 and contact and status != "new":
                        kind_ = "outbound_reply"
                    elif r < 0.85 and contact:
                        kind_ = "inbound_message"
                    else:
                        kind_ = "classification_change"
                if kind_ == "created":
                    entries.append((kind_, None, esc(name), "", json.dumps({"channel": channel}), False, "", None, at))
                elif kind_ == "status_change":
                    entries.append((kind_, actor, "", "", json.dumps(
                        {"from": "open", "to": "closed", "resolution": resolution}), True, "", None, at))
                elif kind_ == "outbound_reply":
                    entries.append((kind_, actor, "", rnd.choice(texts.replies), json.dumps({"to": email or phone}),
                                    False, "sent" if email else "", None, at))
                elif kind_ == "comment_request":
                    entries.append((kind_, actor, "", esc(rnd.choice(FI_QUESTIONS)), "{}", True, "", request_id, at))
                elif kind_ == "comment_reply":
                    entries.append((kind_, answered_by or actor, "", esc(rnd.choice(FI_ANSWERS)), "{}", True, "",
                                    request_id, at))
                elif kind_ == "forward":
                    entries.append((kind_, actor, "", "", json.dumps(
                        {"from_group": forwarded_from, "to_group": group, "handler": None}), True, "", None, at))
                elif kind_ == "handler_change":
                    entries.append((kind_, actor, "", "", json.dumps({"from": None, "to": actor}), True, "", None, at))
                elif kind_ == "internal_note":
                    entries.append((kind_, actor, "", esc(rnd.choice(FI_NOTES)), "{}", True, "", None, at))
                elif kind_ == "inbound_message":
                    pool = texts.sentences.get(language, texts.sentences["fi"])
                    entries.append((kind_, None, esc(name), rnd.choice(pool).format(street=street, num=num), "{}",
                                    False, "", None, at))
                else:
                    entries.append((kind_, actor, "", "", json.dumps(
                        {"changes": {"priority": [2, int(self.priority[i])]}}), True, "", None, at))
            replies = [e[8] for e in entries if e[0] == "outbound_reply"]
            first_response = min(replies) if replies else None
            for kind_, actor_, label, body, data, internal, delivery, cr, at in entries:
                self.timeline_id += 1
                out["entry"].append(line([self.timeline_id, case_id, kind_, actor_, label, body, esc(data), internal,
                                          delivery, cr, "", fmt_ts(at)]))
            self.stats["timeline"] += len(entries)

            # --- categories ---
            home = self.categories_by_group.get(group)
            primary = rnd.choice(home) if home and rnd.random() < 0.7 else rnd.choice(self.cats)
            self.case_category_id += 1
            out["category"].append(line([self.case_category_id, case_id, primary, True]))
            if rnd.random() < 0.3:
                second = rnd.choice(self.cats)
                if second != primary:
                    self.case_category_id += 1
                    out["category"].append(line([self.case_category_id, case_id, second, False]))

            published = closed and rnd.random() < 0.04 and not special
            token = hashlib.blake2b(f"{self.seed}:{case_id}".encode(), digest_size=24).hexdigest()
            out["case"].append(line([
                case_id, org_id, self._reference(i), case_type, subtype, channel, language, title, description,
                lat, lon, address, area_id, esc(name), email, phone,
                rnd.choice(("", "", "resident", "resident", "resident", "business", "visitor")),
                answer_requested, consent, "checkbox" if consent else "", fmt_ts(created) if consent else None,
                None, status, resolution, public_works, int(self.priority[i]), group, handler,
                fmt_ts(due) if due else None, special,
                title if published else "", description if published else "",
                rnd.choice(texts.replies) if published else "", published,
                fmt_ts(last) if published else None, merged_into, token,
                fmt_ts(created), fmt_ts(last), fmt_ts(last),
                fmt_ts(first_response) if first_response else None, fmt_ts(last) if closed else None,
                "{}",  # form_answers: the bench's cases come from no form with extra questions
            ]))
        self.stats["case_categories"] = self.case_category_id
        self.stats["shares"] = self.share_id
        return out


# ------------------------------------------------------------------------------------------
# Database helpers


def conninfo() -> str:
    db = settings.DATABASES["default"]
    parts = {"dbname": db["NAME"], "user": db.get("USER") or "", "password": db.get("PASSWORD") or "",
             "host": db.get("HOST") or "", "port": str(db.get("PORT") or "")}
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def raw_connect() -> psycopg.Connection:
    conn = psycopg.connect(conninfo(), autocommit=True)
    conn.execute("SET synchronous_commit = off")
    return conn


def secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(table, index, definition) of the bulk tables' indexes that do not back a constraint."""
    return conn.execute(
        """
        SELECT t.relname, i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY t.relname, i.relname
        """,
        [BULK_TABLES],
    ).fetchall()


def foreign_keys(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'f' AND t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
        ORDER BY 1, 2
        """,
        [BULK_TABLES],
    ).fetchall()


def run_parallel(statements: list[str], workers: int) -> None:
    """Run independent statements on `workers` connections."""
    todo: queue.Queue[str] = queue.Queue()
    for s in statements:
        todo.put(s)
    errors: list[BaseException] = []

    def work() -> None:
        with raw_connect() as conn:
            conn.autocommit = True
            conn.execute("SET maintenance_work_mem = '1GB'")
            while True:
                try:
                    statement = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    started = time.perf_counter()
                    conn.execute(statement)
                    print(f"    {time.perf_counter() - started:7.1f}s  {statement[:110]}", flush=True)
                except BaseException as exc:
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class Phases:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.started = time.perf_counter()

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        print(f"--> {name}", flush=True)
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        self.times[name] = round(time.perf_counter() - t0, 2)
        print(f"<-- {name}: {self.times[name]:.1f}s", flush=True)
        return result


def reset_schema() -> None:
    with connection.cursor() as cursor:
        # Recreated as PostgreSQL 15 creates it, so that a schema dump equals a fresh migrate's.
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
        cursor.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        cursor.execute("COMMENT ON SCHEMA public IS 'standard public schema'")


def copy_lines(conn: psycopg.Connection, table: str, columns: list[str], lines: list[str]) -> None:
    if not lines:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf: list[str] = []
        size = 0
        for ln in lines:
            buf.append(ln)
            size += len(ln)
            if size > 4_000_000:
                copy.write("".join(buf))
                buf, size = [], 0
        if buf:
            copy.write("".join(buf))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2, help="connections for the SQL phases (default 2)")
    parser.add_argument("--movers", type=int, default=2,
                        help="connections moving staged cases into cases_case (computing the vectors)")
    parser.add_argument("--reset", action="store_true", help="drop the public schema first")
    parser.add_argument("--keep-indexes", action="store_true", help="load with the indexes in place")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point to PostgreSQL (see bench/pg.sh).")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0]
    phases = Phases()
    if args.reset:
        phases.run("reset schema", reset_schema)
    phases.run("migrate", call_command, "migrate", verbosity=0)
    if Case.objects.exists() or Organization.objects.exists():
        sys.exit("The database already holds data: run with --reset to start again.")

    rnd = random.Random(args.seed)
    shared_dir = Path(os.environ.get("SHARED_DATA_DIR") or settings.SHARED_DATA_DIR)
    feedback = shared_dir / "helsinki_feedback_2014_2015.jsonl"
    if not feedback.exists():
        fallback = Path("/work/shared/data/helsinki_feedback_2014_2015.jsonl")
        feedback = fallback if fallback.exists() else feedback
    texts = Texts(rnd, feedback if feedback.exists() else None)
    print(f"texts: {texts.source} {texts.counts}")
    ref = phases.run("reference data (ORM)", create_reference_data, rnd, args.groups, args.staff)
    now = time.time()
    gen = phases.run("draw distributions", Generator, args.cases, args.seed, ref, texts, now)

    conn = raw_connect()
    indexes = secondary_indexes(conn)
    fks = foreign_keys(conn)

    def drop() -> None:
        with conn.transaction():
            for table, name, _definition in fks:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            if not args.keep_indexes:
                for _table, name, _definition in indexes:
                    conn.execute(f'DROP INDEX "{name}"')

    phases.run(f"drop {len(indexes)} secondary indexes and {len(fks)} foreign keys", drop)

    def load() -> None:
        """Python generates chunk k+1 while PostgreSQL moves chunk k into cases_case.

        Each chunk's cases are copied to an unlogged staging table; another connection then
        runs INSERT INTO cases_case SELECT ..., <search vector expression> FROM the staging table
        (so every case row is written once, with its vector) and drops it.
        """
        columns = ", ".join(CASE_COLUMNS)
        pending: queue.Queue[str | None] = queue.Queue(maxsize=2)
        errors: list[BaseException] = []
        moved = {"seconds": 0.0}  # summed over the movers

        def mover() -> None:
            with raw_connect() as conn2:
                while (stage := pending.get()) is not None:
                    if errors:
                        continue
                    try:
                        t0 = time.perf_counter()
                        with conn2.transaction():
                            conn2.execute(f"INSERT INTO cases_case ({columns}, search_vector) "
                                          f"SELECT {columns}, {SEARCH_VECTOR_SQL} FROM {stage}")
                            conn2.execute(f"DROP TABLE {stage}")
                        moved["seconds"] += time.perf_counter() - t0
                    except BaseException as exc:
                        errors.append(exc)

        threads = [threading.Thread(target=mover) for _ in range(args.movers)]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        try:
            for number, lo in enumerate(range(0, args.cases, args.chunk)):
                if errors:
                    break
                hi = min(lo + args.chunk, args.cases)
                rows = gen.chunk(lo, hi)
                stage = f"{STAGE}_{number}"
                with conn.transaction():
                    conn.execute(f"CREATE UNLOGGED TABLE {stage} (LIKE cases_case INCLUDING DEFAULTS)")
                    copy_lines(conn, stage, CASE_COLUMNS, rows["case"])
                    copy_lines(conn, "cases_casecategory", CATEGORY_COLUMNS, rows["category"])
                    copy_lines(conn, "cases_commentrequest", REQUEST_COLUMNS, rows["request"])
                    copy_lines(conn, "cases_timelineentry", ENTRY_COLUMNS, rows["entry"])
                    copy_lines(conn, "cases_caseshare", SHARE_COLUMNS, rows["share"])
                pending.put(stage)
                elapsed = time.perf_counter() - started
                print(f"    {hi:>9,} cases  {gen.stats['timeline']:>10,} entries  {elapsed:7.1f}s "
                      f"({hi / elapsed:,.0f} cases/s; vectors {moved['seconds']:.0f}s so far)", flush=True)
        finally:
            for _thread in threads:
                pending.put(None)
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]
        print(f"    time spent computing search vectors and moving cases (overlapped): {moved['seconds']:.1f}s")

    phases.run("generate + COPY + search_vector (pipelined: cases via staging, categories, timeline, "
               "comment requests, shares)", load)

    def recreate() -> None:
        statements = [] if args.keep_indexes else [d for _t, _n, d in indexes]
        # Biggest first so that the two connections finish together.
        statements.sort(key=lambda s: (" gin " not in s, "timelineentry" not in s))
        run_parallel(statements, args.workers)

    phases.run("re-create secondary indexes", recreate)

    def add_fks() -> None:
        run_parallel([f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in fks],
                     1)

    phases.run("re-add (and validate) foreign keys", add_fks)

    def finish() -> None:
        with conn.transaction():
            for table in BULK_TABLES:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"GREATEST((SELECT max(id) FROM {table}), 1))")
        ReferenceSequence.objects.bulk_create(
            ReferenceSequence(organization=ref["organization"], year=year, last_value=value)
            for year, value in sorted(gen.sequences.items())
        )

    phases.run("sequences and reference numbers", finish)

    def vacuum() -> None:
        conn.autocommit = True
        run_parallel([f"VACUUM (ANALYZE) {t}" for t in
                      ["cases_timelineentry", "cases_case", "cases_casecategory", "cases_commentrequest",
                       "cases_caseshare"]], args.workers)
        conn.execute("ANALYZE")

    phases.run("VACUUM ANALYZE", vacuum)

    def check_vectors() -> int:
        """Stored vectors must equal what case_refresh_search_vector's SearchVector computes."""
        from django.contrib.postgres.search import SearchVector

        mismatches = 0
        sample = [int(x) for x in np.random.default_rng(args.seed).integers(1, args.cases + 1, 500)]
        sample += list(Case.objects.exclude(language="fi").values_list("pk", flat=True)[:100])
        for language in ("fi", "sv", "en", "ru", "et"):
            config = {"fi": "finnish", "sv": "swedish", "en": "english"}.get(language, "simple")
            expected = (SearchVector("title", weight="A", config=config)
                        + SearchVector("description", weight="B", config=config)
                        + SearchVector("reference", "title", "description", weight="D", config="simple"))
            rows = (Case.objects.filter(pk__in=sample, language=language).annotate(expected=expected)
                    .values_list("pk", "search_vector", "expected"))
            for pk, stored, computed in rows:
                if stored != computed:
                    mismatches += 1
                    print(f"    search_vector differs for case {pk}")
        print(f"    compared {len(set(sample))} cases")
        return mismatches

    mismatches = phases.run("check search_vector against Django's SearchVector", check_vectors)

    total = round(time.perf_counter() - phases.started, 1)
    sizes = conn.execute(
        """
        SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid)
        FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY 2 DESC
        """,
        [BULK_TABLES],
    ).fetchall()
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in BULK_TABLES}
    status_counts = dict(conn.execute("SELECT status, count(*) FROM cases_case GROUP BY 1 ORDER BY 1").fetchall())
    group_sizes = [r[0] for r in conn.execute(
        "SELECT count(*) FROM cases_case GROUP BY owner_group_id ORDER BY 1 DESC").fetchall()]
    db_size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    conn.close()

    print("\n== generation summary ==")
    print(f"cases: {args.cases:,}  seed: {args.seed}  total: {total:.1f}s ({total / 60:.1f} min)")
    for name, seconds in phases.times.items():
        print(f"  {seconds:8.1f}s  {name}")
    print(f"rows: {counts}")
    print(f"status: {status_counts}")
    print(f"group sizes: largest {group_sizes[:5]}, median {group_sizes[len(group_sizes) // 2]}, "
          f"smallest {group_sizes[-1]}")
    for name, total_size, heap, idx in sizes:
        print(f"  {name:24} total {total_size / 2**20:8.0f} MB  heap {heap / 2**20:7.0f} MB  "
              f"indexes {idx / 2**20:7.0f} MB")
    print(f"database size: {db_size / 2**30:.2f} GB; search_vector mismatches: {mismatches}")

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    out = results / f"generate-{args.cases}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({
        "cases": args.cases, "seed": args.seed, "postgres": pg_version, "total_seconds": total,
        "phases": phases.times, "rows": counts, "status": status_counts, "group_sizes": group_sizes,
        "sizes": {n: {"total": t, "heap": h, "indexes": i} for n, t, h, i in sizes}, "database_bytes": db_size,
        "texts": texts.counts, "search_vector_mismatches": mismatches,
    }, indent=2))
    print(f"written {out}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
