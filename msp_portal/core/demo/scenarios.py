"""What the demo's tickets say: ticket scenarios and stock phrases, in French and English."""

from __future__ import annotations

from dataclasses import dataclass

from .inventory import Kind


@dataclass(frozen=True)
class Scenario:
    """What a ticket is about, in the words of the people who write it."""

    subject: str
    description: str
    category: str
    queue: str = "service-desk"
    kinds: tuple[str, ...] = ()
    impact: int = 3
    urgency: int = 2
    question: str = ""
    answer: str = ""
    note: str = ""
    resolution: str = ""
    only: tuple[str, ...] = ()  # client slugs, when the story fits only them
    effort: int = 1  # time entries for a complete resolution


# fmt: off
# One scenario per block reads better than one argument per line.
S = Scenario
FR_SCENARIOS = (
    S("Imprimante du 2e étage hors ligne",
      "L'imprimante du 2e étage apparaît « hors ligne » sur tous les postes depuis ce matin. "
      "Plus personne ne peut imprimer à l'étage.",
      "impression", kinds=(Kind.PRINTER,), impact=2, urgency=2,
      question="Pouvez-vous vérifier que l'imprimante est allumée et nous dire si un message "
      "s'affiche sur son écran ?",
      answer="Elle est allumée, l'écran indique simplement « Prête ».",
      note="File d'impression bloquée sur le serveur (spouleur figé). Redémarrage du service "
      "et purge de la file.",
      resolution="Le service d'impression du serveur était bloqué ; nous l'avons redémarré et "
      "vidé la file d'attente. L'imprimante est de nouveau disponible sur tous les postes."),
    S("Impossible d'accéder au VPN",
      "Depuis chez moi, FortiClient reste bloqué à 98 % puis affiche « Credential or SSLVPN "
      "configuration is wrong (-7200) ». J'ai pourtant le bon mot de passe.",
      "reseau-vpn", queue="reseau", kinds=(Kind.LAPTOP,), impact=3, urgency=1,
      question="Pouvez-vous nous indiquer la version de FortiClient (menu « À propos ») et si "
      "vous avez changé votre mot de passe récemment ?",
      answer="Version 7.0.7. Oui, j'ai changé mon mot de passe Windows lundi.",
      note="Groupe SSL-VPN encore lié à l'ancien serveur LDAP : le nouveau mot de passe n'était "
      "pas reconnu. Correction sur FW-PARIS-01.",
      resolution="Le VPN vérifie maintenant votre mot de passe auprès de l'annuaire ; la "
      "connexion fonctionne. Nous avons aussi mis FortiClient à jour en version 7.2."),
    S("Renouvellement certificat SSL",
      "Nous avons reçu l'alerte d'expiration du certificat du site. Pouvez-vous vous charger "
      "du renouvellement et de l'installation ?",
      "securite", queue="projets", kinds=(Kind.TLS_CERTIFICATE,), impact=2, urgency=3,
      question="Souhaitez-vous conserver un certificat wildcard ou passer à des certificats "
      "Let's Encrypt renouvelés automatiquement ?",
      answer="On garde le wildcard cette année, merci. Le bon de commande est signé.",
      note="CSR générée, validation DNS faite, certificat émis.",
      resolution="Le nouveau certificat est installé sur le site web, le VPN et la messagerie ; "
      "il est valable un an. Nous vous préviendrons un mois avant la prochaine échéance.",
      effort=2),
    S("Création de compte pour une nouvelle arrivée",
      "Nous accueillons {person} lundi prochain. Merci de créer son compte, sa boîte mail et "
      "ses accès aux dossiers partagés de son service.",
      "comptes-acces", kinds=(Kind.WORKSTATION,), impact=3, urgency=3,
      question="Pouvez-vous nous confirmer son intitulé de poste et s'il faut préparer un "
      "ordinateur portable ?",
      answer="Poste fixe suffisant, celui de l'ancien stagiaire est libre.",
      note="Compte AD créé, licence Microsoft 365 attribuée, ajout aux groupes du service.",
      resolution="Le compte de {person} est prêt : identifiants remis à son responsable, boîte "
      "mail et accès aux dossiers partagés actifs. Le poste est préparé."),
    S("Compte verrouillé après plusieurs tentatives",
      "Mon compte Windows est verrouillé, je ne peux plus ouvrir ma session.",
      "comptes-acces", impact=3, urgency=1,
      resolution="Compte déverrouillé. Le verrouillage venait de votre ancien mot de passe "
      "encore enregistré dans la messagerie de votre téléphone : pensez à le mettre à jour."),
    S("Outlook ne synchronise plus les mails",
      "Depuis hier après-midi, Outlook n'affiche plus les nouveaux messages, alors que je les "
      "vois bien sur mon téléphone.",
      "messagerie", kinds=(Kind.LAPTOP, Kind.WORKSTATION), impact=3, urgency=2,
      question="Que voyez-vous en bas à droite de la fenêtre Outlook (« Déconnecté », « Besoin "
      "d'un mot de passe »…) ?",
      answer="Il est écrit « Besoin d'un mot de passe ».",
      resolution="Le profil Outlook a été recréé et le cache reconstruit ; la synchronisation "
      "est revenue. Les anciens messages réapparaissent progressivement."),
    S("Boîte aux lettres presque pleine",
      "J'ai reçu un avertissement : ma boîte aux lettres atteint 49,5 Go sur 50 Go.",
      "messagerie", impact=3, urgency=2,
      resolution="L'archivage en ligne est activé sur votre boîte : les messages de plus de deux "
      "ans y sont déplacés automatiquement. Vous les retrouvez dans « Archive en ligne »."),
    S("Lenteurs importantes sur le serveur de fichiers",
      "Ouvrir un fichier Excel sur le lecteur S: prend plus d'une minute depuis ce matin, pour "
      "tout le monde.",
      "materiel", kinds=(Kind.SERVER,), impact=2, urgency=2,
      note="Disque 3 de la grappe RAID en panne prédictive, reconstruction en cours : forte "
      "charge d'E/S. Disque de remplacement commandé.",
      resolution="Un disque défaillant a été remplacé et la grappe reconstruite ; les temps "
      "d'accès sont revenus à la normale.", effort=2),
    S("Écran noir au démarrage du poste",
      "Mon écran reste noir quand j'allume l'ordinateur, alors que l'unité centrale semble "
      "démarrer (voyant allumé).",
      "materiel", kinds=(Kind.WORKSTATION,), impact=3, urgency=1,
      question="Pouvez-vous vérifier que le câble de l'écran est bien branché des "
      "deux côtés et que l'écran est allumé ?",
      answer="Oui, tout est branché et le voyant de l'écran est orange.",
      resolution="Le câble DisplayPort était défectueux ; il a été remplacé lors du passage "
      "sur site."),
    S("Wi-Fi instable en salle de réunion",
      "Le Wi-Fi coupe régulièrement en salle de réunion, surtout pendant les visios.",
      "reseau-vpn", queue="reseau", kinds=(Kind.NETWORK_DEVICE,), impact=2, urgency=3,
      question="Le problème touche-t-il tous les appareils de la salle, ou seulement "
      "certains portables ?",
      answer="Tous, y compris le système de visioconférence.",
      note="Borne sur un canal 5 GHz saturé par les voisins ; canal fixé à 100 et puissance "
      "ajustée.",
      resolution="La borne de la salle de réunion émettait sur un canal saturé ; nous l'avons "
      "déplacée sur un canal libre. Les tests de débit sont bons."),
    S("Installation d'Adobe Acrobat Pro",
      "Pourriez-vous installer Adobe Acrobat Pro sur mon poste ? Mon responsable a validé la "
      "demande.",
      "logiciels", kinds=(Kind.WORKSTATION, Kind.LAPTOP), impact=3, urgency=3,
      question="Avez-vous déjà une licence Acrobat attribuée, ou faut-il en commander une ?",
      answer="Il faut en commander une, le devis est validé.",
      resolution="Licence attribuée et Acrobat Pro installé ; connectez-vous avec votre adresse "
      "professionnelle au premier lancement."),
    S("Mise à jour Windows bloquée à 35 %",
      "Mon ordinateur affiche « Mise à jour en cours 35 % » depuis plus d'une heure.",
      "logiciels", kinds=(Kind.LAPTOP, Kind.WORKSTATION), impact=3, urgency=1,
      resolution="La mise à jour cumulative était bloquée ; nous l'avons relancée après "
      "nettoyage du cache Windows Update. Le poste est à jour."),
    S("Restauration d'un fichier supprimé par erreur",
      "J'ai supprimé par erreur le dossier « Devis 2025 » dans S:\\Commercial hier vers 17 h.",
      "sauvegarde", kinds=(Kind.BACKUP_JOB,), impact=3, urgency=2,
      question="La version d'hier soir vous convient-elle, ou faut-il une version plus "
      "ancienne ?",
      answer="Oui, la version d'hier soir est parfaite.",
      resolution="Le dossier a été restauré depuis la sauvegarde de la nuit, à son emplacement "
      "d'origine."),
    S("Courriel suspect : tentative d'hameçonnage ?",
      "J'ai reçu un mail soi-disant de la banque demandant de confirmer un virement, avec un "
      "lien. Je n'ai pas cliqué.",
      "securite", impact=2, urgency=2,
      note="Même message reçu par 6 boîtes ; purge lancée depuis Defender, domaine expéditeur "
      "bloqué.",
      resolution="Le message a été supprimé de toutes les boîtes et l'expéditeur bloqué. Merci "
      "pour le signalement, c'est le bon réflexe !"),
    S("Migration du contrôleur de domaine vers Windows Server 2022",
      "Suite à notre point trimestriel : planifier la migration du contrôleur de domaine.",
      "projet", queue="projets", kinds=(Kind.SERVER,), impact=3, urgency=3,
      question="Pouvez-vous nous proposer deux soirées pour la bascule (après 19 h) ?",
      answer="Mardi ou jeudi prochain nous conviennent.",
      note="Nouveau DC promu, rôles FSMO transférés, DHCP migré. Ancien DC rétrogradé.",
      resolution="La migration est terminée : le nouveau contrôleur de domaine porte "
      "l'annuaire, le DNS et le DHCP. L'ancien serveur a été rétrogradé.", effort=3),
    S("Remplacement du switch du local technique",
      "Le switch principal arrive en fin de support ; merci de préparer son remplacement.",
      "projet", queue="projets", kinds=(Kind.NETWORK_DEVICE,), impact=3, urgency=3,
      note="Configuration (VLAN, PoE, LACP) reprise sur le nouveau switch et testée en "
      "maquette.",
      resolution="Le nouveau switch est en service, tous les VLAN et les bornes Wi-Fi sont "
      "opérationnels.", effort=3),
    S("Lecteur réseau S: inaccessible",
      "Le lecteur S: n'apparaît plus dans l'explorateur, impossible d'ouvrir nos dossiers "
      "partagés.",
      "reseau-vpn", kinds=(Kind.SERVER,), impact=2, urgency=1,
      note="GPO de mappage en échec après le changement de mot de passe du compte de service.",
      resolution="Le script de connexion des lecteurs réseau a été corrigé ; S: est de nouveau "
      "monté à l'ouverture de session."),
    S("Le scanner n'envoie plus les numérisations par e-mail",
      "Quand je scanne vers ma boîte mail, le copieur affiche « Erreur d'envoi ».",
      "impression", kinds=(Kind.PRINTER,), impact=3, urgency=2,
      question="Pouvez-vous nous envoyer une photo du message d'erreur complet "
      "affiché sur le copieur ?",
      answer="Voici la photo : « SMTP authentication failed (535) ».",
      resolution="Le copieur utilisait l'authentification SMTP basique, désactivée par "
      "Microsoft ; il passe maintenant par le relais SMTP interne."),
    S("Teams : pas de son pendant les réunions",
      "Dans Teams, je n'entends pas les autres participants et ils ne m'entendent pas.",
      "logiciels", kinds=(Kind.LAPTOP,), impact=3, urgency=2,
      question="Utilisez-vous un casque ? Si oui, lequel, et est-il branché en USB ou"
      " en Bluetooth ?",
      answer="Un casque Jabra Evolve2, branché en USB.",
      resolution="Le casque n'était pas sélectionné comme périphérique par défaut après la "
      "mise à jour de Teams ; réglage corrigé et test d'appel concluant."),
    S("Départ d'un collaborateur : désactivation des accès",
      "{person} quitte l'entreprise vendredi soir. Merci de désactiver ses accès et de "
      "transférer sa boîte mail à son responsable.",
      "comptes-acces", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Faut-il conserver ses fichiers OneDrive, et si oui, à qui les "
      "transférer ?",
      answer="Oui, à transférer à son responsable, merci.",
      resolution="Les accès de {person} sont désactivés, sa boîte est partagée avec son "
      "responsable et son portable a été récupéré pour réinitialisation."),
    S("Préparation d'un nouveau portable",
      "Pouvez-vous préparer un portable pour notre nouveau commercial (Office, VPN, "
      "imprimantes) ?",
      "materiel", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Quels logiciels métier faut-il installer en plus d'Office, et pour "
      "quelle date ?",
      answer="Le CRM et Acrobat Reader, pour lundi matin si possible.",
      resolution="Le portable est préparé (Office, VPN, imprimantes, chiffrement BitLocker) et "
      "prêt à être remis."),
    S("Licence Microsoft 365 supplémentaire",
      "Nous avons besoin d'une licence Microsoft 365 de plus pour un intérimaire.",
      "demande", kinds=(Kind.SOFTWARE_LICENCE,), impact=3, urgency=3,
      question="Pour combien de temps ? Une licence mensuelle sans engagement "
      "conviendrait-elle ?",
      answer="Pour trois mois ; oui, la formule mensuelle est parfaite.",
      resolution="Une licence supplémentaire a été ajoutée à l'abonnement et attribuée ; elle "
      "apparaîtra sur la prochaine facture."),
    S("Coupure internet sur le site",
      "Plus aucun accès à internet ni à la messagerie depuis 9 h 10 sur tout le site.",
      "reseau-vpn", queue="reseau", kinds=(Kind.NETWORK_DEVICE,), impact=1, urgency=1,
      note="Perte de synchronisation fibre côté opérateur ; ticket ouvert chez l'opérateur "
      "(réf. {ref}). Lien 4G de secours actif.",
      resolution="L'opérateur a réparé une coupure de fibre dans la rue ; l'accès est rétabli. "
      "Le lien 4G de secours a pris le relais pendant l'incident."),
    S("Site web inaccessible",
      "Notre site affiche « Erreur 503 Service indisponible » depuis un quart d'heure, des "
      "clients nous appellent.",
      "securite", kinds=(Kind.WEBSITE,), impact=1, urgency=1,
      note="Quota PHP de l'hébergement atteint après une vague de robots ; filtrage ajouté.",
      resolution="Le site est de nouveau accessible. Une vague de robots saturait "
      "l'hébergement : nous avons ajouté un filtrage et ajusté l'offre."),
    S("Plus aucun accès à l'ERP",
      "Personne ne peut se connecter à l'ERP, message « serveur introuvable ». Les commandes du "
      "jour sont bloquées.",
      "logiciels", kinds=(Kind.SERVER,), impact=1, urgency=1, only=("acme",),
      note="Service SQL Server arrêté après la mise à jour de la nuit ; redémarré, base "
      "vérifiée (DBCC OK).",
      resolution="Le serveur de base de données de l'ERP est redémarré et vérifié ; tout le "
      "monde peut se reconnecter."),
    S("Renouvellement du nom de domaine",
      "Le registrar nous signale l'échéance prochaine du nom de domaine ; est-il bien en "
      "renouvellement automatique ?",
      "demande", kinds=(Kind.DOMAIN,), impact=3, urgency=3,
      question="Souhaitez-vous en profiter pour réserver aussi la variante en .fr ?",
      answer="Oui, bonne idée, allez-y.",
      resolution="Le nom de domaine est renouvelé pour un an et le renouvellement automatique "
      "est bien actif."),
    S("La batterie du portable ne tient plus la charge",
      "Mon portable s'éteint au bout de 40 minutes sur batterie.",
      "materiel", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Pouvez-vous nous envoyer une photo de l'étiquette sous le portable "
      "(numéro de série) ?",
      answer="Voici la photo de l'étiquette.",
      resolution="Batterie remplacée sous garantie par le constructeur."),
    S("Double authentification : changement de téléphone",
      "J'ai changé de téléphone et je ne reçois plus les demandes d'approbation Authenticator.",
      "comptes-acces", impact=3, urgency=1,
      resolution="Les méthodes d'authentification ont été réinitialisées ; vous avez "
      "enregistré votre nouveau téléphone avec nous par téléphone."),
    S("Cegid : message « licence expirée » au lancement",
      "Depuis ce matin, Cegid affiche « licence expirée » sur tous les postes. Nous sommes en "
      "pleine période de liasses !",
      "logiciels", kinds=(Kind.SOFTWARE_LICENCE,), impact=1, urgency=2,
      only=("durand-associes",),
      note="Clé de licence de l'année non importée sur le serveur ; demande faite à l'éditeur.",
      resolution="La nouvelle clé de licence est importée ; Cegid démarre normalement sur tous "
      "les postes."),
    S("Silae : impossible de lancer les bulletins",
      "Le calcul des bulletins reste bloqué sur « connexion au serveur ». Les paies doivent "
      "partir jeudi.",
      "logiciels", kinds=(Kind.SERVER,), impact=2, urgency=1, only=("durand-associes",),
      resolution="Le certificat du serveur RDS avait expiré, ce qui bloquait la connexion ; "
      "il est renouvelé et les calculs passent."),
    S("Accès à distance pour le télétravail",
      "Pourriez-vous mettre en place un accès à distance pour que je puisse travailler de "
      "chez moi le mercredi ?",
      "reseau-vpn", queue="reseau", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Travaillerez-vous depuis votre portable professionnel ou depuis un "
      "ordinateur personnel ?",
      answer="Depuis mon portable professionnel.",
      resolution="Le VPN est configuré sur votre portable et l'accès testé ; la procédure de "
      "connexion vous a été envoyée."),
    S("Demande de devis : renouvellement des portables",
      "Plusieurs portables ont plus de quatre ans. Pouvez-vous nous faire une proposition de "
      "renouvellement ?",
      "demande", queue="projets", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Souhaitez-vous garder le même modèle, ou étudier des modèles plus "
      "légers pour les équipes en déplacement ?",
      answer="Plus légers pour les commerciaux, même modèle pour les autres.",
      resolution="Le devis de renouvellement (8 portables, déploiement compris) vous a été "
      "envoyé par e-mail."),
)

