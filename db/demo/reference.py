"""Reference data of the demo business: places, phone plans, email domains, industries."""

from __future__ import annotations

from dataclasses import dataclass

from db.demo.catalog import Category


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    weight: float


INDONESIA = "Indonesia"

PLACES: tuple[Place, ...] = (
    Place("Jakarta", "DKI Jakarta", INDONESIA, 22),
    Place("Surabaya", "Jawa Timur", INDONESIA, 9),
    Place("Bandung", "Jawa Barat", INDONESIA, 8),
    Place("Tangerang", "Banten", INDONESIA, 5),
    Place("Bekasi", "Jawa Barat", INDONESIA, 4),
    Place("Medan", "Sumatera Utara", INDONESIA, 5),
    Place("Semarang", "Jawa Tengah", INDONESIA, 4),
    Place("Yogyakarta", "DI Yogyakarta", INDONESIA, 4),
    Place("Denpasar", "Bali", INDONESIA, 4),
    Place("Makassar", "Sulawesi Selatan", INDONESIA, 3),
    Place("Malang", "Jawa Timur", INDONESIA, 3),
    Place("Depok", "Jawa Barat", INDONESIA, 3),
    Place("Bogor", "Jawa Barat", INDONESIA, 3),
    Place("Palembang", "Sumatera Selatan", INDONESIA, 2),
    Place("Surakarta", "Jawa Tengah", INDONESIA, 1.5),
    Place("Batam", "Kepulauan Riau", INDONESIA, 1.5),
    Place("Balikpapan", "Kalimantan Timur", INDONESIA, 1.5),
    Place("Pekanbaru", "Riau", INDONESIA, 1.5),
    Place("Manado", "Sulawesi Utara", INDONESIA, 1),
    Place("Padang", "Sumatera Barat", INDONESIA, 1),
    Place("Singapore", "Singapore", "Singapore", 4),
    Place("Kuala Lumpur", "Wilayah Persekutuan", "Malaysia", 2.5),
    Place("George Town", "Pulau Pinang", "Malaysia", 1),
    Place("Sydney", "New South Wales", "Australia", 2),
    Place("Melbourne", "Victoria", "Australia", 1.5),
    Place("Perth", "Western Australia", "Australia", 1),
    Place("Amsterdam", "Noord-Holland", "Netherlands", 0.5),
    Place("Los Angeles", "California", "United States", 0.5),
)

