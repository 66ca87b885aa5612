"""The load's vocabulary: names, companies, subjects and bodies in French and English, and
the kinds of asset with their host-name prefixes (see ``load``)."""

from __future__ import annotations

from clients.models import Asset

FIRST_NAMES = [
    "Julie",
    "Nicolas",
    "Camille",
    "Thomas",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Chloé",
    "Antoine",
    "Sarah",
    "Maxime",
    "Emma",
    "Louis",
    "Inès",
    "Paul",
    "Laura",
    "Mathieu",
    "Clara",
    "Romain",
    "Émilie",
    "Kevin",
    "Pauline",
    "Alexandre",
    "Marie",
    "Olivier",
    "Sophie",
    "Emily",
    "James",
    "Priya",
    "Ryan",
    "Olivia",
    "Daniel",
    "Megan",
    "Noah",
    "Ava",
    "Ethan",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Smith",
    "Johnson",
    "Brown",
    "Wilson",
    "Taylor",
]
COMPANY_KINDS_FR = (
    "Cabinet", "Boulangerie", "Transports", "Pharmacie", "Atelier", "Imprimerie", "Garage",
    "Clinique", "Agence", "Menuiserie", "Laboratoire", "Étude notariale", "Hôtel", "Librairie",
)  # fmt: skip
COMPANY_KINDS_EN = ("Consulting", "Logistics", "Dental", "Studio", "Foods", "Legal", "Realty")
APPS = (
    "Sage 100", "Cegid", "Outlook", "Teams", "SharePoint", "Excel", "EBP Compta", "Silae",
    "AutoCAD", "Chrome", "OneDrive", "Adobe Acrobat", "QuickBooks", "Salesforce",
)  # fmt: skip
KBS = tuple(f"KB50{n}" for n in range(31000, 31400, 7))
ERRORS = ("0x80070005", "0x8007045D", "0x800F0922", "0xC004F074", "0x80004005", "0x80072EE2")

