"""Danish reference data for generated volunteers, stations and teams.

Names are weighted roughly by how common they are in Denmark, with enough Æ, Ø
and Å (Søren, Jørgen, Åse, Østergaard, Aagaard, Kjærgaard…) that sorting and
rendering bugs show up. Everything here is plain data; bench.datagen draws from
it with a seeded random.Random, so output is deterministic.
"""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumberType

# fmt: off
# (name, weight). Compound first names ("Anne Sofie") are made in datagen.
MALE_FIRST_NAMES: list[tuple[str, int]] = [
    ("Peter", 40), ("Jens", 38), ("Lars", 36), ("Michael", 35), ("Henrik", 33),
    ("Søren", 32), ("Thomas", 31), ("Niels", 30), ("Anders", 29), ("Jørgen", 27),
    ("Christian", 26), ("Martin", 25), ("Morten", 22), ("Rasmus", 21), ("Hans", 21),
    ("Jan", 20), ("Ole", 19), ("Poul", 17), ("Mads", 17), ("Per", 16), ("Kim", 15),
    ("Mikkel", 14), ("Bjørn", 10), ("Torben", 10), ("Steen", 9), ("Bent", 9),
    ("Frederik", 9), ("Kasper", 9), ("Jesper", 12), ("Kjeld", 6), ("Finn", 7),
    ("Jørn", 6), ("Aage", 4), ("Åge", 2), ("Øjvind", 2), ("Asger", 4), ("Emil", 8),
    ("Magnus", 6), ("Oliver", 5), ("Noah", 3), ("William", 4), ("Villads", 3),
    ("Malthe", 3), ("Laurits", 3), ("Aksel", 3), ("Mohammed", 4), ("Ali", 3),
    ("Ahmad", 2), ("Tobias", 5), ("Sebastian", 5), ("Kristoffer", 4), ("Carsten", 8),
]
FEMALE_FIRST_NAMES: list[tuple[str, int]] = [
    ("Anne", 40), ("Kirsten", 36), ("Mette", 35), ("Hanne", 33), ("Susanne", 31),
    ("Lene", 28), ("Marianne", 27), ("Karen", 26), ("Maria", 25), ("Inge", 22),
    ("Pia", 20), ("Louise", 20), ("Camilla", 19), ("Charlotte", 19), ("Tina", 17),
    ("Birgitte", 17), ("Helle", 16), ("Lone", 15), ("Dorte", 14), ("Bodil", 11),
    ("Grethe", 11), ("Birthe", 12), ("Jytte", 9), ("Bente", 11), ("Else", 9),
    ("Åse", 3), ("Aase", 3), ("Sørine", 1), ("Gitte", 10), ("Rikke", 10),
    ("Sofie", 9), ("Ida", 8), ("Emma", 8), ("Freja", 6), ("Clara", 5), ("Laura", 7),
    ("Anna", 8), ("Ella", 4), ("Karla", 4), ("Alma", 4), ("Josefine", 4),
    ("Mathilde", 5), ("Cecilie", 6), ("Signe", 6), ("Astrid", 4), ("Frida", 3),
    ("Fatima", 3), ("Amina", 2), ("Yasmin", 2), ("Mia", 5), ("Line", 7),
]
MIDDLE_NAMES_FEMALE = ["Marie", "Sofie", "Kathrine", "Louise", "Margrethe", "Cecilie"]
MIDDLE_NAMES_MALE = ["Christian", "Peter", "Henrik", "Erik", "Bo", "Kristian"]