EN_SCENARIOS = (
    S("Cannot connect to the VPN from home",
      "GlobalProtect says \"gateway not responding\" since this morning. I need the shared "
      "drive for month-end.",
      "reseau-vpn", queue="reseau", kinds=(Kind.LAPTOP,), impact=3, urgency=1,
      question="Could you send us a screenshot of the GlobalProtect window and tell us which "
      "network you are on?",
      answer="Home Wi-Fi, screenshot attached. Other sites work fine.",
      note="Portal certificate renewed on MTL-FW01 last night but not pushed to the gateway.",
      resolution="The VPN gateway certificate has been fixed; you should be able to connect "
      "again. Please let us know if anything is still off."),
    S("3rd floor printer offline",
      "The big printer on the 3rd floor shows as offline for everybody.",
      "impression", kinds=(Kind.PRINTER,), impact=2, urgency=2,
      question="Is there any message on the printer's screen? A photo would help.",
      answer="It just says 'Ready'. Photo attached.",
      resolution="The printer had picked up a new IP address after a power cut; it now has a "
      "DHCP reservation and is back online."),
    S("New hire onboarding: accounts and laptop for {person}",
      "{person} starts on Monday in the Finance team. Please prepare a laptop, an account and "
      "access to the Finance share.",
      "comptes-acces", kinds=(Kind.LAPTOP,), impact=3, urgency=3,
      question="Which Finance subfolders should they have write access to?",
      answer="Payables and Month-end only, read-only on Budget.",
      resolution="{person}'s account, mailbox and laptop are ready; access to Payables and "
      "Month-end (read-only on Budget) has been granted."),
    S("Outlook keeps asking for my password",
      "Outlook pops up a password prompt every few minutes since yesterday.",
      "messagerie", kinds=(Kind.LAPTOP,), impact=3, urgency=2,
      question="Does this also happen in Outlook on the web (outlook.office.com)?",
      answer="No, the web version works fine.",
      resolution="Old cached credentials were cleared and modern authentication re-enabled; "
      "the prompts have stopped."),
    S("Online shop returns 502 Bad Gateway",
      "shop.globex.example shows 502 Bad Gateway. Customers cannot check out.",
      "cloud", kinds=(Kind.WEBSITE, Kind.CLOUD_RESOURCE), impact=1, urgency=1,
      note="Both EC2 instances failed health checks after an automatic OS patch; rolled back "
      "the AMI.",
      resolution="The shop is back online. An automatic OS patch broke the application "
      "servers; we rolled it back and will schedule patching with you."),
    S("SSL certificate renewal for shop.globex.example",
      "We got an expiry warning for the shop certificate. Can you renew it?",
      "securite", queue="projets", kinds=(Kind.TLS_CERTIFICATE,), impact=2, urgency=3,
      note="Let's Encrypt HTTP challenge blocked by the new CDN rule; switching to DNS "
      "validation in Route 53.",
      resolution="The certificate is renewed and automatic renewal now uses DNS validation, "
      "so the CDN no longer gets in the way."),
    S("Wi-Fi keeps dropping in the boardroom",
      "The Wi-Fi drops every few minutes in the boardroom, very annoying during calls.",
      "reseau-vpn", queue="reseau", kinds=(Kind.NETWORK_DEVICE,), impact=2, urgency=3,
      question="Does it affect every device in the room, or only some laptops?",
      answer="Every device, including the conference system.",
      resolution="The access point firmware was updated and band steering tuned; the "
      "boardroom connection is now stable."),
    S("Request: Adobe Creative Cloud licence for {person}",
      "Could we get a Creative Cloud licence for {person} in Marketing?",
      "demande", kinds=(Kind.SOFTWARE_LICENCE,), impact=3, urgency=3,
      question="Do they need the full Creative Cloud suite, or Photoshop and "
      "Illustrator only?",
      answer="Full suite please, they do video as well.",
      resolution="A Creative Cloud seat has been assigned to {person}; they will receive an "
      "invitation e-mail from Adobe."),
    S("Nightly backup failed on GLX-ESX01",
      "We received a Veeam failure e-mail for last night's job.",
      "sauvegarde", kinds=(Kind.BACKUP_JOB,), impact=2, urgency=2,
      note="Snapshot of the file server VM timed out; consolidated stale snapshots.",
      resolution="Stale VM snapshots were consolidated and the job re-run successfully; "
      "tonight's run will be watched."),
    S("Suspicious e-mail: phishing?",
      "I received an e-mail from \"DocuSign\" asking me to sign an invoice. It looks odd.",
      "securite", impact=2, urgency=2,
      resolution="It was phishing. The message has been purged from all mailboxes and the "
      "sender blocked. Thanks for reporting it!"),
    S("Laptop screen flickering",
      "My laptop screen flickers when I move the lid.",
      "materiel", kinds=(Kind.LAPTOP,), impact=3, urgency=2,
      question="Could you send us a photo of the serial number label under the "
      "laptop?",
      answer="Here it is.",
      resolution="The display cable was replaced under warranty by Dell's on-site technician."),
    S("Finance shared drive: access denied",
      "I get \"access denied\" on the Finance share since I changed teams.",
      "comptes-acces", kinds=(Kind.SERVER,), impact=3, urgency=1,
      question="Could your manager confirm which folders you need?",
      answer="Priya confirmed: Payables and Reports.",
      resolution="You have been added to the Finance groups for Payables and Reports; please "
      "sign out and back in."),
    S("AWS cost alert: EC2 spend above budget",
      "We got an AWS budget alert, EC2 is 40% over budget this month.",
      "cloud", kinds=(Kind.CLOUD_RESOURCE,), impact=3, urgency=3,
      resolution="A forgotten test instance was stopped and the production instances were "
      "moved to a savings plan; spend is back under budget."),
    S("Teams calls: no audio",
      "Nobody can hear me in Teams calls since this morning.",
      "logiciels", kinds=(Kind.LAPTOP,), impact=3, urgency=2,
      question="Are you using a headset? If so, which one, and is it USB or "
      "Bluetooth?",
      answer="A Jabra Evolve2 over USB.",
      resolution="The microphone privacy setting had been reset by a Windows update; it is "
      "enabled again and a test call worked."),
)

