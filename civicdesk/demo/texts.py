"""Phrase templates for the demo city's cases, replies, notes and comments (fi, sv, en).

A template is `(kind, title, body)`; `kind` is a CaseKind value, with the feedback subtype after
a colon ("feedback:complaint"). Bodies may use these placeholders, filled in by the builder:

    {address}      street and number in the case's language ("Rantakatu 12", "Strandgatan 12")
    {district}     the district's name in the case's language
    {district_in}  Finnish only: the district in the inessive ("Koivulassa")
    {place}        a named place of the category (a school, a library, a park)
    {when}         a recent moment ("eilen", "i går", "yesterday")
    {line}         a bus line number
    {city}         the city's name in the case's language

Finnish templates avoid inflecting the placeholders ("osoitteessa {address}") so that every
filled-in sentence stays grammatical.
"""

from __future__ import annotations

Template = tuple[str, str, str]

WHEN = {
    "fi": ("eilen", "tänä aamuna", "viime viikolla", "toissapäivänä", "eilen illalla", "viikonloppuna"),
    "sv": ("i går", "i morse", "förra veckan", "i förrgår", "i går kväll", "under veckoslutet"),
    "en": ("yesterday", "this morning", "last week", "the day before yesterday", "last night", "at the weekend"),
}

OPENERS = {
    "fi": ("", "", "", "Hei! ", "Hei,\n\n", "Moi! ", "Hyvä vastaanottaja,\n\n", "Terve,\n\n"),
    "sv": ("", "", "Hej! ", "Hej,\n\n", "Bästa mottagare,\n\n"),
    "en": ("", "", "Hi,\n\n", "Hello,\n\n", "Dear City of Merilahti,\n\n"),
}
CLOSERS = {
    "fi": ("", "", "", " Kiitos!", " Kiitos etukäteen.", " Toivottavasti asia hoidetaan pian.",
           " Asia on ollut näin jo pitkään.", " Tämä ei ole ensimmäinen kerta.",
           " Toivon vastausta sähköpostitse."),
    "sv": ("", "", " Tack!", " Tack på förhand.", " Hoppas att det åtgärdas snart.", " Det har varit så länge."),
    "en": ("", "", " Thanks!", " Thank you in advance.", " I hope this can be sorted out soon.",
           " It has been like this for a while."),
}
SIGNATURES = {"fi": "Terveisin", "sv": "Hälsningar", "en": "Best regards"}

CONSENT_TEXTS = {
    "fi": "Annan luvan käsitellä yhteystietojani palautteeni käsittelyä ja siihen vastaamista varten.",
    "sv": "Jag samtycker till att mina kontaktuppgifter behandlas för handläggningen av min respons.",
    "en": "I agree that my contact details are processed to handle and answer my message.",
}