LAST_NAMES: list[tuple[str, int]] = [
    ("Jensen", 250), ("Nielsen", 245), ("Hansen", 200), ("Pedersen", 150),
    ("Andersen", 145), ("Christensen", 115), ("Larsen", 110), ("Sørensen", 105),
    ("Rasmussen", 90), ("Jørgensen", 85), ("Petersen", 75), ("Madsen", 60),
    ("Kristensen", 60), ("Olsen", 50), ("Thomsen", 45), ("Christiansen", 40),
    ("Poulsen", 38), ("Johansen", 37), ("Møller", 36), ("Mortensen", 35),
    ("Knudsen", 25), ("Jakobsen", 24), ("Mikkelsen", 22), ("Frederiksen", 21),
    ("Laursen", 20), ("Henriksen", 20), ("Lund", 19), ("Schmidt", 16),
    ("Eriksen", 15), ("Holm", 15), ("Kristiansen", 14), ("Clausen", 14),
    ("Simonsen", 13), ("Svendsen", 13), ("Andreasen", 12), ("Iversen", 11),
    ("Østergaard", 11), ("Jeppesen", 10), ("Vestergaard", 10), ("Nissen", 9),
    ("Lauridsen", 9), ("Kjær", 9), ("Jespersen", 9), ("Mogensen", 9),
    ("Skov", 8), ("Søndergaard", 8), ("Nørgaard", 8), ("Kjærgaard", 6),
    ("Bach", 6), ("Dam", 6), ("Bak", 5), ("Bæk", 3), ("Aagaard", 5), ("Ågård", 1),
    ("Damgaard", 5), ("Bundgaard", 4), ("Lykkegaard", 3), ("Skovgaard", 4),
    ("Høj", 3), ("Ørum", 2), ("Ødum", 1), ("Ølgaard", 1), ("Frølich", 1),
    ("Bøgh", 2), ("Løvendahl", 1), ("Brønnum", 1), ("Aakjær", 1), ("Dæhnfeldt", 1),
    ("Mærsk", 1), ("Kaya", 3), ("Yilmaz", 3), ("Hussein", 3), ("Ali", 2),
    ("Nguyen", 2), ("Kowalski", 2), ("Nowak", 2),
]

STREETS = [
    "Østergade", "Vestergade", "Nørregade", "Søndergade", "Algade", "Skolevej",
    "Kirkevej", "Møllevej", "Stationsvej", "Åboulevarden", "Ærøvej", "Bøgevej",
    "Egevej", "Birkevej", "Kærvej", "Hjortøvej", "Sølvgade", "Rådhusstræde",
    "Havnegade", "Strandvejen", "Engvej", "Skovvej", "Grønnegade", "Fælledvej",
    "Ågade", "Præstegårdsvej", "Bakkevej", "Lindevej", "Rosenvænget", "Vibevej",
    "Mågevej", "Svanevej", "Lærkevej", "Kastanie Allé", "H.C. Andersens Vej",
    "Dronningensgade", "Kongensgade", "Jernbanegade", "Smedegade", "Fiskergade",
    "Åløkkevej", "Ørnevej", "Bygaden", "Tværgade", "Parkvej", "Solvænget",
]
FLOORS = ["st. tv.", "st. th.", "1. tv.", "1. th.", "2. tv.", "2. th.", "3. mf.", "4. tv."]

# Station names: "<prefix><kind>", e.g. Nørreskolen, Åhallen, Bakkegårdsskolen.
STATION_PREFIXES = [
    "Nørre", "Vester", "Øster", "Sønder", "Bakke", "Skov", "Eng", "Strand", "Å",
    "Mølle", "Kirke", "Lunde", "Hede", "Kær", "Bøge", "Ege", "Rosen", "Holme",
    "Vænge", "Fjord", "Ærte", "Ørne", "Lærke", "Sol", "Bavne", "Humle", "Lind",
]
STATION_KINDS = [
    "skolen", "hallen", "gårdsskolen", "vangsskolen", "bjergskolen", "huset",
    "centret", "lundskolen",
]
STATION_NAMED = ["{town} Rådhus", "{town} Bibliotek", "Medborgerhuset {town}",
                 "{town} Idrætscenter", "{town} Forsamlingshus", "{town} Sognegård"]
CAPACITY_NOTES = [
    "Gymnastiksalen. {booths} stemmebokse, niveaufri adgang fra skolegården.",
    "Festsalen på 1. sal, elevator ved hovedindgangen. {booths} stemmebokse.",
    "Hal 2. {booths} stemmebokse. P-plads til 40 biler; handicapparkering ved indgang A.",
    "Kantinen. {booths} stemmebokse. Nøgle hos pedellen fra kl. 6.30.",
    "Mødesal A og B. {booths} stemmebokse, teleslynge i mødesal A.",
]

# The fictional demo municipality (town scale): three areas, one town each.
DEMO_MUNICIPALITY = "Sønderå Kommune"
TOWN_AREAS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Sønderå Midt", [("6535", "Sønderå")]),
    ("Ålunde", [("6536", "Ålunde")]),
    ("Kærbæk-Østerby", [("6537", "Kærbæk"), ("6538", "Østerby")]),
]