# Subjects per category and language; {host}, {app}, {person}, {kb} are filled in.
SUBJECTS = {
    "materiel": (
        ("Écran noir au démarrage du poste {host}", "Le disque de {host} fait un bruit anormal"),
        ("Black screen at startup on {host}", "Disk failure warning on {host}"),
    ),
    "logiciels": (
        ("Lenteurs sur {app} depuis ce matin", "Installation de {app} pour {person}"),
        ("{app} is very slow since this morning", "Please install {app} for {person}"),
    ),
    "messagerie": (
        ("Boîte aux lettres pleine pour {person}", "Les courriels n'arrivent plus dans Outlook"),
        ("Mailbox full for {person}", "E-mails stuck in the Outbox"),
    ),
    "reseau-vpn": (
        ("VPN déconnecté régulièrement", "Wi-Fi instable en salle de réunion"),
        ("VPN keeps dropping", "Unstable Wi-Fi in the meeting room"),
    ),
    "comptes-acces": (
        ("Mot de passe expiré pour {person}", "Accès refusé au dossier partagé sur {host}"),
        ("Password expired for {person}", "Access denied to the shared folder on {host}"),
    ),
    "impression": (
        ("Imprimante {host} hors ligne", "Bourrage papier récurrent sur {host}"),
        ("Printer {host} offline", "Recurring paper jam on {host}"),
    ),
    "sauvegarde": (
        ("Sauvegarde en échec sur {host}", "Restauration d'un fichier supprimé sur {host}"),
        ("Backup failed on {host}", "Restore a deleted file from {host}"),
    ),
    "securite": (
        ("Alerte antivirus sur {host}", "Courriel suspect reçu par {person}"),
        ("Antivirus alert on {host}", "Phishing e-mail received by {person}"),
    ),
    "cloud": (
        ("Synchronisation OneDrive bloquée", "Licence Microsoft 365 à ajouter pour {person}"),
        ("OneDrive sync stuck", "Add a Microsoft 365 licence for {person}"),
    ),
    "demande": (
        ("Arrivée de {person} lundi : préparer le poste", "Déplacement du poste de {person}"),
        ("New starter {person} on Monday: set up a laptop", "Move {person}'s desk"),
    ),
    "projet": (
        ("Migration de {host} vers Windows Server 2022", "Renouvellement du pare-feu"),
        ("Migrate {host} to Windows Server 2022", "Firewall renewal project"),
    ),
    "surveillance": (
        ("[Surveillance] {host} : service injoignable", "[Surveillance] {host} : disque C: à 95 %"),
        ("[Monitoring] {host}: service unreachable", "[Monitoring] {host}: disk C: at 95%"),
    ),
}
DESCRIPTIONS = (
    (
        "Bonjour, depuis ce matin {person} n'arrive plus à travailler sur {host}. "
        "Le message d'erreur {error} s'affiche. Pouvez-vous regarder rapidement ? Merci.",
        "Bonjour, nous constatons le problème sur plusieurs postes du service comptabilité. "
        "Cela concerne {app} et le serveur {host}. Cordialement.",
        "Alerte automatique : la sonde a détecté une anomalie sur {host} "
        "(délai de réponse dépassé, code {error}).",
    ),
    (
        "Hi, since this morning {person} cannot work on {host}. The error {error} shows up. "
        "Could you have a look quickly? Thanks.",
        "Hello, several people in accounting are affected. It involves {app} and the server "
        "{host}. Regards.",
        "Automatic alert: the probe detected a problem on {host} (timeout, code {error}).",
    ),
)
REPLIES = (
    (
        "Bonjour, nous prenons votre demande en charge. Je me connecte à distance sur {host}.",
        "Bonjour, j'ai redémarré le service sur {host} ; pouvez-vous confirmer que tout "
        "fonctionne ?",
        "Bonjour, le correctif {kb} est en cours de déploiement, redémarrage prévu ce soir.",
    ),
    (
        "Hello, we are on it. I am connecting remotely to {host}.",
        "Hello, I restarted the service on {host}; can you confirm everything works now?",
        "Hello, update {kb} is being deployed; a restart is planned tonight.",
    ),
)
ASK_INFO = (
    ("Pourriez-vous nous indiquer à quelle heure le problème est apparu et sur quel poste ?",),
    ("Could you tell us when the problem started and on which computer?",),
)
CLIENT_ANSWERS = (
    ("Bonjour, cela a commencé vers 9 h sur {host}, merci.", "C'est sur le poste de {person}."),
    ("Hi, it started around 9am on {host}, thanks.", "It is on {person}'s computer."),
)
SOLUTIONS = (
    (
        "Le problème est résolu : espace disque libéré sur {host} et {kb} installé.",
        "Résolu : le profil de {person} a été recréé, {app} fonctionne de nouveau.",
        "Le service a été relancé et la sauvegarde de {host} s'est terminée sans erreur.",
    ),
    (
        "Fixed: freed disk space on {host} and installed {kb}.",
        "Resolved: {person}'s profile was recreated and {app} works again.",
        "The service was restarted and the backup of {host} completed without errors.",
    ),
)
NOTES = (
    "Journal des événements de {host} : ID 7031, le service Spooler s'arrête en boucle.",
    "Vérifié la console Veeam : job en échec, erreur {error}. Relance manuelle.",
    "RAID dégradé sur {host}, SMART OK sur les autres disques. Commande du disque lancée.",
    "Checked DNS and DHCP leases on {host}; nothing wrong. Escalating to network team.",
    "Exchange Online message trace shows the mail was quarantined; released it.",
    "Quota OneDrive atteint ; licence E3 demandée au client, en attente de validation.",
)
TIME_NOTES = ("Diagnostic à distance", "Intervention sur site", "Remote troubleshooting", "")


def _fill(template: str, words: dict[str, str]) -> str:
    return template.format(**words) if "{" in template else template


ASSET_KINDS = (
    (Asset.Kind.SERVER, "srv-db"), (Asset.Kind.SERVER, "srv-app"), (Asset.Kind.SERVER, "srv-fs"),
    (Asset.Kind.SERVER, "srv-ad"), (Asset.Kind.WORKSTATION, "pc"), (Asset.Kind.WORKSTATION, "pc"),
    (Asset.Kind.LAPTOP, "lt"), (Asset.Kind.LAPTOP, "lt"), (Asset.Kind.NETWORK_DEVICE, "fw"),
    (Asset.Kind.NETWORK_DEVICE, "sw"), (Asset.Kind.PRINTER, "imp"),
)  # fmt: skip
