"""The demo distributor's catalogue: categories, items, pack sizes and what sells together."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    COFFEE = "Coffee"
    TEA = "Tea"
    SNACKS = "Snacks"
    KITCHEN = "Kitchenware"
    OFFICE = "Office Supplies"
    PANTRY = "Pantry"


SKU_PREFIX = {
    Category.COFFEE: "COF",
    Category.TEA: "TEA",
    Category.SNACKS: "SNK",
    Category.KITCHEN: "KIT",
    Category.OFFICE: "OFC",
    Category.PANTRY: "PAN",
}

# Share of the catalogue per category.
CATEGORY_SHARE = {
    Category.COFFEE: 0.24,
    Category.TEA: 0.16,
    Category.SNACKS: 0.18,
    Category.KITCHEN: 0.14,
    Category.OFFICE: 0.14,
    Category.PANTRY: 0.14,
}

# Pack sizes: (name suffix, price multiple of the base).
_BEANS = (("Biji 250 g", 1.0), ("Bubuk 250 g", 1.0), ("Biji 1 kg", 3.6), ("Drip Bag 10 pcs", 0.8))
_TEA = (("25 kantong", 1.0), ("Daun 100 g", 1.4), ("Daun 500 g", 5.5))
_SNACK = (("200 g", 1.0), ("500 g", 2.2), ("Karton 12 pak", 10.5))
_SINGLE = (("", 1.0),)
_COLOURS = (("Hitam", 1.0), ("Putih", 1.0))
_PACKS = (("", 1.0), ("Box isi 5", 4.7))

# (category, item name, base price in rupiah, pack sizes)
ITEMS: tuple[tuple[Category, str, int, tuple[tuple[str, float], ...]], ...] = (
    (Category.COFFEE, "Kopi Arabika Gayo", 95_000, _BEANS),
    (Category.COFFEE, "Kopi Arabika Toraja Sapan", 105_000, _BEANS),
    (Category.COFFEE, "Kopi Arabika Kintamani", 98_000, _BEANS),
    (Category.COFFEE, "Kopi Arabika Flores Bajawa", 92_000, _BEANS),
    (Category.COFFEE, "Kopi Arabika Java Preanger", 90_000, _BEANS),
    (Category.COFFEE, "Kopi Mandailing", 88_000, _BEANS),
    (Category.COFFEE, "Kopi Arabika Wamena", 115_000, _BEANS),
    (Category.COFFEE, "Kopi Robusta Lampung", 55_000, _BEANS),
    (Category.COFFEE, "Kopi Robusta Temanggung", 60_000, _BEANS),
    (Category.COFFEE, "Espresso Blend Nusantara", 85_000, _BEANS),
    (Category.COFFEE, "House Blend Harian", 65_000, _BEANS),
    (Category.COFFEE, "Kopi Decaf Sumatra", 120_000, _BEANS),
    (Category.TEA, "Teh Hijau Melati", 28_000, _TEA),
    (Category.TEA, "Teh Hitam Kayu Aro", 32_000, _TEA),
    (Category.TEA, "Teh Putih Gunung", 75_000, _TEA),
    (Category.TEA, "Teh Oolong Pegunungan", 68_000, _TEA),
    (Category.TEA, "Teh Tubruk Wangi", 25_000, _TEA),
    (Category.TEA, "Earl Grey", 45_000, _TEA),
    (Category.TEA, "Teh Rempah Jahe Serai", 38_000, _TEA),
    (Category.TEA, "Teh Rosella", 35_000, _TEA),
    (Category.TEA, "Matcha Latte Bubuk", 85_000, _TEA),
    (Category.TEA, "Teh Chamomile", 48_000, _TEA),
    (Category.SNACKS, "Keripik Singkong Balado", 25_000, _SNACK),
    (Category.SNACKS, "Keripik Tempe", 27_000, _SNACK),
    (Category.SNACKS, "Kacang Mete Panggang", 65_000, _SNACK),
    (Category.SNACKS, "Rengginang Udang", 30_000, _SNACK),
    (Category.SNACKS, "Biskuit Mentega", 35_000, _SNACK),
    (Category.SNACKS, "Nastar Nanas", 60_000, _SNACK),
    (Category.SNACKS, "Pisang Sale", 28_000, _SNACK),
    (Category.SNACKS, "Dodol Garut", 32_000, _SNACK),
    (Category.SNACKS, "Bakpia Kacang Hijau", 40_000, _SNACK),
    (Category.SNACKS, "Kerupuk Ikan Palembang", 35_000, _SNACK),
    (Category.SNACKS, "Granola Bar Kelapa", 45_000, _SNACK),
    (Category.SNACKS, "Kue Bawang", 30_000, _SNACK),
    (Category.SNACKS, "Emping Melinjo", 42_000, _SNACK),
    (Category.SNACKS, "Cokelat Batang Kakao Bali", 55_000, _SNACK),
    (Category.KITCHEN, "Dripper V60 Keramik", 185_000, _COLOURS),
    (Category.KITCHEN, "Kertas Filter V60 100 pcs", 55_000, _PACKS),
    (Category.KITCHEN, "French Press 600 ml", 250_000, _COLOURS),
    (Category.KITCHEN, "Moka Pot 3 Cup", 320_000, _SINGLE),
    (Category.KITCHEN, "Grinder Kopi Manual", 450_000, _SINGLE),
    (Category.KITCHEN, "Grinder Kopi Elektrik", 1_350_000, _SINGLE),
    (Category.KITCHEN, "Ketel Leher Angsa 1 L", 380_000, _COLOURS),
    (Category.KITCHEN, "Timbangan Digital Kopi", 220_000, _SINGLE),
    (Category.KITCHEN, "Milk Jug 350 ml", 120_000, _SINGLE),
    (Category.KITCHEN, "Tumbler Stainless 500 ml", 150_000, _COLOURS),
    (Category.KITCHEN, "Set Cangkir Keramik isi 6", 240_000, _COLOURS),
    (Category.KITCHEN, "Teko Teh Kaca 800 ml", 175_000, _SINGLE),
    (Category.KITCHEN, "Saringan Teh Stainless", 35_000, _PACKS),
    (Category.KITCHEN, "Mesin Espresso Rumahan", 2_450_000, _SINGLE),
    (Category.KITCHEN, "Ketel Listrik 1,7 L", 290_000, _COLOURS),
    (Category.KITCHEN, "Cold Brew Maker 1 L", 210_000, _SINGLE),
    (Category.KITCHEN, "Gelas Latte 350 ml isi 6", 160_000, _PACKS),
    (Category.KITCHEN, "Toples Kedap Udara 1 L", 65_000, _PACKS),
    (Category.KITCHEN, "Tamper Espresso 51 mm", 140_000, _SINGLE),
    (Category.KITCHEN, "Penyeduh Aeropress", 520_000, _SINGLE),
    (Category.OFFICE, "Kertas HVS A4 70 g", 52_000, _PACKS),
    (Category.OFFICE, "Kertas HVS F4 80 g", 60_000, _PACKS),
    (Category.OFFICE, "Pulpen Gel Hitam 12 pcs", 45_000, _PACKS),
    (Category.OFFICE, "Spidol Whiteboard 12 pcs", 85_000, _PACKS),
    (Category.OFFICE, "Sticky Notes 12 pad", 70_000, _PACKS),
    (Category.OFFICE, "Map Plastik 50 pcs", 60_000, _PACKS),
    (Category.OFFICE, "Stapler HD-10", 30_000, _PACKS),
    (Category.OFFICE, "Isi Staples No. 10", 40_000, _PACKS),
    (Category.OFFICE, "Buku Tulis 58 lembar 10 pcs", 45_000, _PACKS),
    (Category.OFFICE, "Tinta Printer Hitam 70 ml", 95_000, _PACKS),
    (Category.OFFICE, "Ordner Folio", 38_000, _PACKS),
    (Category.OFFICE, "Kalkulator Meja 12 Digit", 150_000, _SINGLE),
    (Category.OFFICE, "Pemotong Kertas A4", 650_000, _SINGLE),
    (Category.OFFICE, "Amplop Cokelat Folio 100 pcs", 55_000, _PACKS),
    (Category.OFFICE, "Lakban Bening 12 roll", 65_000, _PACKS),
    (Category.OFFICE, "Gunting Kantor", 28_000, _PACKS),
    (Category.OFFICE, "Kertas Foto A4 20 lembar", 40_000, _PACKS),
    (Category.OFFICE, "Tinta Printer Warna 4 x 70 ml", 240_000, _PACKS),
    (Category.PANTRY, "Gula Aren Cair 1 L", 65_000, _PACKS),
    (Category.PANTRY, "Gula Pasir Sachet 100 pcs", 45_000, _PACKS),
    (Category.PANTRY, "Creamer Bubuk 1 kg", 75_000, _PACKS),
    (Category.PANTRY, "Susu UHT Full Cream 1 L isi 12", 210_000, _SINGLE),
    (Category.PANTRY, "Sirup Vanila 750 ml", 120_000, _SINGLE),
    (Category.PANTRY, "Sirup Karamel 750 ml", 120_000, _SINGLE),
    (Category.PANTRY, "Cokelat Bubuk 500 g", 90_000, _PACKS),
    (Category.PANTRY, "Air Mineral 600 ml isi 24", 55_000, _SINGLE),
    (Category.PANTRY, "Gelas Kertas 8 oz 50 pcs", 35_000, _PACKS),
    (Category.PANTRY, "Sedotan Kertas 100 pcs", 30_000, _PACKS),
    (Category.PANTRY, "Tisu Kotak isi 6", 60_000, _PACKS),
    (Category.PANTRY, "Madu Hutan 500 ml", 110_000, _PACKS),
    (Category.PANTRY, "Susu Kental Manis Sachet 48 pcs", 70_000, _PACKS),
    (Category.PANTRY, "Oat Milk 1 L isi 6", 230_000, _SINGLE),
    (Category.PANTRY, "Sirup Hazelnut 750 ml", 125_000, _SINGLE),
    (Category.PANTRY, "Kopi Susu Sachet 30 pcs", 48_000, _PACKS),
)

# After a basket's first product, how likely each category is for the next line.
AFFINITY: dict[Category, dict[Category, float]] = {
    Category.COFFEE: {
        Category.COFFEE: 35, Category.PANTRY: 25, Category.KITCHEN: 20,
        Category.SNACKS: 12, Category.TEA: 5, Category.OFFICE: 3,
    },
    Category.TEA: {
        Category.TEA: 35, Category.SNACKS: 30, Category.PANTRY: 15,
        Category.KITCHEN: 12, Category.COFFEE: 5, Category.OFFICE: 3,
    },
    Category.SNACKS: {
        Category.SNACKS: 35, Category.TEA: 25, Category.COFFEE: 20,
        Category.PANTRY: 15, Category.KITCHEN: 3, Category.OFFICE: 2,
    },
    Category.KITCHEN: {
        Category.COFFEE: 40, Category.KITCHEN: 25, Category.TEA: 15,
        Category.PANTRY: 12, Category.SNACKS: 5, Category.OFFICE: 3,
    },
    Category.OFFICE: {
        Category.OFFICE: 60, Category.PANTRY: 15, Category.COFFEE: 12,
        Category.SNACKS: 8, Category.TEA: 3, Category.KITCHEN: 2,
    },
    Category.PANTRY: {
        Category.COFFEE: 35, Category.PANTRY: 25, Category.TEA: 15,
        Category.SNACKS: 15, Category.OFFICE: 5, Category.KITCHEN: 5,
    },
}  # fmt: skip

PRICE_FLOOR = 25_000
PRICE_CEILING = 2_500_000