TEMPLATES: dict[str, dict[str, tuple[Template, ...]]] = {
    "ilkivalta": {
        "fi": (
            ("fault_report", "Puistonpenkki kaadettu", "Puistonpenkki on kaadettu ja sen selkänoja on irti osoitteessa "
             "{address}. Joku on ilmeisesti riehunut {when}."),
            ("fault_report", "Bussikatoksen lasi rikottu", "Bussikatoksen lasiseinä on rikottu osoitteessa {address}. "
             "Lasinsiruja on ympäri pysäkkiä, ja lapset kulkevat tästä kouluun."),
            ("fault_report", "Roska-astia irrotettu", "Roska-astia on revitty irti tolpastaan osoitteessa {address} "
             "ja heitetty ojaan."),
            ("fault_report", "Grillikatoksen pöytä poltettu", "{district_in} grillikatoksen pöytä on poltettu "
             "osittain. Paikka on vaarallinen, koska naulat ovat esillä."),
            ("feedback:complaint", "Jatkuvaa ilkivaltaa", "{district_in} on viime aikoina ollut paljon ilkivaltaa: "
             "penkkejä kaadetaan ja roska-astioita sytytetään. Voisiko alueelle saada valvontaa?"),
        ),
        "sv": (
            ("fault_report", "Parkbänk vält", "En parkbänk har vält och ryggstödet har lossnat vid {address}."),
            ("fault_report", "Busskurens glas krossat", "Glasväggen i busskuren vid {address} är krossad. Det ligger "
             "glassplitter överallt."),
        ),
        "en": (
            ("fault_report", "Bus shelter glass smashed", "The glass wall of the bus shelter at {address} has been "
             "smashed. There are shards of glass all over the stop."),
            ("fault_report", "Bench knocked over", "A bench has been knocked over at {address} and the backrest is "
             "broken. It looks like someone vandalised it {when}."),
            ("feedback:complaint", "Repeated vandalism", "There is a lot of vandalism in {district} lately: benches "
             "are knocked over and bins set on fire. Could the area be monitored?"),
        ),
    },
    "roskaaminen": {
        "fi": (
            ("fault_report", "Roska-astia täynnä", "Roska-astia on ollut täynnä jo useamman päivän osoitteessa "
             "{address}. Roskat lentävät tuulen mukana ympäriinsä."),
            ("fault_report", "Roskia rannassa", "Uimarannalla {district_in} on paljon roskia: pulloja, grillihiiliä "
             "ja pakkauksia. Lokit levittävät niitä."),
            ("fault_report", "Laiton kaatopaikka metsässä", "Metsään osoitteen {address} taakse on tuotu sohva, "
             "patjoja ja rakennusjätettä."),
            ("feedback:wish", "Lisää roska-astioita", "Kävelytien varrella osoitteessa {address} ei ole yhtään "
             "roska-astiaa, ja roskat päätyvät maahan. Voisiko tähän lisätä astian?"),
            ("fault_report", "Lasinsiruja pyörätiellä", "Pyörätiellä osoitteessa {address} on rikottuja pulloja. "
             "Renkaat puhkeavat helposti."),
        ),
        "sv": (
            ("fault_report", "Papperskorgen är full", "Papperskorgen vid {address} har varit full i flera dagar och "
             "skräpet blåser omkring."),
            ("fault_report", "Skräp på stranden", "Det ligger mycket skräp på badstranden i {district}: flaskor, "
             "grillkol och förpackningar."),
        ),
        "en": (
            ("fault_report", "Overflowing bin", "The bin at {address} has been full for days and rubbish is blowing "
             "around the street."),
            ("fault_report", "Dumped furniture", "Someone has dumped a sofa and mattresses in the woods behind "
             "{address}."),
        ),
    },
    "tohryt": {
        "fi": (
            ("fault_report", "Töhryjä alikulussa", "Alikulku osoitteessa {address} on töhritty {when} kauttaaltaan. "
             "Joukossa on myös loukkaavia tekstejä."),
            ("fault_report", "Graffiteja koulun seinässä", "Koulun seinään osoitteessa {address} on maalattu "
             "suuria graffiteja."),
            ("fault_report", "Tarroja liikennemerkeissä", "Liikennemerkit risteyksessä osoitteessa {address} on "
             "peitetty tarroilla, eikä niitä voi lukea."),
            ("feedback:idea", "Laillinen graffitiseinä", "Ehdotan, että {district_in} avattaisiin laillinen "
             "graffitiseinä. Se voisi vähentää töhrimistä muualla."),
        ),
        "sv": (
            ("fault_report", "Klotter i gångtunneln", "Gångtunneln vid {address} har klottrats ner {when}."),
        ),
        "en": (
            ("fault_report", "Graffiti in the underpass", "The underpass at {address} has been covered in graffiti, "
             "including some offensive words."),
            ("feedback:idea", "A legal graffiti wall", "Could {city} open a legal graffiti wall in {district}? It "
             "might reduce tagging elsewhere."),
        ),
    },
    "katujen-kunto": {
        "fi": (
            ("fault_report", "Syvä kuoppa pyörätiellä", "Pyörätiellä on syvä kuoppa osoitteessa {address}. "
             "Pyöräilijä voi kaatua, etenkin pimeällä kun kuoppaa ei näe."),
            ("fault_report", "Kuoppa ajoradalla", "Ajoradalla osoitteessa {address} on iso kuoppa, jota autot "
             "joutuvat väistelemään. Kuoppa on kasvanut {when} sataneen vesisateen jälkeen."),
            ("fault_report", "Reunakivi irti", "Jalkakäytävän reunakivi on irronnut osoitteessa {address}. "
             "Lastenvaunujen ja rollaattorin kanssa kulkeminen on hankalaa."),
            ("fault_report", "Kaivonkansi heiluu", "Kaivonkansi kolisee ja heiluu aina kun auto ajaa yli, osoite "
             "{address}. Kansi voi pian irrota kokonaan."),
            ("fault_report", "Vesi jää lammikoksi", "Suojatien kohdalla osoitteessa {address} on painauma, johon "
             "jää iso lammikko jokaisen sateen jälkeen. Jalankulkijat kastuvat ohi ajavista autoista."),
            ("feedback:complaint", "Katu täynnä paikkauksia", "Katujen kunto on {district_in} huono. Esimerkiksi "
             "osoitteessa {address} asfaltti on pelkkää paikkausta ja vesi jää lammikoiksi."),
            ("question", "Milloin katu päällystetään?", "Asun osoitteessa {address}. Katu on ollut huonossa "
             "kunnossa jo pitkään. Onko kadun päällystäminen kaupungin suunnitelmissa ensi kesänä?"),
            ("feedback:thanks", "Kiitos uudesta asfaltista", "Kiitos, että katu osoitteessa {address} vihdoin "
             "päällystettiin. Nyt on mukava pyöräillä töihin!"),
        ),
        "sv": (
            ("fault_report", "Grop i cykelvägen", "Det finns en djup grop i cykelvägen vid {address}. Man kan lätt "
             "falla med cykeln, särskilt när det är mörkt."),
            ("fault_report", "Brunnslocket skramlar", "Brunnslocket vid {address} skramlar och rör sig när bilar "
             "kör över det."),
            ("question", "När beläggs gatan?", "Gatan vid {address} är full av lagningar. Är det planerat att "
             "belägga den på nytt?"),
        ),
        "en": (
            ("fault_report", "Pothole on the cycle path", "There is a deep pothole on the cycle path at {address}. "
             "Someone is going to fall off their bike, especially in the dark."),
            ("fault_report", "Loose kerbstone", "A kerbstone has come loose on the pavement at {address}. It is "
             "hard to get past with a pram or a wheelchair."),
            ("question", "When will our street be resurfaced?", "The street at {address} in {district} is full of "
             "patches and puddles. Is resurfacing planned for next summer?"),
        ),
    },
    "talvikunnossapito": {
        "fi": (
            ("fault_report", "Kävelytie auraamatta", "Kävelytietä osoitteessa {address} ei ole aurattu {when} "
             "sataneen lumen jälkeen. Lunta on yli 20 senttiä."),
            ("fault_report", "Liukas jalkakäytävä", "Jalkakäytävä osoitteessa {address} on peilijäässä. Vanhus "
             "kaatui tänään aamulla. Hiekoitusta tarvitaan pikaisesti!"),
            ("fault_report", "Aurausvalli tukkii suojatien", "Aura-auto on jättänyt korkean vallin suojatien "
             "eteen osoitteessa {address}. Lastenvaunuilla ei pääse yli."),
            ("fault_report", "Bussipysäkki auraamatta", "Bussipysäkki osoitteessa {address} on täynnä lunta. "
             "Bussiin on noustava kinoksen yli."),
            ("feedback:complaint", "Pyörätiet aurataan viimeisenä", "{district_in} pyörätiet aurataan aina "
             "viimeisenä. Talvipyöräily on mahdotonta, vaikka kaupunki kannustaa pyöräilemään."),
            ("question", "Kuka vastaa tonttikadun auraamisesta?", "Asumme osoitteessa {address}. Kuuluuko kadun "
             "auraus kaupungille vai taloyhtiölle?"),
            ("feedback:thanks", "Kiitos aurauksesta", "Kiitos aurauskuskeille! {district_in} kadut olivat auki jo "
             "aamukuudelta lumimyräkän jälkeen."),
        ),
        "sv": (
            ("fault_report", "Gångvägen är inte plogad", "Gångvägen vid {address} har inte plogats efter "
             "snöfallet {when}."),
            ("fault_report", "Halt på trottoaren", "Trottoaren vid {address} är spegelblank. Den behöver sandas "
             "genast."),
        ),
        "en": (
            ("fault_report", "Footpath not ploughed", "The footpath at {address} has not been ploughed since it "
             "snowed {when}. The snow is more than 20 cm deep."),
            ("fault_report", "Icy pavement", "The pavement at {address} is sheer ice. An elderly man slipped there "
             "this morning. Please grit it as soon as possible."),
            ("feedback:complaint", "Cycle paths ploughed last", "Cycle paths in {district} are always the last to "
             "be ploughed. Winter cycling is impossible."),
        ),
    },
    "katuvalot": {
        "fi": (
            ("fault_report", "Katuvalo pimeänä", "Katuvalo on ollut pimeänä osoitteessa {address} jo viikon. "
             "Kohta on todella pimeä koulumatkalla."),
            ("fault_report", "Useita katuvaloja pimeänä", "Koko katu osoitteen {address} ympäristössä on pimeänä. "
             "Valot sammuivat {when}."),
            ("fault_report", "Katuvalo vilkkuu", "Katuvalo vilkkuu jatkuvasti osoitteessa {address}. Se häiritsee "
             "asukkaita yöllä."),
            ("fault_report", "Valot palavat päivällä", "Katuvalot palavat keskellä päivää osoitteessa {address}."),
            ("feedback:wish", "Valaistusta puistopolulle", "Puistopolku {district_in} on täysin pimeä. Toivoisin "
             "sinne valaistusta turvallisuuden vuoksi."),
        ),
        "sv": (
            ("fault_report", "Gatlyktan är släckt", "Gatlyktan vid {address} har varit släckt i en vecka."),
            ("fault_report", "Gatlyktan blinkar", "Gatlyktan vid {address} blinkar hela tiden och stör på natten."),
        ),
        "en": (
            ("fault_report", "Street light out", "The street light at {address} has been out for a week. It is very "
             "dark on the way to school."),
            ("fault_report", "Lights on during the day", "The street lights at {address} are on in the middle of "
             "the day."),
        ),
    },
    "liikennemerkit": {
        "fi": (
            ("fault_report", "Liikennemerkki kaatunut", "Stop-merkki on ajettu nurin osoitteessa {address}. "
             "Risteys on nyt vaarallinen."),
            ("fault_report", "Liikennevalot pimeänä", "Liikennevalot eivät toimi risteyksessä osoitteessa "
             "{address}. Autot ajavat miten sattuu."),
            ("fault_report", "Merkki vinossa", "Suojatiemerkki on kääntynyt väärään suuntaan osoitteessa "
             "{address}, eikä sitä näe autosta."),
            ("feedback:wish", "Nopeusrajoitus koulun kohdalle", "Toivomme 30 km/h nopeusrajoitusta koulun "
             "kohdalle osoitteessa {address}. Autot ajavat ohi kovaa vauhtia."),
            ("question", "Miksi valot vaihtuvat niin hitaasti?", "Jalankulkijan vihreä valo osoitteessa {address} "
             "tulee todella hitaasti. Voiko valojen ajoitusta muuttaa?"),
        ),
        "sv": (
            ("fault_report", "Trafikmärke omkört", "Stoppskylten vid {address} har körts omkull."),
            ("fault_report", "Trafikljusen fungerar inte", "Trafikljusen i korsningen vid {address} fungerar inte."),
        ),
        "en": (
            ("fault_report", "Traffic lights not working", "The traffic lights at {address} are not working. Cars "
             "are crossing however they like."),
            ("fault_report", "Stop sign knocked over", "The stop sign at {address} has been knocked over."),
        ),
    },
    "kyltit-ja-opasteet": {
        "fi": (
            ("fault_report", "Kadunnimikyltti puuttuu", "Kadunnimikyltti puuttuu osoitteen {address} kulmasta. "
             "Vieraat eivät löydä perille."),
            ("fault_report", "Opaste osoittaa väärin", "Satamaan osoittava opaste osoitteessa {address} osoittaa "
             "väärään suuntaan."),
            ("feedback:wish", "Opasteita ruotsiksi", "Kaupungin uusissa opasteissa {district_in} ei ole "
             "ruotsinkielisiä nimiä, vaikka kaupunki on kaksikielinen."),
        ),
        "sv": (
            ("feedback:complaint", "Skyltarna saknar svenska", "De nya vägvisarna i {district} saknar svenska "
             "namn fast staden är tvåspråkig."),
        ),
        "en": (
            ("feedback:wish", "Signs in English", "It would help visitors if the wayfinding signs in {district} "
             "were also in English."),
        ),
    },
    "puistot": {
        "fi": (
            ("fault_report", "Nurmikko leikkaamatta", "Nurmikkoa ei ole leikattu kohteessa {place} koko kesänä. "
             "Heinä on jo polviin asti."),
            ("fault_report", "Kaatunut puu polulla", "Iso puu on kaatunut kävelypolun yli kohteessa {place} "
             "{when}. Polulla ei pääse kulkemaan."),
            ("fault_report", "Suihkulähde rikki", "Suihkulähde kohteessa {place} ei toimi, ja altaassa on "
             "seisovaa vettä."),
            ("feedback:thanks", "Kauniit kukkaistutukset", "Kiitos upeista kukkaistutuksista kohteessa {place}! "
             "Kävelen siitä joka päivä ja ilahdun joka kerta."),
            ("feedback:idea", "Koira-aitaus puistoon", "Ehdotan koira-aitausta kohteeseen {place}. "
             "{district_in} on paljon koiranomistajia eikä yhtään aitausta."),
            ("feedback:complaint", "Puisto on päästetty rapistumaan", "Kohde {place} on huonossa kunnossa: "
             "penkit ovat lahoja ja pensaat kasvavat polun yli."),
        ),
        "sv": (
            ("fault_report", "Gräsmattan är inte klippt", "Gräset i {place} har inte klippts på hela sommaren."),
            ("feedback:thanks", "Vackra planteringar", "Tack för de vackra blomsterplanteringarna i {place}!"),
        ),
        "en": (
            ("fault_report", "Fallen tree on the path", "A large tree has fallen across the footpath in {place}. "
             "Nobody can get past."),
            ("feedback:thanks", "Lovely flower beds", "Thank you for the beautiful flower beds in {place}! They "
             "brighten up my daily walk."),
            ("feedback:idea", "Dog park", "Could {place} have a fenced dog park? There are lots of dog owners in "
             "{district}."),
        ),
    },
    "leikkipuistot": {
        "fi": (
            ("fault_report", "Keinun ketju rikki", "Keinun ketju on katkennut kohteessa {place}. Keinu on "
             "vaarallinen lapsille."),
            ("fault_report", "Liukumäessä terävä reuna", "Liukumäen alaosassa on irronnut metallilevy, jonka "
             "reuna on terävä. Kohde: {place}."),
            ("fault_report", "Hiekkalaatikossa lasia", "Hiekkalaatikossa kohteessa {place} on rikottua lasia. "
             "Lapsi haavoitti kätensä {when}."),
            ("feedback:wish", "Varjoa leikkipuistoon", "Kohteessa {place} ei ole yhtään varjoa. Helteellä "
             "leikkipuistossa ei voi olla. Voisiko sinne istuttaa puita tai tuoda katoksen?"),
            ("feedback:thanks", "Uusi leikkipuisto on ihana", "Kiitos uusitusta leikkipuistosta {place}! Lapset "
             "rakastavat uutta kiipeilytelinettä."),
        ),
        "sv": (
            ("fault_report", "Gungkedjan har gått sönder", "Kedjan till en gunga i {place} har gått av."),
        ),
        "en": (
            ("fault_report", "Broken swing", "A chain on the swing in {place} has snapped. It is dangerous for "
             "children."),
            ("fault_report", "Outdoor gym machine broken", "One of the outdoor gym machines in {place} is loose "
             "from its base."),
        ),
    },
    "metsat": {
        "fi": (
            ("fault_report", "Myrskyn kaatamia puita", "Myrsky kaatoi {when} useita puita kohteessa {place}. "
             "Ulkoilureitti on poikki."),
            ("feedback:complaint", "Liian rajut hakkuut", "Kohteessa {place} on hakattu liikaa puita. Metsä on "
             "ollut tärkeä ulkoilupaikka ja nyt se on aukea."),
            ("question", "Saako metsästä kerätä risuja?", "Saako kaupungin metsästä kohteessa {place} kerätä "
             "kaatuneita oksia takkapuiksi?"),
        ),
        "sv": (
            ("fault_report", "Stormfällda träd", "Stormen fällde flera träd i {place}. Stigen är blockerad."),
        ),
        "en": (
            ("fault_report", "Trees down after the storm", "The storm brought down several trees in {place}. The "
             "trail is blocked."),
        ),
    },
    "muu-korjattava": {
        "fi": (
            ("fault_report", "Aita rikki", "Kaupungin aita on kaatunut osoitteessa {address}. Aukosta pääsee "
             "suoraan radalle."),
            ("fault_report", "Vesiposti vuotaa", "Vesiposti vuotaa jatkuvasti osoitteessa {address}. Maahan on "
             "muodostunut iso lätäkkö."),
            ("fault_report", "Portaiden kaide irti", "Kaupungin portaiden kaide on irti osoitteessa {address}. "
             "Portaat ovat jyrkät."),
            ("fault_report", "Hylätty auto", "Osoitteessa {address} on seissyt kuukausia hylätty auto ilman "
             "rekisterikilpiä."),
            ("question", "Kenelle ilmoitan?", "{district_in} rannassa on laituri, jonka lankut ovat lahonneet. "
             "Kenelle tästä pitää ilmoittaa?"),
        ),
        "sv": (
            ("fault_report", "Staketet har rasat", "Stadens staket har rasat vid {address}."),
            ("fault_report", "Övergiven bil", "En övergiven bil utan registreringsskyltar har stått vid {address} "
             "i månader."),
        ),
        "en": (
            ("fault_report", "Broken railing", "The railing of the public stairs at {address} has come loose. The "
             "stairs are steep."),
            ("fault_report", "Abandoned car", "An abandoned car without number plates has been parked at "
             "{address} for months."),
        ),
    },
    "joukkoliikenne": {
        "fi": (
            ("feedback:complaint", "Bussi ei pysähtynyt", "Linjan {line} bussi ajoi pysäkin ohi {when}, vaikka "
             "viittasin. Seuraava bussi tuli vasta puolen tunnin päästä."),
            ("feedback:complaint", "Vuoroja liian harvoin", "Linja {line} kulkee iltaisin vain kerran tunnissa. "
             "{district_in} asuvilla ei ole muuta tapaa päästä töihin."),
            ("feedback:wish", "Katos pysäkille", "Pysäkillä osoitteessa {address} ei ole katosta. Sateella "
             "odottaminen on ikävää, varsinkin ikääntyneille."),
            ("feedback:thanks", "Ystävällinen kuljettaja", "Kiitos linjan {line} kuljettajalle, joka odotti "
             "hetken, kun juoksin pysäkille rollaattorin kanssa."),
            ("question", "Lauttaliikenne talvella", "Liikennöikö Itäniemen lautta myös talvella, ja mistä löytyy "
             "aikataulu?"),
        ),
        "sv": (
            ("feedback:complaint", "Bussen stannade inte", "Bussen på linje {line} körde förbi hållplatsen {when} "
             "fast jag vinkade."),
            ("feedback:wish", "Tätare turer", "Linje {line} går för sällan på kvällarna."),
        ),
        "en": (
            ("feedback:complaint", "Bus did not stop", "The number {line} bus drove past the stop {when} even "
             "though I waved. The next one came half an hour later."),
            ("question", "Ferry timetable in winter", "Does the ferry to Itäniemi run in winter, and where can I "
             "find the timetable?"),
        ),
    },
    "pysakointi": {
        "fi": (
            ("question", "Asukaspysäköintitunnus", "Muutin osoitteeseen {address}. Miten haen "
             "asukaspysäköintitunnusta ja paljonko se maksaa?"),
            ("feedback:complaint", "Autot pysäköivät jalkakäytävälle", "Osoitteessa {address} autot pysäköivät "
             "jatkuvasti jalkakäytävälle. Lastenvaunuilla joutuu kiertämään ajoradan kautta."),
            ("feedback:complaint", "Virheellinen pysäköintivirhemaksu", "Sain pysäköintivirhemaksun osoitteessa "
             "{address}, vaikka pysäköintilippu oli voimassa. Miten maksusta voi valittaa?"),
            ("feedback:wish", "Lisää pyöräpysäköintiä", "Torin laidalla {district_in} ei ole tarpeeksi "
             "pyörätelineitä. Pyörät ovat kaikkialla."),
        ),
        "sv": (
            ("question", "Boendeparkeringstillstånd", "Jag har flyttat till {address}. Hur ansöker jag om "
             "boendeparkeringstillstånd?"),
        ),
        "en": (
            ("question", "Residents' parking permit", "I just moved to {address}. How do I apply for a residents' "
             "parking permit and how much does it cost?"),
            ("feedback:complaint", "Cars parked on the pavement", "Cars are constantly parked on the pavement at "
             "{address}. With a pram you have to walk on the road."),
        ),
    },
    "melu": {
        "fi": (
            ("feedback:complaint", "Työmaa meluaa yöllä", "Työmaalla osoitteessa {address} on porattu yöllä "
             "kello kahteen asti. Onko tähän lupa?"),
            ("feedback:complaint", "Ulkoilmakonsertin melu", "Satamassa {when} järjestetty konsertti soi "
             "puoleenyöhön asti. Ääni kuului ikkunoista sisälle {district_in}."),
            ("feedback:complaint", "Lehtipuhaltimet aamuvarhaisella", "Lehtipuhaltimet pärisevät osoitteessa "
             "{address} jo kuudelta aamulla."),
            ("question", "Meluilmoitus tapahtumasta", "Järjestämme pihajuhlat {district_in}. Tarvitseeko "
             "ulkona soitettavasta musiikista tehdä meluilmoitus?"),
        ),
        "sv": (
            ("feedback:complaint", "Buller från byggarbetsplats", "Det borras på byggarbetsplatsen vid {address} "
             "mitt i natten."),
        ),
        "en": (
            ("feedback:complaint", "Night-time construction noise", "The construction site at {address} was "
             "drilling until 2 am. Is that allowed?"),
            ("feedback:complaint", "Concert noise", "The concert in the harbour {when} was so loud we could hear it "
             "indoors in {district} until midnight."),
        ),
    },
    "jatehuolto": {
        "fi": (
            ("fault_report", "Kierrätyspiste täynnä", "Kierrätyspisteen astiat osoitteessa {address} ovat olleet "
             "täynnä jo viikon. Pahvit ovat maassa."),
            ("question", "Mihin vien vanhan sohvan?", "Mihin voin viedä vanhan sohvan ja hyllyn {district_in}? "
             "Onko kaupungilla noutopalvelua?"),
            ("feedback:complaint", "Jäteastia tyhjentämättä", "Taloyhtiömme biojäteastiaa osoitteessa {address} "
             "ei ole tyhjennetty kolmeen viikkoon."),
            ("feedback:idea", "Muovinkeräys kaikkiin kierrätyspisteisiin", "Ehdotan, että muovipakkausten "
             "keräys lisätään kaikkiin kierrätyspisteisiin {district_in}."),
        ),
        "sv": (
            ("fault_report", "Återvinningsstället är fullt", "Kärlen på återvinningsstället vid {address} har "
             "varit fulla i en vecka."),
            ("question", "Var lämnar jag en gammal soffa?", "Var kan jag lämna en gammal soffa i {district}?"),
        ),
        "en": (
            ("question", "Getting rid of old furniture", "Where can I take an old sofa and shelves in {district}? "
             "Does the city collect bulky waste?"),
            ("fault_report", "Recycling point overflowing", "The recycling point at {address} has been full for a "
             "week and cardboard is all over the ground."),
        ),
    },
    "rakennusvalvonta": {
        "fi": (
            ("question", "Tarvitaanko lupa terassille?", "Haluaisin rakentaa omakotitaloni pihalle katetun "
             "terassin {district_in}. Tarvitaanko siihen rakennuslupa?"),
            ("feedback:complaint", "Luvaton rakennustyö", "Naapuritontilla osoitteessa {address} rakennetaan "
             "isoa lisärakennusta. Onko sille myönnetty lupa?"),
            ("feedback:complaint", "Rapistuva talo", "Tyhjillään oleva talo osoitteessa {address} on "
             "romahtamaisillaan. Lapset leikkivät sen pihalla."),
            ("question", "Rakennuslupahakemuksen käsittelyaika", "Jätimme rakennuslupahakemuksen kaksi kuukautta "
             "sitten. Kuinka kauan käsittely vielä kestää?"),
        ),
        "sv": (
            ("question", "Behövs bygglov för terrass?", "Behöver jag bygglov för en täckt terrass vid mitt egnahemshus "
             "i {district}?"),
        ),
        "en": (
            ("question", "Permit for a terrace", "Do I need a building permit for a covered terrace at my house in "
             "{district}?"),
        ),
    },
    "kaavoitus": {
        "fi": (
            ("feedback:complaint", "Viheralue ei saa kadota", "Vastustan {district_in} vireillä olevaa kaavaa, "
             "jossa lähimetsään rakennettaisiin kerrostaloja."),
            ("question", "Missä kaava-aineisto on nähtävillä?", "Missä voin tutustua {district_in} "
             "suunnitteilla olevan asemakaavan aineistoon?"),
            ("feedback:idea", "Lisää kahviloita rantaan", "Kaavoituksessa kannattaisi varata rantaan tilaa "
             "kahviloille ja kioskeille. Ranta on kesällä täynnä ihmisiä."),
        ),
        "sv": (
            ("question", "Var finns planmaterialet?", "Var kan jag ta del av detaljplanen som bereds för "
             "{district}?"),
        ),
        "en": (
            ("question", "Where can I see the plan?", "Where can I see the materials for the new local plan in "
             "{district}?"),
        ),
    },
    "asuminen": {
        "fi": (
            ("question", "Vuokra-asuntohakemuksen tilanne", "Jätin hakemuksen kaupungin vuokra-asuntoon kolme "
             "kuukautta sitten. Miten voin tarkistaa hakemuksen tilanteen?"),
            ("feedback:complaint", "Home asunnossa", "Kaupungin vuokra-asunnossamme {district_in} on hometta "
             "kylpyhuoneessa. Isännöitsijä ei ole vastannut viesteihin."),
            ("question", "Asumisneuvojan vastaanotto", "Onko asumisneuvojalla vastaanottoa {district_in}? "
             "Tarvitsen apua vuokrarästien kanssa."),
        ),
        "sv": (
            ("question", "Ansökan om hyresbostad", "Jag ansökte om en av stadens hyresbostäder för tre månader "
             "sedan. Hur kan jag se hur det går med ansökan?"),
        ),
        "en": (
            ("question", "Applying for a city rental flat", "How can I apply for a rental flat from the city, and "
             "how long is the waiting time?"),
        ),
    },
    "varhaiskasvatus": {
        "fi": (
            ("question", "Päivähoitopaikan hakeminen", "Haemme lapsellemme hoitopaikkaa elokuusta alkaen. Kuinka "
             "aikaisin hakemus pitää jättää ja voiko toivoa kohdetta {place}?"),
            ("feedback:thanks", "Kiitos päiväkodin henkilökunnalle", "Haluamme kiittää kohteen {place} "
             "henkilökuntaa. Lapsemme on viihtynyt erinomaisesti ja saanut paljon uusia kavereita."),
            ("feedback:complaint", "Liikaa sijaisia", "Kohteessa {place} on ollut syksyn aikana jatkuvasti eri "
             "sijaisia. Pieni lapsi ei ehdi kiintyä keneenkään."),
            ("question", "Varhaiskasvatusmaksun muutos", "Tulomme muuttuivat. Miten ilmoitan muutoksesta, jotta "
             "varhaiskasvatusmaksu lasketaan uudelleen?"),
            ("feedback:wish", "Pidemmät aukioloajat", "Toivoisin, että {place} olisi auki kello 17.30 asti. "
             "Vuorotyöläisenä ehdin tuskin hakemaan lasta."),
        ),
        "sv": (
            ("question", "Ansökan om dagvårdsplats", "Vi söker dagvårdsplats från augusti. När ska ansökan "
             "lämnas och kan vi önska {place}?"),
            ("feedback:thanks", "Tack till personalen", "Ett stort tack till personalen på {place}! Vårt barn "
             "trivs jättebra."),
        ),
        "en": (
            ("question", "Applying for day care", "We are moving to {city} in the summer. How do we apply for a "
             "day-care place, and are there English-speaking groups?"),
            ("feedback:thanks", "Thank you to the day-care staff", "We want to thank the staff of {place}. Our "
             "child has been so happy there."),
        ),
    },
    "koulut": {
        "fi": (
            ("question", "Kouluun ilmoittautuminen", "Lapsemme aloittaa koulun ensi syksynä. Milloin "
             "ilmoittautuminen kouluun on ja miten lähikoulu määräytyy?"),
            ("feedback:complaint", "Koulumatka on vaarallinen", "Koulumatkalla kohteeseen {place} on ylitettävä "
             "vilkas katu ilman suojatietä. Tarvitaan liikennevalot tai saattaja."),
            ("feedback:complaint", "Sisäilmaongelmat koulussa", "Kohteessa {place} lapset oireilevat: päänsärkyä "
             "ja yskää. Onko sisäilma tutkittu?"),
            ("feedback:thanks", "Upea kevätjuhla", "Kiitos kohteen {place} opettajille ja oppilaille upeasta "
             "kevätjuhlasta!"),
            ("question", "Koulukuljetus", "Asumme osoitteessa {address}. Onko lapsellamme oikeus "
             "koulukuljetukseen kohteeseen {place}?"),
        ),
        "sv": (
            ("question", "Skolanmälan", "Vårt barn börjar skolan i höst. När är skolanmälan till {place}?"),
            ("feedback:complaint", "Dålig inomhusluft", "Barnen i {place} har huvudvärk och hosta. Har "
             "inomhusluften undersökts?"),
        ),
        "en": (
            ("question", "School enrolment for a new family", "We are moving to {city} from abroad. How do we "
             "enrol our children in school, and is there teaching in English?"),
            ("feedback:complaint", "Dangerous way to school", "Children walking to {place} have to cross a busy "
             "road with no crossing. Could something be done?"),
        ),
    },
    "kirjastot": {
        "fi": (
            ("question", "Kirjaston aukioloajat kesällä", "Onko {place} auki juhannuksen aikaan? Verkkosivuilla "
             "ei ole tietoa kesän aukioloajoista."),
            ("feedback:thanks", "Ihana satutunti", "Kiitos kohteen {place} satutunneista! Lapset odottavat niitä "
             "koko viikon."),
            ("feedback:complaint", "Hiljainen lukusali ei ole hiljainen", "Kohteen {place} lukusalissa puhutaan "
             "puhelimeen ja syödään. Toivoisin, että henkilökunta puuttuisi."),
            ("feedback:wish", "Lisää e-kirjoja suomeksi", "Toivoisin kirjaston e-kirjavalikoimaan enemmän "
             "suomenkielisiä uutuuksia."),
            ("question", "Kadonnut laina", "Kadotin kirjaston kirjan. Miten toimin ja paljonko korvaus on?"),
        ),
        "sv": (
            ("feedback:wish", "Fler svenska böcker", "Jag önskar fler nya svenska böcker till {place}."),
            ("question", "Öppettider på sommaren", "Är {place} öppet under midsommaren?"),
        ),
        "en": (
            ("question", "Library card for a new resident", "I just moved to {city}. Can I get a library card "
             "without a Finnish personal identity code?"),
            ("feedback:thanks", "Great English book club", "Thank you for the English book club at {place}! It has "
             "helped me meet people in my new home town."),
        ),
    },
    "kulttuuri": {
        "fi": (
            ("feedback:thanks", "Loistava näyttely", "Kohteen {place} uusi näyttely oli upea. Kiitos!"),
            ("feedback:complaint", "Esteetön sisäänkäynti puuttuu", "Kohteeseen {place} ei pääse pyörätuolilla, "
             "koska sivuovi on lukossa eikä ovikelloa ole."),
            ("question", "Kaupungin kulttuuriavustukset", "Mistä voin hakea avustusta yhdistyksemme "
             "kesätapahtumalle {district_in}?"),
            ("feedback:idea", "Ilmaispäivä museoon", "Voisiko {place} olla kerran kuussa ilmainen lapsiperheille?"),
        ),
        "sv": (
            ("feedback:thanks", "Fin utställning", "Den nya utställningen på {place} var fantastisk. Tack!"),
        ),
        "en": (
            ("feedback:thanks", "Wonderful exhibition", "The new exhibition at {place} was wonderful. Thank you!"),
            ("question", "Events in English", "Are there any cultural events in English in {city} this autumn?"),
        ),
    },
    "uimahallit": {
        "fi": (
            ("feedback:complaint", "Kylmä vesi uimahallissa", "Kohteen {place} altaan vesi on ollut todella kylmää "
             "koko viikon. Vesijumppaan tulevat vanhukset palelevat."),
            ("feedback:complaint", "Saunat rikki", "Kohteen {place} miesten sauna on ollut rikki kaksi viikkoa."),
            ("question", "Uimahallin aukioloajat pyhinä", "Onko {place} auki pääsiäisenä?"),
            ("feedback:thanks", "Kiitos uimakoulusta", "Kiitos kohteen {place} uimakoulun ohjaajille! Lapsemme "
             "oppi uimaan kahdessa viikossa."),
            ("feedback:wish", "Naisten vuoro", "Toivoisin kohteeseen {place} naisten uintivuoroa."),
        ),
        "sv": (
            ("feedback:complaint", "Kallt vatten", "Vattnet i {place} har varit mycket kallt hela veckan."),
        ),
        "en": (
            ("feedback:complaint", "Cold water in the pool", "The water in {place} has been really cold all week."),
            ("question", "Swimming lessons for adults", "Does {place} offer swimming lessons for adults?"),
        ),
    },
    "liikuntapaikat": {
        "fi": (
            ("fault_report", "Latu ajamatta", "Latua kohteessa {place} ei ole ajettu {when} sataneen lumen "
             "jälkeen."),
            ("fault_report", "Kuntoradan valot pimeänä", "Kohteen {place} valaistus ei toimi. Radalla ei näe "
             "mitään iltaisin."),
            ("fault_report", "Luistelukenttä jäädyttämättä", "Luistelukenttä kohteessa {place} on vielä "
             "jäädyttämättä, vaikka pakkasta on ollut viikon."),
            ("feedback:wish", "Padel-kenttä", "Toivomme {district_in} ulkona olevaa padel-kenttää."),
            ("feedback:thanks", "Hyvin hoidettu kenttä", "Kiitos, että {place} on niin hyvässä kunnossa. "
             "Junioreiden harjoitukset sujuvat hienosti."),
        ),
        "sv": (
            ("fault_report", "Skidspåret är inte dragit", "Skidspåret på {place} har inte dragits efter snöfallet."),
        ),
        "en": (
            ("fault_report", "Ski trail not groomed", "The ski trail at {place} has not been groomed since it "
             "snowed {when}."),
            ("fault_report", "Lights out on the jogging track", "The lights on {place} are not working."),
        ),
    },
    "nuorisopalvelut": {
        "fi": (
            ("question", "Nuorisotalon aukioloajat", "Mihin aikaan {place} on auki viikonloppuisin?"),
            ("feedback:thanks", "Kiitos nuoriso-ohjaajille", "Kiitos kohteen {place} ohjaajille, jotka ovat "
             "tukeneet poikaani vaikeana aikana."),
            ("question", "Kesätyöseteli", "Miten nuori voi hakea kaupungin kesätyöseteliä?"),
        ),
        "sv": (
            ("question", "Sommarjobbssedel", "Hur ansöker en ung person om stadens sommarjobbssedel?"),
        ),
        "en": (
            ("question", "Youth centre activities", "What activities does {place} offer for 13-year-olds?"),
        ),
    },
    "terveysasemat": {
        "fi": (
            ("feedback:complaint", "Ajanvaraukseen ei pääse läpi", "Soitin kohteeseen {place} koko aamun, mutta "
             "jonoon ei päässyt. Takaisinsoittoakaan ei tullut."),
            ("feedback:thanks", "Ystävällinen hoitaja", "Kiitos kohteen {place} hoitajalle, joka otti aikaa ja "
             "kuunteli."),
            ("question", "Rokotusajan varaaminen", "Miten varaan influenssarokotuksen kohteesta {place}?"),
            ("feedback:complaint", "Pitkä odotus päivystyksessä", "Odotin kohteessa {place} neljä tuntia. "
             "Odotusajasta ei kerrottu mitään."),
        ),
        "sv": (
            ("feedback:complaint", "Kommer inte fram i telefon", "Jag ringde {place} hela förmiddagen men kom inte "
             "fram."),
            ("question", "Vaccination", "Hur bokar jag tid för influensavaccination?"),
        ),
        "en": (
            ("feedback:complaint", "Cannot get through on the phone", "I called {place} all morning but could not "
             "get through, and nobody called back."),
            ("question", "Registering at a health centre", "I am new in {city}. Which health centre should I use "
             "and how do I register?"),
        ),
    },
    "vanhuspalvelut": {
        "fi": (
            ("feedback:complaint", "Kotihoidon käynnit myöhässä", "Äitini kotihoidon käynnit ovat toistuvasti "
             "tunteja myöhässä. Hän jää ilman aamulääkkeitä."),
            ("feedback:thanks", "Kiitos palvelukeskukselle", "Kiitos kohteen {place} henkilökunnalle lämpimästä "
             "hoidosta. Isäni viihtyy hyvin."),
            ("question", "Palveluasumisen hakeminen", "Miten haetaan paikkaa kohteesta {place}, ja kauanko "
             "jonotusaika on?"),
        ),
        "sv": (
            ("feedback:complaint", "Hemvården kommer sent", "Hemvården kommer ofta flera timmar för sent till min "
             "mamma."),
        ),
        "en": (
            ("question", "Home care for my father", "How do I apply for home care for my elderly father who lives "
             "in {district}?"),
        ),
    },
    "sosiaalipalvelut": {
        "fi": (
            ("feedback:complaint", "Toimeentulotukipäätös viipyy", "Hain toimeentulotukea kuukausi sitten, mutta "
             "päätöstä ei ole vieläkään tullut. Tilanteeni on vaikea, koska olen ollut pitkään sairaana."),
            ("question", "Omaishoidon tuki", "Hoidan kotona muistisairasta puolisoani. Miten omaishoidon tukea "
             "haetaan ja kuinka kauan käsittely kestää?"),
            ("feedback:thanks", "Kiitos sosiaalityöntekijälle", "Haluan kiittää sosiaalityöntekijää, joka auttoi "
             "perhettämme vaikeassa tilanteessa. Saimme apua nopeasti."),
            ("feedback:complaint", "Sosiaalityöntekijää ei tavoita", "Olen yrittänyt tavoittaa omaa "
             "sosiaalityöntekijääni kaksi viikkoa. Puhelinaikana kukaan ei vastaa."),
            ("question", "Perhetyön saaminen", "Perheemme tarvitsisi tukea arkeen vauvan synnyttyä. Miten "
             "perhetyötä haetaan?"),
        ),
        "sv": (
            ("feedback:complaint", "Långa väntetider", "Jag har väntat i tre veckor på en tid hos socialarbetaren. "
             "Min situation är svår och jag behöver hjälp snabbt."),
        ),
        "en": (
            ("question", "Applying for social assistance", "I lost my job and my savings are running out. How do I "
             "apply for social assistance and what documents do I need?"),
        ),
    },
    "verkkosivut": {
        "fi": (
            ("fault_report", "Lomake ei lähde", "Yritin lähettää sähköistä hakemusta, mutta lomake antaa "
             "virheilmoituksen viimeisellä sivulla."),
            ("feedback:complaint", "Tietoa ei löydy", "Kaupungin verkkosivuilta on mahdoton löytää tietoa "
             "jätehuollosta. Haku ei löydä mitään."),
            ("question", "Kirjautuminen ei onnistu", "En pääse kirjautumaan sähköiseen asiointiin pankkitunnuksilla. "
             "Mikä voi olla vikana?"),
            ("feedback:thanks", "Selkeät uudet sivut", "Uudet verkkosivut ovat selkeät ja toimivat hyvin "
             "puhelimella. Hyvää työtä!"),
        ),
        "sv": (
            ("feedback:complaint", "Sidorna saknar svenska", "Stora delar av stadens webbplats finns bara på "
             "finska."),
        ),
        "en": (
            ("feedback:complaint", "Website not in English", "Most of the city's website is only in Finnish. It "
             "is very hard for newcomers to find information."),
            ("fault_report", "Online form error", "The online application form gives an error on the last page "
             "and cannot be submitted."),
        ),
    },
    "tyollisyys": {
        "fi": (
            ("question", "Palkkatuen hakeminen", "Olemme pieni yritys {district_in}. Miten haemme palkkatukea "
             "uuden työntekijän palkkaamiseen?"),
            ("question", "Kaupungin kesätyöt", "Milloin kaupungin kesätyöpaikat tulevat haettaviksi?"),
            ("feedback:thanks", "Kiitos työvalmentajalle", "Kiitos työvalmentajalle, jonka avulla sain "
             "työpaikan puolen vuoden etsimisen jälkeen."),
        ),
        "sv": (
            ("question", "Sommarjobb hos staden", "När kan man söka stadens sommarjobb?"),
        ),
        "en": (
            ("question", "Job-seeking support", "I am a new resident looking for work. Does {city} offer job-"
             "seeking support in English?"),
        ),
    },
    "maahanmuutto": {
        "fi": (
            ("question", "Suomen kielen kurssit", "Mistä löydän suomen kielen kursseja aikuisille {district_in}?"),
            ("feedback:thanks", "Kiitos neuvonnasta", "Kiitos maahanmuuttajaneuvonnalle! Sain apua kaikkiin "
             "muuttoon liittyviin kysymyksiin."),
        ),
        "sv": (
            ("question", "Kurser i svenska och finska", "Finns det kurser i svenska eller finska för vuxna i "
             "{city}?"),
        ),
        "en": (
            ("question", "Finnish language courses", "Where can I find Finnish language courses for adults in "
             "{city}?"),
            ("question", "Help after moving", "We just moved to {city} from India. Where can we get advice on "
             "registering, schools and health care?"),
            ("feedback:thanks", "Thank you for the advice", "Thank you to the newcomer advice service. Everything "
             "was explained clearly and kindly."),
        ),
    },
}