FR_RMM = (
    S("[RMM] Espace disque faible sur {asset} (C: 92 %)",
      "Alerte remontée par l'agent RMM : le volume C: dépasse le seuil de 90 %.",
      "materiel", kinds=(Kind.SERVER,), impact=2, urgency=2,
      note="Journaux IIS et dossier WinSxS nettoyés.",
      resolution="Nettoyage effectué : 38 Go libérés, le volume est à 61 %."),
    S("[RMM] Service Spouleur d'impression arrêté sur {asset}",
      "Alerte RMM : le service Spooler est arrêté et n'a pas pu redémarrer automatiquement.",
      "impression", kinds=(Kind.SERVER,), impact=2, urgency=2,
      resolution="Pilote d'impression corrompu supprimé, service redémarré."),
    S("[RMM] Redémarrage en attente depuis 14 jours sur {asset}",
      "Alerte RMM : des mises à jour attendent un redémarrage depuis 14 jours.",
      "logiciels", kinds=(Kind.WORKSTATION, Kind.LAPTOP), impact=3, urgency=3,
      resolution="Redémarrage planifié avec l'utilisateur et effectué ; mises à jour "
      "installées."),
    S("[RMM] Antivirus : menace mise en quarantaine sur {asset}",
      "Alerte RMM : Defender a mis en quarantaine « Trojan:Win32/Wacatac » dans "
      "Téléchargements.",
      "securite", kinds=(Kind.LAPTOP, Kind.WORKSTATION), impact=2, urgency=2,
      note="Analyse complète hors ligne lancée ; aucune autre détection.",
      resolution="Fichier supprimé, analyse complète sans autre détection. Rappel des bonnes "
      "pratiques fait à l'utilisateur."),
)

