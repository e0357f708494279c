"""The people of the demo customer: the demo logins and some forty engineers, partners and guests."""

import unicodedata
from dataclasses import dataclass

DEMO_CUSTOMER = "Van der Berg Ingenieurs B.V."
DEMO_PASSWORD = "demo"
COMPANY_DOMAIN = "vanderberg-ingenieurs.example"


@dataclass(frozen=True)
class Login:
    email: str
    who: str


LOGINS = [
    Login("admin@example.com", "Sanne Bakker: primary admin of the first team, secondary admin of Infra & Waterbouw"),
    Login("secondary@example.com", "Daan Visser: secondary admin of the first team"),
    Login("user@example.com", "Lotte de Boer: a user with Draftline and Solvista Render, not the other products"),
    Login("support@example.com", "support staff of the vendor: the Django admin at /admin/"),
]
FIXED_EMAILS = [login.email for login in LOGINS]

# key: first name, last name, e-mail (None: firstname.lastname at the company's domain)
PEOPLE = {
    "sanne": ("Sanne", "Bakker", "admin@example.com"),
    "daan": ("Daan", "Visser", "secondary@example.com"),
    "lotte": ("Lotte", "de Boer", "user@example.com"),
    "thijs": ("Thijs", "Hendriks", None),
    "noor": ("Noor", "El Amrani", None),
    "jeroen": ("Jeroen", "van Dijk", None),
    "anouk": ("Anouk", "Vermeulen", None),
    "pieter": ("Pieter", "de Graaf", None),
    "femke": ("Femke", "Jacobs", None),
    "ruben": ("Ruben", "Kok", None),
    "marloes": ("Marloes", "van Leeuwen", None),
    "sven": ("Sven", "Dekker", None),
    "esther": ("Esther", "Kuipers", None),
    "wouter": ("Wouter", "Peeters", None),
    "tomasz": ("Tomasz", "Nowak", "t.nowak@nowak-constructieadvies.example"),
    "koen": ("Koen", "van den Heuvel", None),
    "ilse": ("Ilse", "Brouwer", None),
    "bram": ("Bram", "Mulder", None),
    "yara": ("Yara", "Bosman", None),
    "hannah": ("Hannah", "Schmidt", None),
    "joost": ("Joost", "Willems", None),
    "lieke": ("Lieke", "Verbeek", None),
    "mehmet": ("Mehmet", "Yılmaz", "mehmet.yilmaz@vanderberg-ingenieurs.example"),
    "kees": ("Kees", "Koster", None),
    "roel": ("Roel", "Smeets", None),
    "lars": ("Lars", "Johansson", "lars.johansson@nordhavn-hydro.example"),
    "amelie": ("Amélie", "Dubois", "a.dubois@atelier-dubois.example"),
    "jan": ("Jan", "Pauwels", "jan@pauwels-landmeters.example"),
    "marta": ("Marta", "Kowalczyk", "marta.kowalczyk@baltic-geotech.example"),
    "fleur": ("Fleur", "Smit", None),
    "gijs": ("Gijs", "van der Linden", None),
    "emma": ("Emma", "Janssen", None),
    "lucas": ("Lucas", "Maes", None),
    "saskia": ("Saskia", "Hoekstra", None),
    "niels": ("Niels", "Prins", None),
    "ahmed": ("Ahmed", "Bouzid", None),
    "rik": ("Rik", "de Wit", "rik@dewit-installatieadvies.example"),
    "vera": ("Vera", "Claes", None),
}
SUPPORT = ("Tessaline", "Support", "support@example.com")


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def email_of(key: str) -> str:
    first, last, email = PEOPLE[key]
    return email or f"{ascii_lower(first)}.{ascii_lower(last)}@{COMPANY_DOMAIN}"


def demo_emails() -> list[str]:
    return [email_of(key) for key in PEOPLE] + [SUPPORT[2]]
