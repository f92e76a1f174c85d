"""The demo city's contact form: topics in residents' words (two of them handled elsewhere, R10.8),
their questions, the form's consent text and an address list for the address search.

Built after the organisation and its categories, with its own random generator, so that the rest of
the demo city stays exactly what the same seed gave before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from civicdesk.demo.catalogue import DISTRICTS, Translated
from civicdesk.intake.models import (
    AddressPoint,
    ContactFormSettings,
    LocationNeed,
    QuestionKind,
    Topic,
    TopicQuestion,
    address_key,
)
from civicdesk.intake.models import ContactKind as K


def _t(fi: str, sv: str, en: str) -> Translated:
    return Translated(fi, sv, en)


@dataclass(frozen=True)
class QuestionSpec:
    label: Translated
    kind: str
    required: bool = False
    choices: Translated | None = None


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: Translated
    description: Translated
    keywords: Translated
    category: str | None
    kinds: tuple[str, ...] = ()
    location: str = LocationNeed.OPTIONAL
    photos: bool = False
    questions: tuple[QuestionSpec, ...] = ()
    redirect_url: str = ""
    redirect_text: Translated | None = None


FEEDBACK = (K.THANKS, K.COMPLAINT, K.WISH, K.IDEA, K.QUESTION)
DANGEROUS = QuestionSpec(_t("Onko kohta vaarallinen?", "Är stället farligt?", "Is it dangerous?"), QuestionKind.YES_NO,
                         required=True)
NOTICED = QuestionSpec(_t("Milloin huomasit asian?", "När märkte du det?", "When did you notice it?"),
                       QuestionKind.DATE)

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "kuoppa", _t("Kuoppa tai rikkinäinen katu", "Grop eller trasig gata", "Pothole or broken street"),
        _t("Kuoppa, irtonainen reunakivi tai kaivonkansi kadulla, jalkakäytävällä tai pyörätiellä.",
           "En grop, en lös kantsten eller ett brunnslock på gatan, trottoaren eller cykelvägen.",
           "A pothole, loose kerb or manhole cover on a street, pavement or cycle path."),
        _t("kuoppa, asfaltti, reunakivi, kaivonkansi, pyörätie", "grop, asfalt, kantsten, brunnslock, cykelväg",
           "pothole, asphalt, kerb, manhole, cycle path"),
        "katujen-kunto", (K.FAULT_REPORT, K.COMPLAINT, K.WISH), LocationNeed.REQUIRED, True,
        (QuestionSpec(_t("Missä kohta on?", "Var finns stället?", "Where is it?"), QuestionKind.CHOICE,
                      choices=_t("Ajoradalla\nJalkakäytävällä\nPyörätiellä",
                                 "På körbanan\nPå trottoaren\nPå cykelvägen",
                                 "On the road\nOn the pavement\nOn the cycle path")),
         DANGEROUS),
    ),
    TopicSpec(
        "lumi-ja-liukkaus", _t("Auraamaton tai liukas katu", "Oplogad eller hal gata", "Snow or ice on a street"),
        _t("Katu, jalkakäytävä tai pyörätie on auraamatta tai hiekoittamatta.",
           "En gata, trottoar eller cykelväg är inte plogad eller sandad.",
           "A street, pavement or cycle path has not been ploughed or gritted."),
        _t("lumi, auraus, hiekoitus, liukas, jää", "snö, plogning, sandning, halt, is", "snow, ploughing, grit, ice"),
        "talvikunnossapito", (K.FAULT_REPORT, K.COMPLAINT), LocationNeed.REQUIRED, False, (NOTICED,),
    ),
    TopicSpec(
        "roskat", _t("Roskia tai täysi roska-astia", "Skräp eller full papperskorg", "Litter or a full bin"),
        _t("Roskia puistossa tai kadulla, täysi tai rikkinäinen roska-astia.",
           "Skräp i en park eller på gatan, en full eller trasig papperskorg.",
           "Litter in a park or street, a full or broken bin."),
        _t("roska, roskis, jäte, siivous", "skräp, papperskorg, avfall, städning", "litter, bin, rubbish, cleaning"),
        "roskaaminen", (K.FAULT_REPORT, K.COMPLAINT, K.WISH), LocationNeed.REQUIRED, True,
    ),
    TopicSpec(
        "ilkivalta", _t("Rikottu penkki, katos tai muu ilkivalta", "Förstörd bänk, skydd eller annan skadegörelse",
                        "Broken bench, shelter or other vandalism"),
        _t("Jotain yleisellä alueella on rikottu tai kaadettu.",
           "Något på ett allmänt område har förstörts eller vält.",
           "Something in a public place has been broken or knocked over."),
        _t("ilkivalta, penkki, katos, rikki", "skadegörelse, bänk, skydd, trasig", "vandalism, bench, shelter, broken"),
        "ilkivalta", (K.FAULT_REPORT,), LocationNeed.REQUIRED, True, (DANGEROUS,),
    ),
    TopicSpec(
        "toherrys", _t("Töhryjä tai tarroja", "Klotter eller klistermärken", "Graffiti or stickers"),
        _t("Töhryjä seinässä, sillassa tai muussa rakenteessa.", "Klotter på en vägg, bro eller annan konstruktion.",
           "Graffiti on a wall, bridge or other structure."),
        _t("graffiti, töhry, tarra, maalaus", "graffiti, klotter, klistermärke", "graffiti, tag, sticker, paint"),
        "tohryt", (K.FAULT_REPORT,), LocationNeed.REQUIRED, True,
    ),
    TopicSpec(
        "leikkipuisto", _t("Leikkipuisto tai ulkokuntosali", "Lekpark eller utegym", "Playground or outdoor gym"),
        _t("Rikkinäinen keinu, liukumäki tai kuntoilulaite, tai toive leikkipuistoon.",
           "En trasig gunga, rutschkana eller ett träningsredskap, eller en önskan om lekparken.",
           "A broken swing, slide or exercise machine, or a wish for the playground."),
        _t("leikkipuisto, keinu, liukumäki, hiekkalaatikko", "lekpark, gunga, rutschkana, sandlåda",
           "playground, swing, slide, sandpit"),
        "leikkipuistot", (K.FAULT_REPORT, K.WISH, K.THANKS), LocationNeed.REQUIRED, True,
        (QuestionSpec(_t("Voiko väline satuttaa lasta?", "Kan redskapet skada ett barn?", "Could it hurt a child?"),
                      QuestionKind.YES_NO, required=True),),
    ),
    TopicSpec(
        "puistot", _t("Puistot, nurmikot ja istutukset", "Parker, gräsmattor och planteringar",
                      "Parks, lawns and plantings"),
        _t("Palautetta ja toiveita puistoista ja viheralueista.", "Respons och önskemål om parker och grönområden.",
           "Feedback and wishes about parks and green areas."),
        _t("puisto, nurmikko, kukat, pensas", "park, gräsmatta, blommor, buske", "park, lawn, flowers, bushes"),
        "puistot", (*FEEDBACK, K.FAULT_REPORT), LocationNeed.OPTIONAL, True,
    ),
    TopicSpec(
        "kaatunut-puu", _t("Kaatunut tai vaarallinen puu", "Fallet eller farligt träd", "Fallen or dangerous tree"),
        _t("Puu on kaatunut polulle tai näyttää vaaralliselta.",
           "Ett träd har fallit över en stig eller ser farligt ut.",
           "A tree has fallen across a path or looks dangerous."),
        _t("puu, myrsky, oksa, metsä", "träd, storm, gren, skog", "tree, storm, branch, forest"),
        "metsat", (K.FAULT_REPORT,), LocationNeed.REQUIRED, True, (DANGEROUS,),
    ),
    TopicSpec(
        "liikennemerkit", _t("Liikennemerkki tai liikennevalot", "Trafikmärke eller trafikljus",
                             "Traffic sign or traffic lights"),
        _t("Kaatunut tai vino merkki, rikkinäiset liikennevalot tai toive liikennejärjestelyistä.",
           "Ett vält eller snett märke, trasiga trafikljus eller en önskan om trafiken.",
           "A fallen or crooked sign, broken traffic lights or a wish about traffic arrangements."),
        _t("liikennemerkki, liikennevalot, suojatie", "trafikmärke, trafikljus, övergångsställe",
           "traffic sign, traffic lights, crossing"),
        "liikennemerkit", (K.FAULT_REPORT, K.WISH), LocationNeed.REQUIRED, False,
    ),
    TopicSpec(
        "pysakointi", _t("Pysäköinti", "Parkering", "Parking"),
        _t("Kysymykset ja palaute pysäköinnistä ja asukaspysäköinnistä.",
           "Frågor och respons om parkering och boendeparkering.", "Questions and feedback about parking."),
        _t("pysäköinti, parkkipaikka, auto, asukaspysäköinti", "parkering, parkeringsplats, bil",
           "parking, car park, car, resident parking"),
        "pysakointi", (K.QUESTION, K.COMPLAINT, K.WISH), LocationNeed.OPTIONAL, False,
        (QuestionSpec(_t("Montako autoa?", "Hur många bilar?", "How many cars?"), QuestionKind.NUMBER),),
    ),
    TopicSpec(
        "melu", _t("Melu tai häiriö", "Buller eller störning", "Noise or disturbance"),
        _t("Rakennustyömaan, liikenteen tai tapahtuman melu.", "Buller från byggplatser, trafik eller evenemang.",
           "Noise from building sites, traffic or events."),
        _t("melu, meteli, työmaa, ääni", "buller, oväsen, byggplats, ljud", "noise, building site, sound"),
        "melu", (K.COMPLAINT, K.QUESTION), LocationNeed.OPTIONAL, False, (NOTICED,),
    ),
    TopicSpec(
        "kirjastot", _t("Kirjastot", "Bibliotek", "Libraries"),
        _t("Palautetta kirjastoista, aukioloajoista ja kokoelmista.",
           "Respons om bibliotek, öppettider och samlingar.", "Feedback on libraries, opening hours and collections."),
        _t("kirjasto, kirja, laina, aukiolo", "bibliotek, bok, lån, öppettider", "library, book, loan, opening hours"),
        "kirjastot", FEEDBACK, LocationNeed.NONE,
    ),
    TopicSpec(
        "varhaiskasvatus", _t("Päiväkodit ja varhaiskasvatus", "Daghem och småbarnspedagogik",
                              "Day care and early education"),
        _t("Päiväkotipaikat, maksut ja palaute päiväkodeista.", "Daghemsplatser, avgifter och respons om daghem.",
           "Day-care places, fees and feedback on day-care centres."),
        _t("päiväkoti, päivähoito, hoitopaikka, lapsi", "daghem, dagvård, barn", "day care, nursery, child"),
        "varhaiskasvatus", (K.QUESTION, K.COMPLAINT, K.THANKS, K.WISH), LocationNeed.NONE,
    ),
    TopicSpec(
        "uimahallit", _t("Uimahallit ja liikuntapaikat", "Simhallar och idrottsplatser", "Swimming pools and sports"),
        _t("Uimahallit, kuntosalit, kentät ja ladut.", "Simhallar, gym, planer och skidspår.",
           "Swimming pools, gyms, sports fields and ski tracks."),
        _t("uimahalli, kuntosali, latu, kenttä", "simhall, gym, skidspår, plan", "swimming pool, gym, ski track"),
        "uimahallit", FEEDBACK, LocationNeed.NONE,
    ),
    TopicSpec(
        "verkkosivut", _t("Kaupungin verkkosivut ja asiointi", "Stadens webbplats och e-tjänster",
                          "The city's website and e-services"),
        _t("Palautetta verkkosivuista ja sähköisistä palveluista.", "Respons om webbplatsen och e-tjänsterna.",
           "Feedback on the website and online services."),
        _t("verkkosivu, asiointi, lomake, linkki", "webbplats, e-tjänst, blankett, länk", "website, e-service, link"),
        "verkkosivut", FEEDBACK, LocationNeed.NONE, True,
    ),
    TopicSpec(
        "joukkoliikenne", _t("Bussit, lautat ja pysäkit", "Bussar, färjor och hållplatser", "Buses, ferries and stops"),
        _t("Aikataulut, reitit, kuljettajat ja pysäkit.", "Tidtabeller, linjer, förare och hållplatser.",
           "Timetables, routes, drivers and stops."),
        _t("bussi, lautta, pysäkki, aikataulu, joukkoliikenne", "buss, färja, hållplats, tidtabell, kollektivtrafik",
           "bus, ferry, stop, timetable, public transport"),
        None, redirect_url="https://seutuliikenne.example/palaute",
        redirect_text=_t(
            "Joukkoliikenteestä vastaa Merilahden seudun liikenne. Anna palaute busseista, lautoista ja pysäkeistä "
            "suoraan sen palautepalvelussa, niin se menee heti oikeille ihmisille.",
            "Kollektivtrafiken sköts av Havsviksregionens trafik. Ge respons om bussar, färjor och hållplatser direkt "
            "i deras responstjänst, så når den genast rätt personer.",
            "Public transport is run by the Merilahti regional transport authority. Give feedback on buses, ferries "
            "and stops in their feedback service, so it reaches the right people at once."),
    ),
    TopicSpec(
        "katuvalo",
        _t("Pimeä tai vilkkuva katuvalo", "Släckt eller blinkande gatlykta", "Street light out or flickering"),
        _t("Katuvalo ei pala, vilkkuu tai palaa päivällä.", "En gatlykta lyser inte, blinkar eller lyser på dagen.",
           "A street light is out, flickers or is on during the day."),
        _t("katuvalo, valaisin, lamppu, pimeä", "gatlykta, belysning, lampa, mörkt", "street light, lamp, dark"),
        None, redirect_url="https://valaistus.example/vikailmoitus",
        redirect_text=_t(
            "Katuvalojen viat korjaa kaupungin valaistusurakoitsija. Ilmoita viasta sen vikailmoituspalvelussa: "
            "tarvitset valaisinpylvään numeron tai osoitteen.",
            "Fel på gatubelysningen repareras av stadens belysningsentreprenör. Anmäl felet i deras felanmälan: "
            "du behöver stolpens nummer eller adressen.",
            "Street-light faults are repaired by the city's lighting contractor. Report the fault in their service: "
            "you need the number on the lamp post or the address."),
    ),
)

CONSENT = _t(
    "Hyväksyn, että Merilahden kaupunki käsittelee antamiani tietoja viestini käsittelemiseksi.",
    "Jag godkänner att Havsviks stad behandlar de uppgifter jag lämnar för att handlägga mitt ärende.",
    "I agree that the City of Merilahti processes the information I give to handle my message.",
)
INTRO = _t(
    "Mistä viestisi kertoo? Valitse aihe, joka on lähimpänä asiaasi, tai hae hakusanalla.",
    "Vad handlar ditt meddelande om? Välj det ämne som ligger närmast, eller sök.",
    "What is your message about? Choose the topic closest to your matter, or search.",
)
HOUSE_NUMBERS = range(1, 40, 3)


def _fields(name: str, text: Translated) -> dict[str, str]:
    return text.as_fields(name)


def demo_topics_build(*, world: Any, seed: int) -> None:
    """Topics, questions, form settings and about 600 addresses for the demo city (a second or less)."""
    organization = world.organization
    rng = random.Random(seed + 1)
    for position, spec in enumerate(TOPICS, start=1):
        values: dict[str, Any] = {
            "organization": organization, "slug": spec.slug, "position": position * 10,
            "category": world.categories[spec.category] if spec.category else None, "kinds": list(spec.kinds),
            "location": spec.location, "asks_for_photos": spec.photos, "redirect_url": spec.redirect_url,
            **_fields("name", spec.name), **_fields("description", spec.description),
            **_fields("keywords", spec.keywords),
        }
        if spec.redirect_text is not None:
            values.update(_fields("redirect_text", spec.redirect_text))
        topic = Topic.objects.create(**values)
        for number, question in enumerate(spec.questions, start=1):
            extra = _fields("choices", question.choices) if question.choices else {}
            TopicQuestion.objects.create(topic=topic, position=number, kind=question.kind, required=question.required,
                                         **_fields("label", question.label), **extra)
    ContactFormSettings.objects.update_or_create(organization=organization, defaults={
        "privacy_notice_url": "https://merilahti.example/tietosuoja",
        **_fields("consent_text", CONSENT), **_fields("intro_text", INTRO),
    })
    if AddressPoint.objects.filter(organization=organization).exists():
        return
    points = []
    for district, district_spec in zip(world.districts, DISTRICTS, strict=True):
        for street in district_spec.streets:
            for number in HOUSE_NUMBERS:
                lat, lon = district.random_point(rng)
                point = AddressPoint(organization=organization, street=street.fi, number=str(number),
                                     postal_code=f"99{DISTRICTS.index(district_spec):02d}0",
                                     municipality="Merilahti", lat=round(lat, 6), lon=round(lon, 6))
                point.search_key = address_key(f"{street.fi} {number}")
                points.append(point)
    AddressPoint.objects.bulk_create(points, batch_size=1000)


def demo_topics_add_to_existing(*, seed: int) -> bool:
    """Give a demo city loaded before topics existed its topics, once (so `make run` shows them).

    Does nothing when the city has topics already, or lacks the categories and districts they need.
    """
    from types import SimpleNamespace

    from django.db import transaction
    from shapely.geometry import shape
    from shapely.prepared import prep

    from civicdesk.cases.models import Category
    from civicdesk.demo.builder import District
    from civicdesk.demo.catalogue import ORGANIZATION_SLUG
    from civicdesk.organizations.models import Area, Organization

    organization = Organization.objects.filter(slug=ORGANIZATION_SLUG).first()
    if organization is None or Topic.objects.filter(organization=organization).exists():
        return False
    categories = {c.code: c for c in Category.objects.filter(organization=organization)}
    areas = {a.code: a for a in Area.objects.filter(organization=organization)}
    if any(spec.category and spec.category not in categories for spec in TOPICS) or any(
        spec.code not in areas for spec in DISTRICTS
    ):
        return False
    districts = []
    for spec in DISTRICTS:
        outline = shape(areas[spec.code].geometry)
        districts.append(District(spec=spec, area=areas[spec.code], outline=outline, prepared=prep(outline)))
    with transaction.atomic():
        demo_topics_build(world=SimpleNamespace(organization=organization, categories=categories,
                                                districts=districts), seed=seed)
    return True