# Requests from city employees (kind internal_request), as (category code, title, body).
INTERNAL_TEMPLATES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fi": (
        ("verkkosivut", "Aukioloaikojen päivitys verkkosivuille", "Koivulan kirjaston aukioloajat muuttuvat ensi "
         "kuussa. Pyydämme päivittämään tiedot kaupungin verkkosivuille."),
        ("verkkosivut", "Uusi lomake verkkoasiointiin", "Tarvitsisimme sähköisen ilmoittautumislomakkeen kesän "
         "leiritoimintaan. Kuka voi auttaa?"),
        ("katuvalot", "Katuvalo pimeänä koulun edessä", "Katuvalo on pimeänä koulumme edessä osoitteessa {address}. "
         "Oppilaat kulkevat tästä aamuisin pimeässä."),
        ("talvikunnossapito", "Päiväkodin pihatie auraamatta", "Päiväkodin pihatietä osoitteessa {address} ei ole "
         "aurattu, eivätkä ruokakuljetukset pääse perille."),
        ("muu-korjattava", "Kaupungintalon aulan infonäyttö pimeänä", "Kaupungintalon pääaulan infonäyttö on ollut "
         "pimeänä {when} lähtien. Voisitteko tilata korjauksen?"),
        ("roskaaminen", "Koulun lähimetsässä roskia", "Koulun lähimetsässä osoitteen {address} lähellä on paljon "
         "roskia. Voisiko alueen siivota ennen luontoretkeä?"),
        ("leikkipuistot", "Päiväkodin käyttämän leikkipuiston keinu rikki", "Päiväkotimme ulkoilee päivittäin "
         "kohteessa {place}. Keinu on rikki, ja lapset kysyvät sitä joka päivä."),
    ),
    "en": (
        ("verkkosivut", "Translate the day-care enrolment page", "We need the day-care enrolment page in English as "
         "well. Could you add the translation to the website?"),
    ),
}

