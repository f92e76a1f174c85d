"""What the demo city "Merilahti" (sv. Havsvik) is made of: its organisation chart, service
groups, districts, case types, categories, places and people.

Everything here is invented. The street-maintenance categories borrow their Open311 service
codes and their wording from the City of Helsinki's feedback service (shared/data/
helsinki_services.json), so that the demo looks like what Finnish cities actually receive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORGANIZATION_SLUG = "demo-city"
ORGANIZATION_NAMES = {"fi": "Merilahden kaupunki", "sv": "Havsviks stad", "en": "City of Merilahti"}
# A fictional business ID with a valid check digit.
ORGANIZATION_BUSINESS_ID = "7654321-2"
STAFF_EMAIL_DOMAIN = "merilahti.example"
CITY_NAMES = {"fi": "Merilahti", "sv": "Havsvik", "en": "Merilahti"}

# The city centre; the districts tile a box around it (lon, lat), see builder.district_outlines.
CENTRE = (24.94, 60.17)
DISTRICT_LON_EDGES = (24.80, 24.90, 24.98, 25.04, 25.10)
DISTRICT_LAT_EDGES = (60.13, 60.185, 60.24)


@dataclass(frozen=True)
class Translated:
    fi: str
    sv: str
    en: str

    def get(self, language: str) -> str:
        return str(getattr(self, language))

    def as_fields(self, name: str) -> dict[str, str]:
        """The modeltranslation columns: `name`, `name_fi`, `name_sv`, `name_en`."""
        return {name: self.fi, f"{name}_fi": self.fi, f"{name}_sv": self.sv, f"{name}_en": self.en}


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: Translated
    children: tuple[UnitSpec, ...] = ()


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("kymp", Translated("Kaupunkiympäristön toimiala", "Stadsmiljösektorn", "Urban Environment Division"), (
        UnitSpec("kymp-katu", Translated("Katu- ja puisto-osasto", "Gatu- och parkavdelningen",
                                         "Streets and Parks Department")),
        UnitSpec("kymp-liikenne", Translated("Liikenne- ja katusuunnittelu", "Trafik- och gatuplanering",
                                             "Traffic and Street Planning")),
        UnitSpec("kymp-rava", Translated("Rakennusvalvonta ja kaavoitus", "Byggnadstillsyn och planläggning",
                                         "Building Control and Planning")),
        UnitSpec("kymp-ymparisto", Translated("Ympäristöpalvelut", "Miljötjänster", "Environmental Services")),
    )),
    UnitSpec("kasko", Translated("Kasvatuksen ja koulutuksen toimiala", "Fostrans- och utbildningssektorn",
                                 "Education Division"), (
        UnitSpec("kasko-vaka", Translated("Varhaiskasvatus", "Småbarnspedagogik", "Early Childhood Education")),
        UnitSpec("kasko-perusopetus", Translated("Perusopetus", "Grundläggande utbildning", "Basic Education")),
    )),
    UnitSpec("kuva", Translated("Kulttuurin ja vapaa-ajan toimiala", "Kultur- och fritidssektorn",
                                "Culture and Leisure Division"), (
        UnitSpec("kuva-kirjasto", Translated("Kirjasto- ja kulttuuripalvelut", "Biblioteks- och kulturtjänster",
                                             "Library and Cultural Services")),
        UnitSpec("kuva-liikunta", Translated("Liikunta- ja nuorisopalvelut", "Idrotts- och ungdomstjänster",
                                             "Sports and Youth Services")),
    )),
    UnitSpec("sote", Translated("Sosiaali- ja terveystoimiala", "Social- och hälsovårdssektorn",
                                "Social Services and Health Care Division"), (
        UnitSpec("sote-sosiaali", Translated("Sosiaalipalvelut", "Socialtjänster", "Social Services")),
        UnitSpec("sote-terveys", Translated("Terveys- ja vanhuspalvelut", "Hälso- och äldreomsorg",
                                            "Health and Elderly Care")),
    )),
    UnitSpec("keha", Translated("Keskushallinto", "Centralförvaltningen", "Central Administration"), (
        UnitSpec("keha-asiakaspalvelu", Translated("Asiakaspalvelu", "Kundtjänst", "Customer Service")),
        UnitSpec("keha-elinvoima", Translated("Elinvoimapalvelut", "Näringslivstjänster",
                                              "Economic Development Services")),
    )),
)


INTAKE_GROUP = "asiakaspalvelu"
PARTNER_GROUP = "kunnossapito-oy"
SOCIAL_GROUP = "sosiaalipalvelut"
STREETS_GROUP = "katujen-kunnossapito"
PARKS_GROUP = "puistot"


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: Translated
    unit: str
    kind: str = "experts"
    experts: int = 3  # generated members besides the named demo users


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(INTAKE_GROUP, Translated("Asiakaspalvelu", "Kundtjänst", "Customer service"), "keha-asiakaspalvelu",
              kind="advisors", experts=6),
    GroupSpec(STREETS_GROUP, Translated("Katujen kunnossapito", "Gatuunderhåll", "Street maintenance"), "kymp-katu",
              experts=5),
    GroupSpec(PARKS_GROUP, Translated("Puistot ja viheralueet", "Parker och grönområden", "Parks and green areas"),
              "kymp-katu", experts=4),
    GroupSpec("liikenne", Translated("Liikenne ja pysäköinti", "Trafik och parkering", "Traffic and parking"),
              "kymp-liikenne", experts=3),
    GroupSpec("ymparisto", Translated("Ympäristö ja jätehuolto", "Miljö och avfallshantering",
                                      "Environment and waste"), "kymp-ymparisto", experts=3),
    GroupSpec("rakennusvalvonta", Translated("Rakennusvalvonta ja kaavoitus", "Byggnadstillsyn och planläggning",
                                             "Building control and planning"), "kymp-rava", experts=3),
    GroupSpec("varhaiskasvatus", Translated("Varhaiskasvatus", "Småbarnspedagogik", "Early childhood education"),
              "kasko-vaka", experts=3),
    GroupSpec("perusopetus", Translated("Perusopetus", "Grundläggande utbildning", "Basic education"),
              "kasko-perusopetus", experts=3),
    GroupSpec("kirjastot-kulttuuri", Translated("Kirjastot ja kulttuuri", "Bibliotek och kultur",
                                                "Libraries and culture"), "kuva-kirjasto", experts=3),
    GroupSpec("liikunta-nuoriso", Translated("Liikunta ja nuoriso", "Idrott och ungdom", "Sports and youth"),
              "kuva-liikunta", experts=3),
    GroupSpec(SOCIAL_GROUP, Translated("Sosiaalipalvelut", "Socialtjänster", "Social services"), "sote-sosiaali",
              experts=3),
    GroupSpec("terveys-vanhus", Translated("Terveys- ja vanhuspalvelut", "Hälso- och äldreomsorg",
                                           "Health and elderly care"), "sote-terveys", experts=3),
    GroupSpec("tyollisyys-kotoutus", Translated("Työllisyys ja kotoutuminen", "Sysselsättning och integration",
                                                "Employment and integration"), "keha-elinvoima", experts=2),
    GroupSpec(PARTNER_GROUP, Translated("Kunnossapito Oy (urakoitsija)", "Kunnossapito Oy (entreprenör)",
                                        "Kunnossapito Oy (contractor)"), "kymp-katu", kind="partner", experts=2),
)


@dataclass(frozen=True)
class CaseTypeSpec:
    code: str
    kind: str
    name: Translated


CASE_TYPES: tuple[CaseTypeSpec, ...] = (
    CaseTypeSpec("palaute", "feedback", Translated("Palaute", "Respons", "Feedback")),
    CaseTypeSpec("kysymys", "question", Translated("Kysymys", "Fråga", "Question")),
    CaseTypeSpec("palvelupyynto", "service_request", Translated("Palvelupyyntö", "Serviceförfrågan",
                                                                "Service request")),
    CaseTypeSpec("vikailmoitus", "fault_report", Translated("Vikailmoitus", "Felanmälan", "Fault report")),
    CaseTypeSpec("sisainen-pyynto", "internal_request", Translated("Sisäinen pyyntö", "Intern begäran",
                                                                   "Internal request")),
)
SPECIAL_CASE_TYPE = CaseTypeSpec(
    "sosiaalipalvelujen-palaute", "feedback",
    Translated("Sosiaalipalvelujen palaute", "Respons om socialtjänster", "Feedback on social services"),
)


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: Translated
    description: Translated
    keywords: Translated
    group: str | None  # None: no clear recipient, customer service routes it (R4.4)
    weight: float  # how often residents write about it
    service_code: str = ""
    located: float = 0.3  # share of cases with a point on the map
    season: str = ""  # "winter", "summer", "dark": seasonal variation of the volume
    street: bool = False  # public works: a contractor may do the repair
    # Customer service forwards the category's unclear cases to one of these groups.
    routes: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


def _t(fi: str, sv: str, en: str) -> Translated:
    return Translated(fi, sv, en)


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "ilkivalta", _t("Ilkivalta", "Skadegörelse", "Vandalism"),
        _t("Onko puistonpenkki kaadettu tai infotaulu rikottu? Ilmoita ilkivallasta yleisillä alueilla.",
           "Har en parkbänk vält eller en infotavla förstörts? Anmäl skadegörelse på allmänna områden.",
           "Has a park bench been knocked over or a notice board smashed? Report vandalism in public areas."),
        _t("ilkivalta, penkit, istuimet, katokset, grillit, roska-astiat",
           "skadegörelse, bänkar, skydd, grillar, papperskorgar",
           "vandalism, benches, shelters, barbecues, bins"),
        STREETS_GROUP, 4, "172", located=0.95, street=True,
    ),
    CategorySpec(
        "roskaaminen", _t("Roskaaminen", "Nedskräpning", "Littering"),
        _t("Ilmoita, jos yleisillä alueilla, puistoissa tai metsissä on paljon roskia.",
           "Anmäl om det finns mycket skräp på allmänna områden, i parker eller skogar.",
           "Tell us about large amounts of litter in public areas, parks or forests."),
        _t("roska, jäte, roska-astia, siivous", "skräp, avfall, papperskorg, städning",
           "litter, rubbish, bin, cleaning"),
        STREETS_GROUP, 5, "246", located=0.95, season="summer", street=True,
    ),
    CategorySpec(
        "tohryt", _t("Töhryjen poisto", "Klotterborttagning", "Graffiti removal"),
        _t("Ilmoita, jos seiniä, siltoja tai muita rakenteita on töhritty.",
           "Anmäl om väggar, broar eller andra konstruktioner har klottrats ner.",
           "Report graffiti on walls, bridges or other structures."),
        _t("töhry, graffiti, tarra, maalaus", "klotter, graffiti, klistermärke", "graffiti, tag, sticker"),
        STREETS_GROUP, 3, "176", located=0.95, street=True,
    ),
    CategorySpec(
        "katujen-kunto", _t("Katujen kunto", "Gatornas skick", "Street condition"),
        _t("Onko kadussa kuoppa tai reunakivi irti? Anna palautetta katujen, jalkakäytävien ja pyöräteiden kunnosta.",
           "Finns det en grop i gatan eller en lös kantsten? Ge respons om gator, trottoarer och cykelvägar.",
           "Is there a pothole or a loose kerb? Give feedback on streets, pavements and cycle paths."),
        _t("tie, kuoppa, asfaltti, jalkakäytävä, pyörätie, kaivonkansi",
           "väg, grop, asfalt, trottoar, cykelväg, brunnslock",
           "road, pothole, asphalt, pavement, cycle path, manhole"),
        STREETS_GROUP, 10, "171", located=0.97, street=True,
    ),
    CategorySpec(
        "talvikunnossapito", _t("Lumityöt ja liukkaudentorjunta", "Snöröjning och halkbekämpning",
                                "Snow clearing and gritting"),
        _t("Kerro, jos katu tai kevyen liikenteen väylä on auraamatta tai liukas.",
           "Berätta om en gata eller gång- och cykelväg är oplogad eller hal.",
           "Tell us if a street, footpath or cycle path has not been ploughed or is slippery."),
        _t("lumi, auraus, hiekoitus, liukkaus, jää, polanne", "snö, plogning, sandning, halka, is",
           "snow, ploughing, gritting, ice, slippery"),
        STREETS_GROUP, 8, located=0.95, season="winter", street=True,
    ),
    CategorySpec(
        "katuvalot", _t("Katuvalaistus", "Gatubelysning", "Street lighting"),
        _t("Ilmoita pimeistä, vilkkuvista tai päivällä palavista katuvaloista.",
           "Anmäl gatlyktor som är släckta, blinkar eller lyser på dagen.",
           "Report street lights that are out, flickering or on during the day."),
        _t("katuvalo, valaisin, pimeä, lamppu", "gatlykta, belysning, mörkt, lampa", "street light, lamp, dark"),
        STREETS_GROUP, 4, located=0.97, season="dark", street=True,
    ),
    CategorySpec(
        "liikennemerkit", _t("Liikennemerkit ja -valot", "Trafikmärken och trafikljus", "Traffic signs and lights"),
        _t("Ilmoita, jos liikennemerkki on kaatunut, vinossa tai liikennevaloissa on vikaa.",
           "Anmäl om ett trafikmärke har vält, står snett eller om trafikljusen inte fungerar.",
           "Report a traffic sign that has been knocked down or is crooked, or faulty traffic lights."),
        _t("liikennemerkki, liikennevalot, suojatie, nopeusrajoitus",
           "trafikmärke, trafikljus, övergångsställe, hastighetsbegränsning",
           "traffic sign, traffic lights, crossing, speed limit"),
        "liikenne", 5, "198", located=0.95, street=True,
    ),
    CategorySpec(
        "kyltit-ja-opasteet", _t("Kyltit ja opasteet", "Skyltar och vägvisning", "Signs and wayfinding"),
        _t("Ilmoita, jos kaupungin kylteissä ja opasteissa on huomautettavaa.",
           "Anmäl om det finns något att anmärka på stadens skyltar och vägvisning.",
           "Tell us about problems with the city's signs and wayfinding."),
        _t("kyltit, opasteet, kadunnimikyltti, reittiopaste", "skyltar, vägvisning, gatuskylt",
           "signs, wayfinding, street name sign"),
        "liikenne", 3, "199", located=0.9, street=True,
    ),
    CategorySpec(
        "puistot", _t("Puistot", "Parker", "Parks"),
        _t("Ilmoita, jos puisto, nurmikko tai istutukset ovat huonossa kunnossa.",
           "Anmäl om en park, gräsmatta eller planteringar är i dåligt skick.",
           "Tell us if a park, lawn or planting is in poor condition."),
        _t("puisto, nurmikko, pensaat, kukat, puut", "park, gräsmatta, buskar, blommor, träd",
           "park, lawn, shrubs, flowers, trees"),
        PARKS_GROUP, 5, "174", located=0.95, season="summer", street=True,
        places=("Rantapuisto", "Kirkkopuisto", "Majakkapuisto", "Koivulan puisto", "Tervapuisto"),
    ),
    CategorySpec(
        "leikkipuistot", _t("Leikki- ja liikuntapuistot", "Lek- och motionsparker", "Playgrounds and outdoor gyms"),
        _t("Ilmoita, jos leikki- tai liikuntapuiston välineissä on huomautettavaa.",
           "Anmäl om det finns något att anmärka på redskapen i lek- eller motionsparker.",
           "Report problems with playground or outdoor-gym equipment."),
        _t("leikkipuisto, keinu, liukumäki, hiekkalaatikko, kuntoilulaite",
           "lekpark, gunga, rutschkana, sandlåda, utegym",
           "playground, swing, slide, sandpit, outdoor gym"),
        PARKS_GROUP, 3, "211", located=0.97, season="summer", street=True,
        places=("Leikkipuisto Mustikka", "Leikkipuisto Kuunsilta", "Leikkipuisto Simpukka",
                "Rantapuiston lähiliikuntapaikka"),
    ),
    CategorySpec(
        "metsat", _t("Metsät ja luontoalueet", "Skogar och naturområden", "Forests and nature areas"),
        _t("Ilmoita, jos metsä tai luontopolku tarvitsee hoitoa, esimerkiksi kaatuneiden puiden vuoksi.",
           "Anmäl om en skog eller naturstig behöver skötsel, till exempel på grund av fallna träd.",
           "Tell us if a forest or nature trail needs care, for example because of fallen trees."),
        _t("metsä, puu, luontopolku, myrsky", "skog, träd, naturstig, storm", "forest, tree, nature trail, storm"),
        PARKS_GROUP, 2, "234", located=0.95, street=True,
        places=("Myllymäen metsä", "Niittykummun lähimetsä", "Itäniemen luontopolku", "Hakalan ulkoilumetsä"),
    ),
    CategorySpec(
        "muu-korjattava", _t("Muu korjattava asia", "Annat som behöver åtgärdas", "Other issue to be fixed"),
        _t("Onko jokin muu asia, joka vaatisi kaupungin toimia?",
           "Finns det något annat som kräver åtgärder av staden?",
           "Is there something else that needs the city's attention?"),
        _t("muu, korjaus, vika", "annat, reparation, fel", "other, repair, fault"),
        None, 6, "180", located=0.85, street=True, routes=(STREETS_GROUP, PARKS_GROUP, "liikenne"),
    ),
    CategorySpec(
        "joukkoliikenne", _t("Joukkoliikenne", "Kollektivtrafik", "Public transport"),
        _t("Palaute bussi- ja lauttaliikenteestä, pysäkeistä ja aikatauluista.",
           "Respons om buss- och färjetrafik, hållplatser och tidtabeller.",
           "Feedback on bus and ferry services, stops and timetables."),
        _t("bussi, pysäkki, aikataulu, lautta, katos", "buss, hållplats, tidtabell, färja",
           "bus, stop, timetable, ferry, shelter"),
        "liikenne", 4, located=0.5,
    ),
    CategorySpec(
        "pysakointi", _t("Pysäköinti", "Parkering", "Parking"),
        _t("Kysymykset ja palaute pysäköinnistä, asukaspysäköinnistä ja pysäköinninvalvonnasta.",
           "Frågor och respons om parkering, boendeparkering och parkeringsövervakning.",
           "Questions and feedback on parking, residents' parking permits and enforcement."),
        _t("pysäköinti, asukaspysäköinti, pysäköintivirhe, sakko", "parkering, boendeparkering, felparkering",
           "parking, residents' permit, parking ticket"),
        "liikenne", 4, located=0.7,
    ),
    CategorySpec(
        "melu", _t("Melu", "Buller", "Noise"),
        _t("Ilmoita häiritsevästä melusta, esimerkiksi työmailta tai tapahtumista.",
           "Anmäl störande buller, till exempel från byggarbetsplatser eller evenemang.",
           "Report disturbing noise, for example from construction sites or events."),
        _t("melu, ääni, työmaa, tapahtuma, yörauha", "buller, ljud, byggarbetsplats, nattro",
           "noise, sound, construction site, night-time quiet"),
        "ymparisto", 3, located=0.8, season="summer",
    ),
    CategorySpec(
        "jatehuolto", _t("Jätehuolto ja kierrätys", "Avfallshantering och återvinning", "Waste and recycling"),
        _t("Jäteastiat, kierrätyspisteet, jätteiden lajittelu ja tyhjennykset.",
           "Sopkärl, återvinningsställen, sortering och tömning.",
           "Waste containers, recycling points, sorting and collection."),
        _t("jäte, kierrätys, jäteastia, lajittelu, tyhjennys", "avfall, återvinning, sopkärl, sortering",
           "waste, recycling, container, sorting, collection"),
        "ymparisto", 4, located=0.6,
    ),
    CategorySpec(
        "rakennusvalvonta", _t("Rakennusvalvonta", "Byggnadstillsyn", "Building control"),
        _t("Rakennusluvat, luvattomat rakennustyöt ja rakennusten kunto.",
           "Bygglov, olovliga byggarbeten och byggnaders skick.",
           "Building permits, unauthorised construction and the condition of buildings."),
        _t("rakennuslupa, työmaa, julkisivu, lupa", "bygglov, byggarbetsplats, fasad", "building permit, site, facade"),
        "rakennusvalvonta", 2, located=0.6,
    ),
    CategorySpec(
        "kaavoitus", _t("Kaavoitus ja maankäyttö", "Planläggning och markanvändning", "Urban planning and land use"),
        _t("Mielipiteet ja kysymykset asemakaavoista ja alueiden suunnittelusta.",
           "Åsikter och frågor om detaljplaner och områdesplanering.",
           "Opinions and questions about local detailed plans and area planning."),
        _t("kaava, asemakaava, rakentaminen, osallistuminen", "detaljplan, planläggning, byggande",
           "zoning, detailed plan, development"),
        "rakennusvalvonta", 2, located=0.5,
    ),
    CategorySpec(
        "asuminen", _t("Asuminen", "Boende", "Housing"),
        _t("Kaupungin vuokra-asunnot, asunnon hakeminen ja asumisen neuvonta.",
           "Stadens hyresbostäder, bostadsansökan och boenderådgivning.",
           "City rental flats, applying for a home and housing advice."),
        _t("vuokra-asunto, asuntohakemus, asumisneuvonta", "hyresbostad, bostadsansökan, boenderådgivning",
           "rental flat, housing application, housing advice"),
        None, 2, located=0.2, routes=(SOCIAL_GROUP,),
    ),
    CategorySpec(
        "varhaiskasvatus", _t("Varhaiskasvatus ja päivähoito", "Småbarnspedagogik och dagvård",
                              "Early childhood education and day care"),
        _t("Päiväkodit, varhaiskasvatuspaikan hakeminen, maksut ja palaute päiväkodeista.",
           "Daghem, ansökan om plats inom småbarnspedagogiken, avgifter och respons.",
           "Day-care centres, applying for a place, fees and feedback on day care."),
        _t("päiväkoti, päivähoito, hoitopaikka, maksu", "daghem, dagvård, dagvårdsplats, avgift",
           "day care, nursery, place, fee"),
        "varhaiskasvatus", 4, located=0.3,
        places=("Päiväkoti Tähtisilmä", "Päiväkoti Simpukka", "Päiväkoti Myllynkivi", "Daghemmet Fyren",
                "Päiväkoti Koivunlehti"),
    ),
    CategorySpec(
        "koulut", _t("Koulut ja perusopetus", "Skolor och grundläggande utbildning", "Schools and basic education"),
        _t("Koulut, kouluun ilmoittautuminen, koulukuljetukset ja oppilashuolto.",
           "Skolor, skolanmälan, skolskjutsar och elevvård.",
           "Schools, school enrolment, school transport and pupil welfare."),
        _t("koulu, oppilas, koulukuljetus, kouluruoka", "skola, elev, skolskjuts, skolmat",
           "school, pupil, school transport, school meals"),
        "perusopetus", 4, located=0.3,
        places=("Koivulan koulu", "Satamanmäen koulu", "Myllymäen yhtenäiskoulu", "Havsviks svenska skola",
                "Itäniemen koulu"),
    ),
    CategorySpec(
        "kirjastot", _t("Kirjastot", "Bibliotek", "Libraries"),
        _t("Kirjastojen aukioloajat, kokoelmat, tilat ja tapahtumat.",
           "Bibliotekens öppettider, samlingar, lokaler och evenemang.",
           "Library opening hours, collections, spaces and events."),
        _t("kirjasto, laina, aukioloaika, e-kirja", "bibliotek, lån, öppettid, e-bok",
           "library, loan, opening hours, e-book"),
        "kirjastot-kulttuuri", 4, located=0.3,
        places=("Pääkirjasto Aalto", "Koivulan kirjasto", "Itäniemen kirjasto", "Kirjastoauto Lokki"),
    ),
    CategorySpec(
        "kulttuuri", _t("Kulttuuri ja tapahtumat", "Kultur och evenemang", "Culture and events"),
        _t("Museot, teatteri, kulttuuritalot ja kaupungin tapahtumat.",
           "Museer, teater, kulturhus och stadens evenemang.",
           "Museums, theatre, cultural centres and city events."),
        _t("museo, teatteri, tapahtuma, konsertti", "museum, teater, evenemang, konsert",
           "museum, theatre, event, concert"),
        "kirjastot-kulttuuri", 2, located=0.3,
        places=("Kaupunginteatteri", "Merilahden taidemuseo", "Kulttuuritalo Majakka", "Satamamakasiini"),
    ),
    CategorySpec(
        "uimahallit", _t("Uimahallit ja maauimalat", "Simhallar och utebassänger", "Swimming pools"),
        _t("Uimahallien ja maauimalan aukioloajat, hinnat ja kunto.",
           "Simhallarnas och utebassängens öppettider, priser och skick.",
           "Opening hours, prices and condition of the swimming halls and outdoor pool."),
        _t("uimahalli, sauna, allas, maauimala", "simhall, bastu, bassäng, utebassäng",
           "swimming hall, sauna, pool, outdoor pool"),
        "liikunta-nuoriso", 3, located=0.3,
        places=("Keskustan uimahalli", "Itäniemen uimahalli", "Maauimala Laguuni"),
    ),
    CategorySpec(
        "liikuntapaikat", _t("Liikuntapaikat ja ulkoilureitit", "Idrottsplatser och friluftsleder",
                             "Sports venues and outdoor trails"),
        _t("Urheilukentät, kuntoradat, ladut ja muut liikuntapaikat.",
           "Idrottsplaner, motionsbanor, skidspår och andra idrottsplatser.",
           "Sports fields, jogging tracks, ski trails and other sports venues."),
        _t("urheilukenttä, kuntorata, latu, luistelukenttä", "idrottsplan, motionsbana, skidspår, skridskobana",
           "sports field, jogging track, ski trail, ice rink"),
        "liikunta-nuoriso", 3, located=0.8,
        places=("Myllymäen urheilukenttä", "Koivulan kuntorata", "Satama-areena", "Hakalan latu",
                "Niittykummun tekonurmi"),
    ),
    CategorySpec(
        "nuorisopalvelut", _t("Nuorisopalvelut", "Ungdomstjänster", "Youth services"),
        _t("Nuorisotalot, harrastukset ja nuorten kesätyöt.",
           "Ungdomsgårdar, hobbyer och sommarjobb för unga.",
           "Youth centres, hobbies and summer jobs for young people."),
        _t("nuorisotalo, harrastus, kesätyö", "ungdomsgård, hobby, sommarjobb", "youth centre, hobby, summer job"),
        "liikunta-nuoriso", 1.5, located=0.3,
        places=("Nuorisotalo Tupa", "Nuorisotalo Luotsi", "Nuorten tila Verstas"),
    ),
    CategorySpec(
        "terveysasemat", _t("Terveysasemat", "Hälsostationer", "Health centres"),
        _t("Ajanvaraus, terveysasemien palvelut ja palaute hoidosta.",
           "Tidsbokning, hälsostationernas tjänster och respons om vården.",
           "Appointments, health-centre services and feedback on care."),
        _t("terveysasema, ajanvaraus, lääkäri, hoitaja", "hälsostation, tidsbokning, läkare, skötare",
           "health centre, appointment, doctor, nurse"),
        "terveys-vanhus", 4, located=0.2,
        places=("Keskustan terveysasema", "Koivulan terveysasema", "Itäniemen terveys- ja hyvinvointikeskus"),
    ),
    CategorySpec(
        "vanhuspalvelut", _t("Ikääntyneiden palvelut", "Tjänster för äldre", "Services for older people"),
        _t("Kotihoito, palvelukeskukset, omaishoito ja asumispalvelut ikääntyneille.",
           "Hemvård, servicecentraler, närståendevård och boendeservice för äldre.",
           "Home care, service centres, informal care and housing services for older people."),
        _t("kotihoito, palvelukeskus, omaishoito, hoivakoti", "hemvård, servicecentral, närståendevård",
           "home care, service centre, carer, care home"),
        "terveys-vanhus", 2, located=0.2,
        places=("Palvelukeskus Ankkuri", "Hoivakoti Kotisatama", "Palvelutalo Kaislikko"),
    ),
    CategorySpec(
        "sosiaalipalvelut", _t("Sosiaalipalvelut", "Socialtjänster", "Social services"),
        _t("Toimeentulotuki, lastensuojelu, perhetyö ja aikuissosiaalityö.",
           "Utkomststöd, barnskydd, familjearbete och socialt arbete för vuxna.",
           "Social assistance, child welfare, family work and social work for adults."),
        _t("toimeentulotuki, sosiaalityö, lastensuojelu, perhetyö", "utkomststöd, socialarbete, barnskydd",
           "social assistance, social work, child welfare"),
        SOCIAL_GROUP, 2.5, located=0.05,
    ),
    CategorySpec(
        "verkkosivut", _t("Verkkosivut ja sähköinen asiointi", "Webbplats och e-tjänster", "Website and e-services"),
        _t("Kaupungin verkkosivut, sähköiset lomakkeet ja asiointipalvelut.",
           "Stadens webbplats, e-blanketter och e-tjänster.",
           "The city's website, online forms and e-services."),
        _t("verkkosivu, lomake, kirjautuminen, asiointi", "webbplats, blankett, inloggning, e-tjänst",
           "website, form, login, e-service"),
        None, 3, located=0.0,
    ),
    CategorySpec(
        "tyollisyys", _t("Työllisyyspalvelut", "Sysselsättningstjänster", "Employment services"),
        _t("Työnhaku, palkkatuki, työkokeilut ja kaupungin kesätyöt.",
           "Jobbsökning, lönesubvention, arbetsprövning och stadens sommarjobb.",
           "Job seeking, pay subsidies, work trials and summer jobs at the city."),
        _t("työnhaku, palkkatuki, kesätyö, työkokeilu", "jobbsökning, lönesubvention, sommarjobb",
           "job seeking, pay subsidy, summer job"),
        "tyollisyys-kotoutus", 2, located=0.1,
    ),
    CategorySpec(
        "maahanmuutto", _t("Maahanmuuttajien palvelut", "Tjänster för invandrare", "Services for immigrants"),
        _t("Kotoutuminen, suomen kielen kurssit ja neuvonta muuttajille.",
           "Integration, kurser i finska och rådgivning för inflyttade.",
           "Integration, Finnish courses and advice for people moving to the city."),
        _t("kotoutuminen, kielikurssi, neuvonta", "integration, språkkurs, rådgivning",
           "integration, language course, advice"),
        "tyollisyys-kotoutus", 1.5, located=0.1,
    ),
)


@dataclass(frozen=True)
class StreetSpec:
    fi: str
    sv: str


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: Translated
    inessive: str  # "Koivulassa": Finnish templates say where without inflecting at run time
    weight: float
    streets: tuple[StreetSpec, ...] = field(default_factory=tuple)


def _streets(*pairs: tuple[str, str]) -> tuple[StreetSpec, ...]:
    return tuple(StreetSpec(fi, sv) for fi, sv in pairs)


# Row by row from north-west; builder.district_outlines lays them out on the grid in this order.
DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("myllymaki", _t("Myllymäki", "Kvarnbacken", "Myllymäki"), "Myllymäessä", 1.0, _streets(
        ("Myllymäentie", "Kvarnbacksvägen"), ("Jauhokuja", "Mjölgränd"), ("Siipitie", "Vingvägen"),
        ("Myllärinkatu", "Mjölnargatan"), ("Ratakatu", "Bangatan"))),
    DistrictSpec("koivula", _t("Koivula", "Björkby", "Koivula"), "Koivulassa", 1.2, _streets(
        ("Koivulantie", "Björkbyvägen"), ("Lehtokuja", "Lundgränd"), ("Pihlajatie", "Rönnvägen"),
        ("Tuomikuja", "Häggränd"), ("Kastanjakatu", "Kastanjegatan"))),
    DistrictSpec("niittykumpu", _t("Niittykumpu", "Ängskulla", "Niittykumpu"), "Niittykummussa", 0.8, _streets(
        ("Niittytie", "Ängsvägen"), ("Heinäkuja", "Högränd"), ("Apilatie", "Klövervägen"),
        ("Kukkakuja", "Blomgränd"), ("Peltotie", "Åkervägen"))),
    DistrictSpec("hakala", _t("Hakala", "Hagaby", "Hakala"), "Hakalassa", 0.6, _streets(
        ("Hakalantie", "Hagabyvägen"), ("Karjakuja", "Boskapsgränd"), ("Tallitie", "Stallvägen"),
        ("Ladontie", "Ladvägen"), ("Aittatie", "Bodvägen"))),
    DistrictSpec("kallioranta", _t("Kallioranta", "Bergsstranden", "Kallioranta"), "Kalliorannassa", 1.2, _streets(
        ("Kalliotie", "Bergsvägen"), ("Simpukkatie", "Musselvägen"), ("Aallonkatu", "Böljegatan"),
        ("Hiekkarannantie", "Sandstrandsvägen"), ("Kaislatie", "Vassvägen"))),
    DistrictSpec("keskusta", _t("Keskusta", "Centrum", "Keskusta"), "Keskustassa", 3.0, _streets(
        ("Kauppakatu", "Handelsgatan"), ("Rantakatu", "Strandgatan"), ("Kirkkokatu", "Kyrkogatan"),
        ("Raatihuoneenkatu", "Rådhusgatan"), ("Tullikatu", "Tullgatan"), ("Torikatu", "Torggatan"))),
    DistrictSpec("satama", _t("Satama", "Hamnen", "Satama"), "Satamassa", 1.5, _streets(
        ("Satamakatu", "Hamngatan"), ("Laiturikatu", "Kajgatan"), ("Majakkatie", "Fyrvägen"),
        ("Luotsikatu", "Lotsgatan"), ("Telakkakatu", "Varvsgatan"))),
    DistrictSpec("itaniemi", _t("Itäniemi", "Östernäs", "Itäniemi"), "Itäniemessä", 1.0, _streets(
        ("Itäniementie", "Östernäsvägen"), ("Niemenkärki", "Näsudden"), ("Kalastajantie", "Fiskarvägen"),
        ("Verkkokuja", "Nätgränd"), ("Lokkitie", "Måsvägen"))),
)

BUS_LINES = ("2", "5", "11", "14", "22", "31", "44K", "N1")


# --- people -------------------------------------------------------------------------------

FINNISH_FIRST_NAMES = (
    "Aino", "Anna", "Eeva", "Elina", "Emma", "Hanna", "Heidi", "Johanna", "Katja", "Laura", "Leena", "Liisa",
    "Maija", "Marja", "Minna", "Noora", "Oona", "Pirjo", "Riikka", "Sanna", "Satu", "Suvi", "Tiina", "Tuula",
    "Veera", "Antti", "Eero", "Ilkka", "Jari", "Jukka", "Juha", "Kalle", "Lauri", "Markku", "Matti", "Mikko",
    "Niko", "Olli", "Pekka", "Petri", "Risto", "Sami", "Tapio", "Timo", "Topi", "Ville", "Väinö", "Jussi",
)
FINNISH_SURNAMES = (
    "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
    "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen",
    "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila",
    "Savolainen", "Lahtinen", "Ahonen", "Hiltunen", "Leppänen", "Kallio", "Aaltonen", "Ojala", "Peltonen",
)
SWEDISH_FIRST_NAMES = (
    "Johan", "Erik", "Fredrik", "Henrik", "Mats", "Anders", "Linnea", "Ebba", "Mikaela", "Sofia", "Ulla", "Karin",
)
SWEDISH_SURNAMES = (
    "Andersson", "Lindqvist", "Nyberg", "Holmström", "Sjöberg", "Ekholm", "Lindroos", "Westerlund", "Forsman",
    "Åberg",
)
INTERNATIONAL_NAMES = (
    "Priya Sharma", "James Connor", "Olga Ivanova", "Ahmed Hassan", "Maria García", "Li Wei", "Sarah Thompson",
    "David Müller", "Fatima Ali", "Tomás Novak", "Emily Carter", "Arjun Patel", "Anna Kowalska",
    "Mohammed Yusuf", "Chen Jing", "Lucas Silva", "Sophie Martin", "Daniel Kim", "Amina Okafor", "Ivan Petrov",
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    language: str = "fi"


# The logins `make run` prints. Every role of the R5 table has one.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("techadmin", "technical_admin", "Teemu", "Laaksonen", is_staff=True),
    DemoLogin("contentadmin", "content_admin", "Kirsi", "Mäkelä", is_staff=True),
    DemoLogin("advisor", "service_advisor", "Anu", "Neuvonen", groups=(INTAKE_GROUP,)),
    DemoLogin("expert", "expert", "Esa", "Katajisto", groups=(STREETS_GROUP,)),
    DemoLogin("expert2", "expert", "Pia", "Puistola", groups=(PARKS_GROUP,)),
    DemoLogin("reporter", "reporter", "Raili", "Saarinen", language="en"),
    DemoLogin("viewer", "viewer", "Veli", "Koskinen"),
    DemoLogin("internal", "internal_customer", "Iida", "Lehtonen"),
    DemoLogin("partner", "external_partner", "Paavo", "Rautio", groups=(PARTNER_GROUP,)),
)
# The viewer reads the cases of these districts only.
VIEWER_DISTRICTS = ("keskusta", "satama")
# City employees outside the handling groups who send internal requests.
EXTRA_INTERNAL_CUSTOMERS = 3