# Mobile numbers in E.164: country code, fixed leading digits (one is drawn), random digits.
PHONE_PLANS: dict[str, tuple[str, tuple[str, ...], int]] = {
    INDONESIA: (
        "+62",
        ("811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "896"),
        8,
    ),
    "Singapore": ("+65", ("8", "9"), 7),
    "Malaysia": ("+60", ("12", "13", "16", "17", "19"), 7),
    "Australia": ("+61", ("4",), 8),
    "Netherlands": ("+31", ("6",), 8),
    "United States": ("+1", ("213", "310", "415", "646", "312"), 7),
}

COMPANY_SUFFIX = {
    "Singapore": "Pte Ltd",
    "Malaysia": "Sdn Bhd",
    "Australia": "Pty Ltd",
    "Netherlands": "B.V.",
    "United States": "LLC",
}
WEB_SUFFIX = {
    INDONESIA: "co.id",
    "Singapore": "com.sg",
    "Malaysia": "com.my",
    "Australia": "com.au",
    "Netherlands": "nl",
    "United States": "com",
}

EMAIL_DOMAINS_ID = {
    "gmail.com": 55,
    "yahoo.co.id": 15,
    "yahoo.com": 8,
    "outlook.com": 8,
    "hotmail.com": 5,
    "icloud.com": 5,
    "ymail.com": 4,
}
EMAIL_DOMAINS_INTL = {
    "gmail.com": 45,
    "outlook.com": 20,
    "icloud.com": 15,
    "yahoo.com": 10,
    "hotmail.com": 10,
}


@dataclass(frozen=True)
class Industry:
    name: str
    weight: float
    name_patterns: tuple[str, ...]  # "{w}" and "{v}" are words, "{city}" the account's city
    buys: dict[Category, float]  # which categories its orders start from


_C = Category
INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "Café & coffee shop",
        20,
        ("Kedai Kopi {w}", "{w} Coffee", "Kopi {w} {v}", "{w} Roastery"),
        {_C.COFFEE: 35, _C.PANTRY: 25, _C.KITCHEN: 25, _C.TEA: 10, _C.SNACKS: 5},
    ),
    Industry(
        "Hotel & hospitality",
        12,
        ("Hotel {w} {city}", "{w} {v} Resort", "Wisma {w}"),
        {_C.TEA: 25, _C.COFFEE: 25, _C.SNACKS: 20, _C.PANTRY: 20, _C.KITCHEN: 10},
    ),
    Industry(
        "Restaurant & catering",
        14,
        ("Rumah Makan {w}", "{w} {v} Catering", "Warung {w}"),
        {_C.PANTRY: 30, _C.COFFEE: 20, _C.TEA: 20, _C.SNACKS: 15, _C.KITCHEN: 15},
    ),
    Industry(
        "Corporate office",
        22,
        ("PT {w} {v}", "PT {w} {v} Tbk", "CV {w} {v}"),
        {_C.OFFICE: 40, _C.PANTRY: 20, _C.COFFEE: 20, _C.SNACKS: 10, _C.TEA: 10},
    ),
    Industry(
        "Co-working space",
        6,
        ("{w} Space", "{w} {v} Hub"),
        {_C.COFFEE: 30, _C.OFFICE: 25, _C.PANTRY: 20, _C.SNACKS: 15, _C.TEA: 10},
    ),
    Industry(
        "Retail & minimarket",
        12,
        ("Toko {w}", "{w} Mart", "Swalayan {w} {v}"),
        {_C.SNACKS: 35, _C.COFFEE: 20, _C.TEA: 20, _C.PANTRY: 15, _C.KITCHEN: 10},
    ),
    Industry(
        "Education",
        8,
        ("Sekolah {w} {v}", "Yayasan Pendidikan {w}", "Politeknik {w}"),
        {_C.OFFICE: 45, _C.SNACKS: 20, _C.PANTRY: 15, _C.TEA: 10, _C.COFFEE: 10},
    ),
    Industry(
        "Healthcare",
        6,
        ("Klinik {w} {v}", "RS {w} {city}", "Apotek {w}"),
        {_C.OFFICE: 35, _C.TEA: 20, _C.PANTRY: 20, _C.SNACKS: 15, _C.COFFEE: 10},
    ),
)

# What a consumer's (B2C) first basket line is most often.
CONSUMER_BUYS: dict[Category, float] = {
    _C.COFFEE: 30,
    _C.SNACKS: 25,
    _C.TEA: 20,
    _C.KITCHEN: 15,
    _C.PANTRY: 7,
    _C.OFFICE: 3,
}

NAME_WORDS = [
    "Sinar",
    "Maju",
    "Jaya",
    "Abadi",
    "Sentosa",
    "Makmur",
    "Nusantara",
    "Berkah",
    "Cahaya",
    "Mitra",
    "Karya",
    "Harapan",
    "Bintang",
    "Mentari",
    "Pelangi",
    "Samudra",
    "Rimba",
    "Lestari",
    "Sejahtera",
    "Anugerah",
    "Mulia",
    "Prima",
    "Citra",
    "Gemilang",
    "Senja",
    "Teduh",
    "Rindang",
    "Kenari",
    "Melati",
    "Cendana",
    "Kencana",
    "Bahari",
    "Tirta",
    "Wijaya",
    "Mandiri",
    "Perkasa",
    "Utama",
    "Agung",
    "Indah",
    "Sumber",
    "Fajar",
    "Surya",
    "Permata",
    "Lancar",
    "Rahayu",
    "Sakti",
    "Karunia",
    "Bumi",
    "Angkasa",
    "Dharma",
]

CUSTOMER_TAGS: tuple[list[str], ...] = ([], ["vip"], ["wholesale"], ["horeca"], ["newsletter"])