# City scale: Copenhagen's ten nomination districts (opstillingskredse).
CITY_AREAS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Østerbrokredsen", [("2100", "København Ø")]),
    ("Sundbyvesterkredsen", [("2300", "København S")]),
    ("Indre Bykredsen", [("1050", "København K"), ("1150", "København K")]),
    ("Sundbyøsterkredsen", [("2300", "København S")]),
    ("Nørrebrokredsen", [("2200", "København N")]),
    ("Bispebjergkredsen", [("2400", "København NV")]),
    ("Brønshøjkredsen", [("2700", "Brønshøj"), ("2720", "Vanløse")]),
    ("Valbykredsen", [("2500", "Valby")]),
    ("Vesterbrokredsen", [("1650", "København V"), ("2450", "København SV")]),
    ("Falkonerkredsen", [("2000", "Frederiksberg")]),
]

# National scale: postal towns, grouped into "<town>kredsen" areas.
POSTAL_TOWNS: list[tuple[str, str]] = [
    ("2610", "Rødovre"), ("2620", "Albertslund"), ("2630", "Taastrup"),
    ("2650", "Hvidovre"), ("2660", "Brøndby Strand"), ("2670", "Greve"),
    ("2680", "Solrød Strand"), ("2730", "Herlev"), ("2750", "Ballerup"),
    ("2760", "Måløv"), ("2770", "Kastrup"), ("2791", "Dragør"),
    ("2800", "Kongens Lyngby"), ("2820", "Gentofte"), ("2840", "Holte"),
    ("2860", "Søborg"), ("2880", "Bagsværd"), ("2900", "Hellerup"),
    ("2970", "Hørsholm"), ("2990", "Nivå"), ("3000", "Helsingør"),
    ("3050", "Humlebæk"), ("3060", "Espergærde"), ("3100", "Hornbæk"),
    ("3200", "Helsinge"), ("3300", "Frederiksværk"), ("3400", "Hillerød"),
    ("3460", "Birkerød"), ("3480", "Fredensborg"), ("3500", "Værløse"),
    ("3520", "Farum"), ("3600", "Frederikssund"), ("3650", "Ølstykke"),
    ("3660", "Stenløse"), ("3700", "Rønne"), ("3730", "Nexø"), ("3770", "Allinge"),
    ("4000", "Roskilde"), ("4040", "Jyllinge"), ("4100", "Ringsted"),
    ("4180", "Sorø"), ("4200", "Slagelse"), ("4220", "Korsør"), ("4300", "Holbæk"),
    ("4400", "Kalundborg"), ("4500", "Nykøbing Sj"), ("4600", "Køge"),
    ("4690", "Haslev"), ("4700", "Næstved"), ("4720", "Præstø"),
    ("4760", "Vordingborg"), ("4780", "Stege"), ("4800", "Nykøbing F"),
    ("4900", "Nakskov"), ("4930", "Maribo"), ("4990", "Sakskøbing"),
    ("5000", "Odense C"), ("5200", "Odense V"), ("5300", "Kerteminde"),
    ("5450", "Otterup"), ("5500", "Middelfart"), ("5560", "Aarup"),
    ("5600", "Faaborg"), ("5610", "Assens"), ("5700", "Svendborg"),
    ("5750", "Ringe"), ("5800", "Nyborg"), ("5900", "Rudkøbing"),
    ("5970", "Ærøskøbing"), ("5985", "Søby Ærø"), ("6000", "Kolding"),
    ("6100", "Haderslev"), ("6200", "Aabenraa"), ("6270", "Tønder"),
    ("6300", "Gråsten"), ("6400", "Sønderborg"), ("6430", "Nordborg"),
    ("6600", "Vejen"), ("6630", "Rødding"), ("6700", "Esbjerg"), ("6720", "Fanø"),
    ("6760", "Ribe"), ("6800", "Varde"), ("6870", "Ølgod"), ("6900", "Skjern"),
    ("6950", "Ringkøbing"), ("7000", "Fredericia"), ("7100", "Vejle"),
    ("7190", "Billund"), ("7300", "Jelling"), ("7330", "Brande"),
    ("7400", "Herning"), ("7500", "Holstebro"), ("7600", "Struer"),
    ("7700", "Thisted"), ("7800", "Skive"), ("7900", "Nykøbing M"),
    ("8000", "Aarhus C"), ("8200", "Aarhus N"), ("8230", "Åbyhøj"),
    ("8240", "Risskov"), ("8260", "Viby J"), ("8270", "Højbjerg"), ("8300", "Odder"),
    ("8400", "Ebeltoft"), ("8500", "Grenaa"), ("8600", "Silkeborg"), ("8680", "Ry"),
    ("8700", "Horsens"), ("8800", "Viborg"), ("8850", "Bjerringbro"),
    ("8900", "Randers C"), ("9000", "Aalborg"), ("9400", "Nørresundby"),
    ("9500", "Hobro"), ("9600", "Aars"), ("9700", "Brønderslev"),
    ("9800", "Hjørring"), ("9850", "Hirtshals"), ("9900", "Frederikshavn"),
    ("9990", "Skagen"),
]