# The answer to each question template, by its title (same language as the question).
QUESTION_ANSWERS: dict[str, str] = {
    "Milloin katu päällystetään?": "Katu on tämän vuoden päällystysohjelmassa, ja työt tehdään kesä–elokuussa. "
    "Ajankohdasta tiedotetaan kadun varrella kaksi viikkoa etukäteen.",
    "När beläggs gatan?": "Gatan finns med i årets beläggningsprogram, och arbetet görs under sommaren.",
    "When will our street be resurfaced?": "The street is in this year's resurfacing programme. The work will be "
    "done between June and August, and notices go up two weeks in advance.",
    "Kuka vastaa tonttikadun auraamisesta?": "Kaupunki auraa ajoradan. Tontin kohdalla olevan jalkakäytävän auraus "
    "ja hiekoitus kuuluvat kiinteistölle.",
    "Miksi valot vaihtuvat niin hitaasti?": "Tarkistimme valojen ajoituksen. Jalankulkijan vihreä tulee nyt "
    "nopeammin, kun painonappia on painettu.",
    "Lauttaliikenne talvella": "Itäniemen lautta liikennöi ympäri vuoden. Talviaikataulu on voimassa lokakuusta "
    "huhtikuuhun, ja se löytyy reittioppaasta.",
    "Ferry timetable in winter": "The Itäniemi ferry runs all year round. The winter timetable is valid from "
    "October to April and is in the journey planner.",
    "Asukaspysäköintitunnus": "Asukaspysäköintitunnusta haetaan sähköisessä asioinnissa. Tunnus on voimassa "
    "vuoden, ja sen hinta riippuu alueesta.",
    "Boendeparkeringstillstånd": "Boendeparkeringstillstånd söks i e-tjänsten. Tillståndet gäller ett år, och "
    "priset beror på området.",
    "Residents' parking permit": "Residents' parking permits are applied for in the city's online services. A "
    "permit is valid for a year and the price depends on the zone.",
    "Meluilmoitus tapahtumasta": "Yksityinen pihajuhla ei vaadi meluilmoitusta, kunhan musiikki hiljennetään "
    "kello 22 jälkeen.",
    "Mihin vien vanhan sohvan?": "Suurikokoiset jätteet voi viedä Hakalan jäteasemalle, joka on auki arkisin "
    "kello 7–20. Kierrätyskeskus noutaa ehjiä huonekaluja maksutta.",
    "Var lämnar jag en gammal soffa?": "Skrymmande avfall kan lämnas vid avfallsstationen i Hagaby, som är öppen "
    "vardagar kl. 7–20.",
    "Getting rid of old furniture": "Bulky waste can be taken to the Hakala waste station, open on weekdays from "
    "7 am to 8 pm. The recycling centre also collects usable furniture for free.",
    "Tarvitaanko lupa terassille?": "Alle 20 neliön katettu terassi ei yleensä vaadi rakennuslupaa, mutta siitä "
    "on tehtävä ilmoitus rakennusvalvontaan. Tarkista myös asemakaavan määräykset.",
    "Rakennuslupahakemuksen käsittelyaika": "Hakemuksenne on käsittelyssä, ja rakennustarkastaja ottaa teihin "
    "yhteyttä kahden viikon kuluessa. Tavallinen käsittelyaika on 2–3 kuukautta.",
    "Behövs bygglov för terrass?": "En täckt terrass under 20 kvadratmeter kräver i regel inget bygglov, men den "
    "ska anmälas till byggnadstillsynen.",
    "Permit for a terrace": "A covered terrace under 20 square metres usually needs no building permit, but you "
    "must notify building control.",
    "Missä kaava-aineisto on nähtävillä?": "Kaava-aineisto on nähtävillä kaupungintalon neuvonnassa ja kaupungin "
    "verkkosivuilla. Mielipiteen voi jättää kuun loppuun asti.",
    "Var finns planmaterialet?": "Planmaterialet finns framlagt i stadshusets rådgivning och på stadens "
    "webbplats.",
    "Where can I see the plan?": "The plan materials are on display at the City Hall information desk and on the "
    "city's website.",
    "Vuokra-asuntohakemuksen tilanne": "Hakemuksen tilanteen näet sähköisessä asioinnissa. Hakemus on voimassa "
    "kolme kuukautta kerrallaan, joten muista uusia se.",
    "Asumisneuvojan vastaanotto": "Asumisneuvoja päivystää Itäniemen palvelupisteessä tiistaisin kello 9–12. "
    "Aikaa ei tarvitse varata.",
    "Ansökan om hyresbostad": "Du ser läget för din ansökan i e-tjänsten. Ansökan gäller tre månader åt gången.",
    "Applying for a city rental flat": "You can apply online. The waiting time is three to six months, depending "
    "on the size of the flat.",
    "Päivähoitopaikan hakeminen": "Hakemus on jätettävä viimeistään neljä kuukautta ennen hoidon tarvetta. "
    "Toiveet otetaan huomioon mahdollisuuksien mukaan.",
    "Varhaiskasvatusmaksun muutos": "Tulojen muutoksen voi ilmoittaa sähköisessä asioinnissa, ja maksu lasketaan "
    "uudelleen seuraavan kuun alusta.",
    "Ansökan om dagvårdsplats": "Ansökan ska lämnas senast fyra månader innan vårdbehovet börjar. Önskemål "
    "beaktas i mån av möjlighet.",
    "Applying for day care": "Please apply online at least four months before you need the place. The city has "
    "two English-speaking day-care groups.",
    "Kouluun ilmoittautuminen": "Kouluun ilmoittaudutaan tammikuussa sähköisesti. Lähikoulu määräytyy "
    "kotiosoitteen mukaan, ja päätökset lähetetään maaliskuussa.",
    "Koulukuljetus": "Koulukuljetukseen on oikeus, jos koulumatka on yli viisi kilometriä. Kuljetusta haetaan "
    "koulun kautta.",
    "Skolanmälan": "Skolanmälan görs elektroniskt i januari. Närskolan bestäms enligt hemadressen.",
    "School enrolment for a new family": "Newcomers can enrol their children at any time of year through the "
    "education office. There is an English-language class at Satamanmäen koulu.",
    "Kirjaston aukioloajat kesällä": "Kirjastot ovat suljettuina juhannusaattona ja juhannuspäivänä. Kesän "
    "aukioloajat on nyt päivitetty verkkosivuille.",
    "Kadonnut laina": "Ilmoita kadonneesta lainasta kirjastoon. Korvaus on kirjan hankintahinta, ja laina "
    "poistetaan tililtäsi, kun korvaus on maksettu.",
    "Öppettider på sommaren": "Biblioteken är stängda på midsommarafton och midsommardagen. Sommarens öppettider "
    "finns nu på webbplatsen.",
    "Library card for a new resident": "Anyone living in Finland can get a library card with an ID document; a "
    "Finnish personal identity code is not needed.",
    "Kaupungin kulttuuriavustukset": "Kulttuuriavustuksia haetaan kahdesti vuodessa sähköisellä lomakkeella. "
    "Seuraava hakuaika päättyy maaliskuun lopussa.",
    "Events in English": "Kulttuuritalo Majakka has events in English every month; see the events calendar on "
    "the city's website.",
    "Uimahallin aukioloajat pyhinä": "Uimahallit ovat auki pääsiäisenä kello 10–16. Poikkeavat aukioloajat "
    "näkyvät verkkosivuilla.",
    "Swimming lessons for adults": "Yes: adult swimming courses start in January and August. You can sign up in "
    "the online booking service.",
    "Saako metsästä kerätä risuja?": "Kaatuneita oksia saa kerätä omaan käyttöön pieniä määriä. Isompiin "
    "määriin tarvitaan lupa.",
    "Nuorisotalon aukioloajat": "Nuorisotalot ovat auki perjantaisin ja lauantaisin kello 18–22. Ajankohtainen "
    "ohjelma löytyy verkkosivuilta.",
    "Kesätyöseteli": "Kesätyöseteliä haetaan huhtikuussa sähköisellä lomakkeella. Se on tarkoitettu "
    "15–17-vuotiaille merilahtelaisille.",
    "Sommarjobbssedel": "Sommarjobbssedeln söks i april med en e-blankett. Den är avsedd för unga i åldern 15–17 "
    "år.",
    "Youth centre activities": "There are open evenings, a gaming club and a music studio for 13–17-year-olds. "
    "The programme is on the city's website.",
    "Rokotusajan varaaminen": "Influenssarokotuksen voi varata sähköisesti tai soittamalla terveysasemalle "
    "arkisin kello 8–16.",
    "Vaccination": "Du kan boka tid för influensavaccination elektroniskt eller genom att ringa hälsostationen "
    "vardagar kl. 8–16.",
    "Registering at a health centre": "Your health centre is the one in your home district. You can register by "
    "phone or online once you have a municipality of residence in Finland.",
    "Palveluasumisen hakeminen": "Palveluasumista haetaan palvelutarpeen arvioinnin kautta. Ota yhteyttä "
    "ikääntyneiden neuvontaan, niin arvioinnille sovitaan aika.",
    "Home care for my father": "Please call the senior advice line on a weekday. A home-care assessment visit is "
    "arranged within a week.",
    "Omaishoidon tuki": "Omaishoidon tukea haetaan lomakkeella, jonka löydät verkkosivuilta. Käsittely kestää "
    "noin kuukauden, ja kotikäynnistä sovitaan erikseen.",
    "Perhetyön saaminen": "Perhetyötä voi pyytää soittamalla perheneuvontaan. Ohjaaja ottaa yhteyttä viikon "
    "sisällä.",
    "Applying for social assistance": "Basic social assistance is applied for from Kela, supplementary assistance "
    "from the city. A social worker will contact you within a week.",
    "Kirjautuminen ei onnistu": "Tunnistautumispalvelussa oli häiriö, joka on nyt korjattu. Kokeile "
    "kirjautumista uudelleen.",
    "Palkkatuen hakeminen": "Palkkatukea haetaan sähköisesti ennen työsuhteen alkua. Yritysneuvojamme ottaa "
    "teihin yhteyttä ja auttaa hakemuksessa.",
    "Kaupungin kesätyöt": "Kaupungin kesätyöpaikat tulevat haettaviksi helmikuussa kaupungin "
    "rekrytointisivuilla.",
    "Sommarjobb hos staden": "Stadens sommarjobb kan sökas i februari på stadens rekryteringssidor.",
    "Job-seeking support": "Yes: the employment services offer coaching in English. Book an appointment online "
    "or call on a weekday.",
    "Suomen kielen kurssit": "Aikuisten suomen kielen kursseja järjestää kansalaisopisto. Kurssit alkavat elo- "
    "ja tammikuussa.",
    "Kurser i svenska och finska": "Kurser i finska och svenska för vuxna ordnas vid medborgarinstitutet. "
    "Kurserna börjar i augusti och januari.",
    "Finnish language courses": "Finnish courses for adults are run by the adult education centre and start in "
    "August and January. The newcomer advice service helps you choose a level.",
    "Help after moving": "The newcomer advice service in the City Hall helps with registration, schools and "
    "health care. No appointment is needed on Tuesdays and Thursdays.",
    "Kenelle ilmoitan?": "Laituri on kaupungin, joten välitimme ilmoituksen satamapalveluille. Lahonneet lankut "
    "vaihdetaan lähiviikkoina.",
}
QUESTION_FALLBACK = {
    "fi": "Lisätietoja löytyy kaupungin verkkosivuilta, ja asiakaspalvelumme auttaa puhelimitse arkisin kello 8–16.",
    "sv": "Mer information finns på stadens webbplats, och kundtjänsten hjälper per telefon vardagar kl. 8–16.",
    "en": "There is more on the city's website, and our customer service helps by phone on weekdays, 8 am to 4 pm.",
}
FAULT_ANSWERS = {
    "fi": ("Kohde on tarkastettu, ja korjaus on tilattu. Se tehdään kahden viikon kuluessa.",
           "Vika on korjattu. Kiitos, että ilmoitit!",
           "Kävimme paikalla ja hoidimme asian kuntoon."),
    "sv": ("Platsen har inspekterats och reparationen är beställd. Den görs inom två veckor.",
           "Felet är åtgärdat. Tack för att du hörde av dig!"),
    "en": ("We have inspected the site and ordered the repair; it will be done within two weeks.",
           "The fault has been fixed. Thank you for letting us know!"),
}
COMPLAINT_ANSWERS = {
    "fi": ("Olemme käsitelleet palautteesi yksikön kanssa, ja toimintaa korjataan.",
           "Palautteesi on välitetty toiminnasta vastaavalle esihenkilölle, joka selvittää asian."),
    "sv": ("Vi har gått igenom din respons med enheten och rättar till saken.",),
    "en": ("We have gone through your feedback with the team and are putting things right.",
           "Your feedback has been passed to the manager responsible, who is looking into it."),
}
INTERNAL_ANSWERS = {
    "fi": ("Pyyntö on hoidettu. Ilmoitathan, jos tarvitsette vielä jotain.", "Asia on nyt kunnossa."),
    "sv": ("Begäran är åtgärdad.",),
    "en": ("The request has been taken care of.",),
}

