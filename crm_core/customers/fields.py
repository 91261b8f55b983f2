"""The customer's fields, declared once: label, kind, and where each is edited, listed, imported
and checked for completeness.

The profile form, the customers list (its columns and sorts), the CSV import (its header
synonyms, English and Indonesian) and the data-quality page read this declaration when they
run. `CustomerIn` (customers/inputs.py) stays the validator of what is written; a test keeps
the two in agreement. Labels are English msgids: the UI translates them where it shows them.
Adding a field: declare it here, add its column to the model (a migration) and to CustomerIn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, get_args

from crm_core.customers.inputs import CustomerIn
from crm_core.models.enums import Channel, Gender, Language, LeadSource, LifecycleStage


class Widget(StrEnum):
    """How a form asks for the field (and how an import reads its cells)."""

    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    DATE = "date"
    CHOICE = "choice"  # one value of the field's enum
    YES_NO = "yes/no"
    TAGS = "tags"  # short labels, typed comma separated
    LONG_TEXT = "long text"
    USER = "user"  # one of the active users
    ACCOUNT = "account"  # found by name on the Customer 360's Account tab


class Quality(StrEnum):
    """What the data-quality page makes of the field."""

    NONE = "none"  # not counted (always filled, or free notes)
    COUNTED = "counted"  # its completeness is shown
    KEY = "key"  # counted, and part of the summary's "key fields filled"


@dataclass(frozen=True)
class CustomerField:
    name: str  # the model's column and CustomerIn's field
    label: str  # English, a msgid
    widget: Widget
    choices: type[StrEnum] | None = None  # a CHOICE field's enum
    editable: bool = True  # in the profile form, and written through CustomerIn
    quick: bool = False  # asked in the short new-customer form too
    headers: tuple[str, ...] | None = None  # importable: CSV headers besides its name; None: not
    values: Mapping[str, str] = field(default_factory=dict)  # import: other words for choices
    listed: bool = False  # a column of the customers list
    sortable: bool = False  # the list can be sorted by it
    quality: Quality = Quality.NONE
    shown_as: str = ""  # its column in lists and reports, if not its name (owner_id: owner)

    @property
    def key(self) -> str:
        """The field's column in the customers list and the data-quality tables."""
        return self.shown_as or self.name

    @property
    def importable(self) -> bool:
        return self.headers is not None


# Other words a CSV uses for a choice (lower case), Indonesian first.
_GENDERS = {"l": "male", "laki-laki": "male", "laki laki": "male", "pria": "male", "m": "male",
            "p": "female", "perempuan": "female", "wanita": "female", "f": "female",
            "w": "female"}  # fmt: skip
_LANGUAGES = {"english": "en", "inggris": "en", "indonesia": "id", "indonesian": "id",
              "bahasa indonesia": "id", "bahasa": "id"}  # fmt: skip