# Party teams: (name, short name = ballot letter, weight among party members).
PARTIES: list[tuple[str, str, int]] = [
    ("Socialdemokratiet", "A", 28),
    ("Venstre, Danmarks Liberale Parti", "V", 14),
    ("SF – Socialistisk Folkeparti", "F", 9),  # noqa: RUF001 (Danish dash)
    ("Danmarksdemokraterne", "Æ", 8),
    ("Liberal Alliance", "I", 8),
    ("Det Konservative Folkeparti", "C", 7),
    ("Enhedslisten", "Ø", 6),
    ("Moderaterne", "M", 6),
    ("Radikale Venstre", "B", 4),
    ("Dansk Folkeparti", "O", 3),
    ("Alternativet", "Å", 3),
]
OTHER_TEAMS: list[tuple[str, str, str]] = [
    ("Borgerservice", "BS", "department"),
    ("Ungdomsskolens frivillige", "UNG", "volunteer_group"),
    ("Ældresagens valghjælpere", "ÆS", "volunteer_group"),
]
SKILLS = [
    "Førstehjælp", "Tegnsprog", "Engelsk", "Arabisk", "Tyrkisk", "Polsk",
    "Erfaren valgstyrer", "Erfaren tilforordnet", "Kørekort",
]
DIETS = ["Vegetar", "Glutenfri", "Laktosefri", "Halal", "Ingen svinekød", "Veganer"]
NOTES = [
    "Kan kun om formiddagen.",
    "Har været med ved de sidste fem valg.",
    "Vil gerne sidde sammen med en kollega fra skolen.",
    "Ring efter kl. 16.",
    "Gangbesværet – sæt gerne ved bordet tættest på indgangen.",  # noqa: RUF001
]
DECLINE_REASONS = [
    "", "", "", "Jeg er på ferie.", "Arbejder den dag.", "Passer børnebørn.",
    "Er desværre syg.", "Kan kun om eftermiddagen.", "Skal til konfirmation.",
]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

# Danish mobile numbers: eight digits. These two-digit prefixes are the
# ranges handed out to mobile operators; every generated number is still
# checked with phonenumbers before it is used.
MOBILE_PREFIXES = [
    "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
    "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91", "92", "93",
]
# fmt: on
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def is_dk_mobile(e164: str) -> bool:
    """True for a valid Danish number that phonenumbers accepts as a mobile."""
    try:
        number = phonenumbers.parse(e164, "DK")
    except phonenumbers.NumberParseException:
        return False
    return (
        number.country_code == 45
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in _MOBILE_TYPES
    )


def mobile_number(rng: random.Random, taken: set[str]) -> str:
    """A fresh, valid Danish mobile number in E.164, not in ``taken`` (which grows)."""
    while True:
        number = f"+45{rng.choice(MOBILE_PREFIXES)}{rng.randrange(100000, 1000000)}"
        if number not in taken and is_dk_mobile(number):
            taken.add(number)
            return number


_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe"})


def email_local(*parts: str) -> str:
    """'Søren', 'Østergaard' -> 'soeren.oestergaard' (the way Danes spell it in addresses)."""
    cleaned = []
    for part in parts:
        text = part.lower().translate(_ASCII)
        cleaned.append("".join(c for c in text if c.isascii() and (c.isalnum() or c == "-")))
    return ".".join(p for p in cleaned if p)