REPLY_OPENINGS: dict[str, dict[str, str]] = {
    "fi": {"fault_report": "Kiitos ilmoituksestasi.", "complaint": "Kiitos palautteestasi, ja pahoittelemme harmia.",
           "thanks": "Lämmin kiitos palautteestasi!", "wish": "Kiitos toiveestasi.", "idea": "Kiitos hyvästä ideasta.",
           "question": "Kiitos kysymyksestäsi.", "service_request": "Kiitos pyynnöstäsi.",
           "internal_request": "Kiitos pyynnöstä.", "feedback": "Kiitos palautteestasi."},
    "sv": {"fault_report": "Tack för din anmälan.", "complaint": "Tack för din respons, och vi beklagar besväret.",
           "thanks": "Varmt tack för din respons!", "wish": "Tack för ditt önskemål.", "idea": "Tack för en bra idé.",
           "question": "Tack för din fråga.", "service_request": "Tack för din begäran.",
           "internal_request": "Tack för begäran.", "feedback": "Tack för din respons."},
    "en": {"fault_report": "Thank you for your report.", "complaint": "Thank you for your feedback, and we are "
           "sorry for the trouble.", "thanks": "Thank you so much for your kind words!",
           "wish": "Thank you for your suggestion.", "idea": "Thank you for a great idea.",
           "question": "Thank you for your question.", "service_request": "Thank you for your request.",
           "internal_request": "Thank you for the request.", "feedback": "Thank you for your feedback."},
}
THANKS_RESOLUTION = {
    "fi": "Välitimme kiitoksesi koko henkilökunnalle – se ilahdutti kovasti.",
    "sv": "Vi har skickat ditt tack vidare till hela personalen.",
    "en": "We have passed your thanks on to the whole team – it made their day.",
}
IDEA_RESOLUTION = {
    "fi": "Otamme ehdotuksesi huomioon, kun suunnittelemme ensi vuoden toimintaa.",
    "sv": "Vi beaktar ditt förslag när vi planerar nästa års verksamhet.",
    "en": "We will consider your suggestion when we plan next year's work.",
}
GREETINGS = {"fi": ("Hei,", "Hei {first_name},", "Hyvä {first_name},"), "sv": ("Hej,", "Hej {first_name},"),
             "en": ("Hello,", "Dear {first_name},", "Hi {first_name},")}