# In the order forms, the list and the reports show them. Headers are compared normalised
# (lower case, letters and digits only), so "No. HP" matches "nohp".
FIELDS: tuple[CustomerField, ...] = (
    CustomerField(
        "name", "Name", Widget.TEXT, quick=True, listed=True, sortable=True,
        headers=("nama", "namalengkap", "fullname", "customername", "namapelanggan",
                 "pelanggan", "contactname", "namakontak", "customer", "kontak"),
    ),
    CustomerField(
        "account_id", "Company", Widget.ACCOUNT, shown_as="company", listed=True,
        sortable=True, quality=Quality.COUNTED,
    ),
    CustomerField(
        "email", "Email", Widget.EMAIL, quick=True, listed=True, quality=Quality.KEY,
        headers=("emailaddress", "alamatemail", "surel", "mail", "surat elektronik"),
    ),
    CustomerField(
        "phone", "Phone", Widget.PHONE, quick=True, listed=True, quality=Quality.KEY,
        headers=("telepon", "telpon", "telp", "notelp", "notelepon", "nohp", "hp", "nomorhp",
                 "nomortelepon", "handphone", "mobile", "phonenumber", "whatsapp", "wa", "nowa",
                 "ponsel", "telephone", "tel"),
    ),
    CustomerField(
        "gender", "Gender", Widget.CHOICE, Gender, quality=Quality.COUNTED,
        headers=("jeniskelamin", "kelamin", "sex", "jk"), values=_GENDERS,
    ),
    CustomerField(
        "birth_date", "Birth date", Widget.DATE, quality=Quality.COUNTED,
        headers=("birthdate", "dateofbirth", "dob", "tanggallahir", "tgllahir", "birthday"),
    ),
    CustomerField(
        "address", "Address", Widget.TEXT, quality=Quality.COUNTED, headers=("alamat", "street")
    ),
    CustomerField(
        "city", "City", Widget.TEXT, quick=True, listed=True, sortable=True,
        quality=Quality.KEY, headers=("kota", "kabupaten", "kotakabupaten", "town"),
    ),
    CustomerField(
        "region", "Region / province", Widget.TEXT, listed=True, sortable=True,
        quality=Quality.COUNTED, headers=("provinsi", "province", "state", "wilayah", "daerah"),
    ),
    CustomerField("country", "Country", Widget.TEXT, quality=Quality.COUNTED, headers=("negara",)),
    CustomerField(
        "preferred_channel", "Preferred channel", Widget.CHOICE, Channel, quick=True,
        quality=Quality.COUNTED, headers=("channel", "kanal", "saluran"),
    ),
    CustomerField(
        "preferred_language", "Preferred language", Widget.CHOICE, Language,
        quality=Quality.COUNTED, headers=("language", "bahasa"), values=_LANGUAGES,
    ),
    CustomerField(
        "lifecycle_stage", "Lifecycle stage", Widget.CHOICE, LifecycleStage, quick=True,
        listed=True, sortable=True, headers=("stage", "tahap", "lifecycle", "status"),
    ),
    CustomerField(
        "source", "Source", Widget.CHOICE, LeadSource, quality=Quality.COUNTED,
        headers=("sumber", "leadsource", "asal"),
    ),
    CustomerField(
        "owner_id", "Owner", Widget.USER, shown_as="owner", listed=True, sortable=True,
        quality=Quality.KEY,
    ),
    CustomerField(
        "consent_email", "Consent to email", Widget.YES_NO, quality=Quality.COUNTED,
        headers=("izinemail", "optinemail"),
    ),
    CustomerField(
        "consent_sms", "Consent to SMS/WhatsApp", Widget.YES_NO, quality=Quality.COUNTED,
        headers=("izinsms", "optinsms"),
    ),
    CustomerField(
        "consent_phone", "Consent to phone calls", Widget.YES_NO, quality=Quality.COUNTED,
        headers=("izintelepon", "optinphone"),
    ),
    CustomerField("tags", "Tags", Widget.TAGS, headers=("tag", "label", "labels")),
    CustomerField(
        "notes", "Notes", Widget.LONG_TEXT,
        headers=("note", "catatan", "keterangan", "remarks", "comments"),
    ),
    CustomerField(
        "external_id", "External id", Widget.TEXT,
        headers=("externalid", "id", "customerid", "idpelanggan", "kodepelanggan", "kode",
                 "customercode", "ref"),
    ),
)  # fmt: skip


# Each reads FIELDS when called, so that every part of the app sees the same declaration.


def declared() -> tuple[CustomerField, ...]:
    return FIELDS


def label(name: str) -> str:
    """The label of the field called `name` (a filter or a bulk edit of it says the same)."""
    return next(f.label for f in FIELDS if f.name == name)


def by_key(key: str) -> CustomerField | None:
    """The field shown under `key` in the list and reports (its name, or shown_as)."""
    return next((f for f in FIELDS if f.key == key), None)


def editable() -> list[CustomerField]:
    return [f for f in FIELDS if f.editable]


def editable_names() -> tuple[str, ...]:
    return tuple(f.name for f in FIELDS if f.editable)


def form_fields() -> list[CustomerField]:
    """The profile form's fields. The account is left out: it is found by name, and linked or
    created, on the Customer 360's Account tab."""
    return [f for f in FIELDS if f.editable and f.widget is not Widget.ACCOUNT]


def quick_fields() -> list[CustomerField]:
    """The short new-customer form's fields; the rest are filled in on the customer's page."""
    return [f for f in form_fields() if f.quick]


def importable() -> list[CustomerField]:
    return [f for f in FIELDS if f.importable]


def listed() -> list[CustomerField]:
    return [f for f in FIELDS if f.listed]


def sortable() -> list[CustomerField]:
    return [f for f in FIELDS if f.sortable]


def quality_checked() -> list[CustomerField]:
    return [f for f in FIELDS if f.quality is not Quality.NONE]


def key_fields() -> list[CustomerField]:
    """The fields whose filled share the data-quality summary gives as one figure."""
    return [f for f in FIELDS if f.quality is Quality.KEY]


def required(name: str) -> bool:
    """Whether the validator refuses an empty value (a form then offers no blank choice)."""
    spec = CustomerIn.model_fields.get(name)
    return spec is not None and type(None) not in get_args(spec.annotation)


def default(name: str) -> Any:
    """What a new customer has in the field unless the user says otherwise."""
    spec = CustomerIn.model_fields.get(name)
    return None if spec is None else spec.get_default(call_default_factory=True)