EN_RMM = (
    S("[RMM] Low disk space on {asset} (C: 91%)",
      "RMM agent alert: volume C: is above the 90% threshold.",
      "materiel", kinds=(Kind.SERVER,), impact=2, urgency=2,
      resolution="Old Windows Update files and logs removed; C: is now at 64%."),
    S("[RMM] Datastore latency high on {asset}",
      "RMM alert: datastore read latency above 40 ms for 15 minutes.",
      "materiel", kinds=(Kind.SERVER,), impact=2, urgency=2,
      note="Backup job overlapping with business hours; rescheduled.",
      resolution="The backup window was moved to 01:00; latency is back under 5 ms."),
)
del S
# fmt: on

PEOPLE = (
    *("Léa Martin", "Maxime Dubois", "Inès Moreau", "Paul Laurent", "Sarah Girard"),
    *("Jade Simon", "Lucas Michel", "Chloé Lefebvre", "Noah Garcia", "Emma Rousseau"),
)
EN_PEOPLE = ("Olivia Chen", "Liam Roy", "Sofia Bouchard", "Ethan Wilson", "Maya Singh")


@dataclass(frozen=True)
class Phrases:
    """The stock sentences of one language."""

    staff_greeting: str
    staff_signature: str
    client_greeting: str
    client_signature: str
    phone_call: str
    acks: tuple[str, ...]
    phone_acks: tuple[str, ...]
    notes: tuple[str, ...]
    third_party_notes: tuple[str, ...]
    third_party_reply: str
    third_party_back: str
    resolution: str
    thanks: tuple[str, ...]
    reopen: str
    reopen_ack: str
    escalation: str
    handover: str
    work: tuple[str, ...]
    confirmed: str
    auto_close: str
    resolved: str