REPLY_SIGNATURES = {"fi": "Ystävällisin terveisin", "sv": "Med vänliga hälsningar", "en": "Kind regards"}

# Asking the customer for more information: about a place on the map, or about a service.
MORE_INFO_QUESTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "place": {
        "fi": ("Voisitko tarkentaa, missä kohdassa ongelma tarkalleen on? Valokuva auttaisi meitä paljon.",
               "Tarvitsemme lisätietoja asian selvittämiseksi: milloin tilanne on havaittu ja toistuuko se?"),
        "sv": ("Kan du precisera var problemet finns? En bild skulle hjälpa oss mycket.",),
        "en": ("Could you tell us exactly where the problem is? A photo would help a lot.",),
    },
    "service": {
        "fi": ("Kertoisitko vielä, mitä toimipistettä palautteesi koskee ja mihin aikaan asia tapahtui?",
               "Tarvitsemme lisätietoja asian selvittämiseksi: milloin tilanne on ollut tällainen ja toistuuko se?"),
        "sv": ("Kan du berätta vilket verksamhetsställe det gäller och när det hände?",),
        "en": ("Could you tell us which office or unit this is about, and when it happened?",),
    },
}
MORE_INFO_QUESTIONS["question"] = {
    "fi": ("Jotta voimme vastata tarkasti, kertoisitko tilanteestasi vielä hieman lisää?",),
    "sv": ("För att kunna svara exakt behöver vi veta lite mer om din situation.",),
    "en": ("To answer precisely, could you tell us a little more about your situation?",),
}
MORE_INFO_ANSWERS: dict[str, dict[str, tuple[str, ...]]] = {
    "place": {
        "fi": ("Kohta on aivan suojatien vieressä, osoitteen {address} edustalla.",
               "Tilanne on ollut sama jo parin viikon ajan, ja pahimmillaan aamuisin.",
               "Lisään tähän tarkennuksen: kyse on osoitteesta {address}, sisäpihan puolelta.",
               "Kävin katsomassa uudelleen, tilanne on ennallaan."),
        "sv": ("Platsen är alldeles vid övergångsstället vid {address}.",
               "Det har varit så i ett par veckor, värst på morgnarna."),
        "en": ("It is right next to the pedestrian crossing at {address}.",
               "It has been like this for a couple of weeks, worst in the mornings."),
    },
    "service": {
        "fi": ("Asia tapahtui viime tiistaina iltapäivällä.", "Tilanne on toistunut useamman kerran tässä kuussa."),
        "sv": ("Det hände i tisdags eftermiddag.",),
        "en": ("It happened last Tuesday afternoon.", "It has happened several times this month."),
    },
    "question": {
        "fi": ("Tarkennuksena: asia koskee koko perhettämme, ja tarvitsisimme tiedon ensi kuuhun mennessä.",),
        "sv": ("För att förtydliga: det gäller hela vår familj, och vi behöver veta före nästa månad.",),
        "en": ("To clarify: this concerns our whole family, and we need to know by next month.",),
    },
}
EXTRA_MESSAGES = {
    "fi": ("Lisätietona: sama ongelma on myös viereisellä kadulla.",
           "Unohdin mainita, että tilanne on pahin iltaisin.",
           "Onko asialle jo tehty jotain? En ole saanut vielä vastausta."),
    "sv": ("Tilläggsinformation: samma problem finns också på gatan bredvid.",),
    "en": ("Additional information: the same problem is on the next street too.",
           "Has anything been done about this yet?"),
}
REOPEN_MESSAGES = {
    "fi": ("Asia ei ole vieläkään korjaantunut, vaikka vastauksessa muuta luvattiin.",
           "Vika uusiutui jo viikon päästä korjauksesta.",
           "En ole tyytyväinen vastaukseen. Toivon, että asia käsitellään uudelleen."),
    "sv": ("Det har fortfarande inte åtgärdats fast ni lovade det.",),
    "en": ("This still hasn't been fixed even though your reply said it would be.",
           "The problem came back a week after the repair."),
}
RECLOSE_REPLIES = {
    "fi": "Pahoittelemme, että asia ei korjaantunut ensimmäisellä kerralla. Kävimme kohteessa uudelleen, ja nyt "
          "korjaus on tehty kunnolla.",
    "sv": "Vi beklagar att saken inte åtgärdades första gången. Nu har reparationen gjorts ordentligt.",
    "en": "We are sorry it was not fixed the first time. We went back and the repair has now been done properly.",
}
NO_INFO_REPLIES = {
    "fi": "Emme saaneet pyytämiämme lisätietoja, joten suljemme asian. Voit aina lähettää uuden viestin.",
    "sv": "Vi fick inte den information vi bad om, så vi avslutar ärendet. Du kan alltid skicka ett nytt "
          "meddelande.",
    "en": "We did not receive the information we asked for, so we are closing the case. You are always welcome to "
          "write again.",
}

