"""The demo's people and companies: staff and portal accounts, clients, sites, contacts."""

from __future__ import annotations

from dataclasses import dataclass

from msp_portal.accounts.models import Role

from .calendars import MONTREAL, PARIS

DEMO_PASSWORD = "demo-pass-2026"
DEMO_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoAccount:
    """One demo login; every one of them has the password DEMO_PASSWORD."""

    email: str
    full_name: str
    role: str
    client: str = ""  # slug, for portal users
    language: str = "fr"
    sees_all_clients: bool = True
    allowed_clients: tuple[str, ...] = ()
    joined_days_ago: int = 400
    note: str = ""


ACCOUNTS = (
    DemoAccount("admin@msp.example", "Julien Lefèvre", Role.ADMIN, joined_days_ago=900),
    DemoAccount("manager@msp.example", "Claire Moreau", Role.MANAGER, joined_days_ago=800),
    DemoAccount("tech@msp.example", "Thomas Petit", Role.TECHNICIAN, joined_days_ago=600),
    DemoAccount(
        "james.oconnor@msp.example",
        "James O'Connor",
        Role.TECHNICIAN,
        language="en",
        joined_days_ago=300,
        note="English interface",
    ),
    DemoAccount(
        "chloe.bernard@msp.example",
        "Chloé Bernard",
        Role.TECHNICIAN,
        sees_all_clients=False,
        allowed_clients=("durand-associes",),
        joined_days_ago=120,
        note="sees only Cabinet Durand & Associés",
    ),
    DemoAccount("it@acme.example", "Nicolas Garnier", Role.CLIENT_ADMIN, client="acme"),
    DemoAccount("user@acme.example", "Camille Roux", Role.CLIENT_USER, client="acme"),
    DemoAccount(
        "it@globex.example", "Emily Tremblay", Role.CLIENT_ADMIN, client="globex", language="en"
    ),
)

CLIENTS = (
    {
        "slug": "acme",
        "name": "Acme Industries",
        "time_zone": PARIS,
        "language": "fr",
        "notes": "Fabricant de pièces mécaniques, 45 postes. Siège à Paris, entrepôt à "
        "Gennevilliers. Interlocuteur technique : Nicolas Garnier.",
    },
    {
        "slug": "globex",
        "name": "Globex Corporation",
        "time_zone": MONTREAL,
        "language": "en",
        "notes": "E-commerce company, head office in Montréal and a small sales office in "
        "Paris. Tickets mostly in English; the Paris office writes in French.",
    },
    {
        "slug": "durand-associes",
        "name": "Cabinet Durand & Associés",
        "time_zone": PARIS,
        "language": "fr",
        "notes": "Cabinet d'expertise comptable, 12 collaborateurs à Lyon et Villeurbanne. "
        "Période fiscale chargée de janvier à mai : éviter les interventions lourdes.",
    },
)
DEMO_CLIENT_SLUGS = tuple(c["slug"] for c in CLIENTS)

SITES = {
    "acme": (
        ("Siège Paris", "18 rue du Faubourg Saint-Antoine", "75011", "Paris", "FR",
         "+33 1 99 00 12 40"),
        ("Entrepôt Gennevilliers", "4 avenue Marcel-Paul", "92230", "Gennevilliers", "FR",
         "+33 1 99 00 12 80"),
    ),
    "globex": (
        ("Montréal HQ", "1800 avenue McGill College, bureau 2200", "H3A 3J6", "Montréal", "CA",
         "+1 514-555-0142"),
        ("Bureau de Paris", "45 avenue de l'Opéra", "75002", "Paris", "FR",
         "+33 1 99 00 47 10"),
    ),
    "durand-associes": (
        ("Cabinet Lyon", "27 quai Saint-Antoine", "69002", "Lyon", "FR", "+33 4 65 71 20 30"),
        ("Antenne Villeurbanne", "112 cours Émile-Zola", "69100", "Villeurbanne", "FR",
         "+33 4 65 71 20 45"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DemoContact:
    first_name: str
    last_name: str
    email: str
    job_title: str
    site: str
    phone: str = ""
    mobile: str = ""
    primary: bool = False
    language: str = ""  # the language this person writes in, when not the client's


C = DemoContact
CONTACTS = {
    "acme": (
        C("Nicolas", "Garnier", "it@acme.example", "Responsable informatique", "Siège Paris",
          "+33 1 99 00 12 41", "+33 6 39 98 10 21", primary=True),
        C("Camille", "Roux", "user@acme.example", "Assistante de direction", "Siège Paris",
          "+33 1 99 00 12 43"),
        C("Sophie", "Lambert", "sophie.lambert@acme.example",
          "Directrice administrative et financière", "Siège Paris", mobile="+33 6 39 98 10 35"),
        C("Karim", "Benali", "karim.benali@acme.example", "Responsable logistique",
          "Entrepôt Gennevilliers", "+33 1 99 00 12 81"),
        C("Élodie", "Fournier", "elodie.fournier@acme.example", "Comptable", "Siège Paris",
          "+33 1 99 00 12 47"),
        C("Hugo", "Marchand", "hugo.marchand@acme.example", "Chargé d'affaires", "Siège Paris",
          mobile="+33 6 39 98 10 52"),
    ),
    "globex": (
        C("Emily", "Tremblay", "it@globex.example", "IT Manager", "Montréal HQ",
          "+1 514-555-0143", primary=True),
        C("Marc-André", "Gagnon", "marc-andre.gagnon@globex.example", "Office Manager",
          "Montréal HQ", "+1 514-555-0147", language="fr"),
        C("Priya", "Patel", "priya.patel@globex.example", "Finance Director", "Montréal HQ",
          "+1 514-555-0151"),
        C("Ryan", "Cooper", "ryan.cooper@globex.example", "Head of E-commerce", "Montréal HQ",
          mobile="+1 514-555-0166"),
        C("Laura", "Dubois", "laura.dubois@globex.example", "Responsable du bureau de Paris",
          "Bureau de Paris", "+33 1 99 00 47 11", language="fr"),
    ),
    "durand-associes": (
        C("Pierre", "Durand", "pierre.durand@durand-associes.example",
          "Expert-comptable, associé gérant", "Cabinet Lyon", "+33 4 65 71 20 31",
          "+33 6 39 98 44 02", primary=True),
        C("Isabelle", "Mercier", "isabelle.mercier@durand-associes.example",
          "Assistante de direction", "Cabinet Lyon", "+33 4 65 71 20 30"),
        C("Antoine", "Girard", "antoine.girard@durand-associes.example",
          "Collaborateur comptable", "Antenne Villeurbanne", "+33 4 65 71 20 46"),
        C("Manon", "Blanc", "manon.blanc@durand-associes.example", "Gestionnaire de paie",
          "Cabinet Lyon", "+33 4 65 71 20 34"),
    ),
}  # fmt: skip
del C