FR = Phrases(
    staff_greeting="Bonjour {first},",
    staff_signature="Bien cordialement,\n{tech}\nSupport MSP - 01 99 00 00 00",
    client_greeting="Bonjour,",
    client_signature="Merci,\n{name}",
    phone_call="Appel {of_name} ({job}) : {text}",
    acks=(
        "Nous avons bien reçu votre demande et je la prends en charge.",
        "Je m'occupe de votre demande et reviens vers vous dans la journée.",
        "Merci pour votre message, je regarde cela tout de suite.",
        "Bien reçu. Je prends la main à distance sur votre poste d'ici quelques minutes si vous "
        "êtes disponible.",
    ),
    phone_acks=(
        "Suite à notre échange téléphonique, je vous confirme la prise en charge de votre demande.",
        "Comme convenu au téléphone, je m'en occupe et vous tiens informé(e).",
    ),
    notes=(
        "Point fait avec l'utilisateur par téléphone.",
        "Fiche de procédure du client mise à jour.",
        "Contrôlé à distance dans la console d'administration, rien d'autre à signaler.",
        "Prise en main à distance avec l'utilisateur, journaux consultés.",
    ),
    third_party_notes=(
        "Ticket ouvert chez l'éditeur (réf. {ref}), en attente de leur retour.",
        "Pièce commandée chez le fournisseur, livraison annoncée sous 48 h.",
        "Demande transmise à l'opérateur (réf. {ref}) ; intervention de leur technicien à "
        "planifier.",
    ),
    third_party_reply="Nous avons sollicité le fournisseur concerné et attendons son retour ; "
    "nous revenons vers vous dès que possible.",
    third_party_back="Retour du fournisseur reçu, reprise du traitement.",
    resolution="Le problème est corrigé de notre côté ; n'hésitez pas à nous répondre si "
    "quelque chose ne fonctionne toujours pas.",
    thanks=("Merci, c'est parfait !", "Super, merci pour la rapidité.", "Tout fonctionne, merci."),
    reopen="Le problème est revenu ce matin, pouvez-vous regarder de nouveau ?",
    reopen_ack="Désolé pour ce retour du problème, je reprends le dossier immédiatement.",
    escalation="Impact plus large qu'annoncé : plusieurs utilisateurs touchés, priorité relevée.",
    handover="Je transmets à {name}, qui connaît mieux cet environnement.",
    work=(
        "Diagnostic à distance",
        "Prise en main à distance et correction",
        "Intervention sur site",
        "Configuration et tests",
        "Échange téléphonique et vérifications",
    ),
    confirmed="Le client confirme la résolution.",
    auto_close="Clôture automatique : résolu depuis {days} jours sans retour du client.",
    resolved="Solution appliquée.",
)