NOTES = (
    "Soitin asiakkaalle, ei vastannut. Yritän uudelleen huomenna.",
    "Käyty paikan päällä, havainto pitää paikkansa.",
    "Tarkistettu kartasta: kohde on kaupungin aluetta.",
    "Sama asia on ilmoitettu aiemminkin.",
    "Odotetaan urakoitsijan aikataulua.",
    "Kohde kuuluu ensi viikon tarkastuskierrokseen.",
    "Asiakas soitti ja kysyi tilannetta, kerroin käsittelyn olevan kesken.",
    "Keskusteltu esihenkilön kanssa, vastataan yhteisen linjauksen mukaisesti.",
    "Korjaus mahtuu tämän vuoden määrärahoihin.",
    "Checked with the team: this is ours, replying in English.",
)
PARTNER_NOTES = (
    "Työ aloitettu, valmista arviolta kahden päivän kuluessa.",
    "Korjattu. Kuvat työn jälkeen tallennettu urakoitsijan järjestelmään.",
    "Kohde korjattu ja alue siivottu.",
    "Väliaikainen korjaus tehty, lopullinen korjaus asfalttikauden alettua.",
)
COMMENT_QUESTIONS = (
    "Voisitko kommentoida, kuuluuko tämä kohde teidän vastuullenne?",
    "Tarvitsemme arviosi korjauksen aikataulusta ennen kuin vastaamme asiakkaalle.",
    "Onko teillä tietoa, onko tähän kohteeseen suunniteltu muutoksia?",
    "Pyydän lausuntoa ennen vastausta: onko teillä tähän jotain lisättävää?",
    "Onko tämä sama asia, josta keskustelimme viime viikolla?",
)
COMMENT_ANSWERS = (
    "Kohde kuuluu meille. Korjaus tehdään ensi viikolla.",
    "Ei kuulu meille, kyseessä on yksityinen tontti. Asiakas voi olla yhteydessä kiinteistön omistajaan.",
    "Alueelle on tulossa peruskorjaus ensi vuonna, joten isompia muutoksia ei nyt tehdä.",
    "Meillä ei ole lisättävää, voit vastata asiakkaalle.",
    "Sama asia, vastaus voi olla samansuuntainen kuin aiemmin.",
)
FORWARD_MESSAGES = (
    "Tämä kuuluu teille, kiitos!",
    "Välitän käsiteltäväksenne.",
    "Kohde on teidän alueellanne.",
    "Asiakas toivoo vastausta sähköpostitse.",
    "",
)
MISROUTE_MESSAGES = (
    "Ei kuulu meille – siirrän oikealle ryhmälle.",
    "Tämä on teidän vastuullanne, siirrän.",
)
PARTNER_ORDERS = (
    "Työmääräys: korjatkaa kohde ja kuitatkaa tehdyksi.",
    "Kiireellinen korjaus, turvallisuusriski.",
    "Korjaus seuraavalla huoltokierroksella.",
)
ASSIGN_MESSAGES = ("Sinun alueesi, ota tämä hoitoon.", "Hoidatko tämän?", "")
UNNECESSARY_REASONS = (
    "Tupla-ilmoitus, sama asia käsitellään toisessa tapauksessa.",
    "Roskaviesti.",
    "Asia ei kuulu kaupungille (yksityinen alue).",
    "Asiakas ilmoitti, että asia on jo hoitunut.",
    "Testiviesti.",
)
STAFF_REOPEN_REASONS = ("Asiakas soitti: asia on edelleen kesken.", "Suljettu vahingossa.")