EN = Phrases(
    staff_greeting="Hi {first},",
    staff_signature="Best regards,\n{tech}\nMSP Support",
    client_greeting="Hello,",
    client_signature="Thanks,\n{name}",
    phone_call="Call from {name} ({job}): {text}",
    acks=(
        "Thanks for reaching out, I'm looking into this now.",
        "We have received your request and I'm taking care of it.",
        "Got it. I'll connect to your computer remotely in a few minutes if that works for you.",
    ),
    phone_acks=(
        "Following our call, this is to confirm we're working on it.",
        "As discussed on the phone, I'm taking care of this and will keep you posted.",
    ),
    notes=(
        "Went through it with the user on a call.",
        "Client runbook updated.",
        "Checked remotely in the admin console, nothing else to report.",
    ),
    third_party_notes=(
        "Case opened with the vendor (ref. {ref}), waiting for their answer.",
        "Replacement part ordered, delivery expected within 2 business days.",
    ),
    third_party_reply="We have escalated this to the vendor and are waiting for their answer; "
    "we'll get back to you as soon as we hear from them.",
    third_party_back="Vendor answered, resuming work.",
    resolution="This is fixed on our side; just reply if anything still doesn't work.",
    thanks=("Thanks, all good now!", "Perfect, thank you for the quick fix."),
    reopen="The issue is back this morning, could you have another look?",
    reopen_ack="Sorry it came back, I'm on it right away.",
    escalation="Wider impact than reported: several users affected, raising the priority.",
    handover="Handing over to {name}, who knows this environment better.",
    work=("Remote troubleshooting", "Remote fix and checks", "On-site visit", "Configuration"),
    confirmed="The client confirmed the fix.",
    auto_close="Closed automatically: resolved {days} days ago with no reply from the client.",
    resolved="Fix applied.",
)
PHRASES = {"fr": FR, "en": EN}


def _french_of(name: str) -> str:
    """« de Pierre », but « d'Élodie » and « d'Hugo »."""
    return f"d'{name}" if name[:1].upper() in "AEIOUYÀÂÉÈÊÎÔÛH" else f"de {name}"
