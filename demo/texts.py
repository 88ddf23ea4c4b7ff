"""What the demo's people wrote: reports, reasons, follow-ups and the mayor's messages, in French.

Descriptions speak of behaviour, vehicles and places, never of who people are (alerts/sensitive.py refuses
that, and the demo must read as the service wants reports written).
"""

from vigilants.categories import Category

# Quartiers of Saint-Paul-de-Vence: name, centre (inside the commune's bounding box), radius in metres,
# and streets for members' addresses.
NEIGHBOURHOODS: list[tuple[str, float, float, int, list[str]]] = [
    ("Village", 43.6966, 7.1223, 350,
     ["Rue Grande", "Place de la Grande Fontaine", "Montée de l'Église", "Rue de l'Étoile", "Rempart Ouest"]),
    ("Les Collines", 43.7050, 7.1140, 700,
     ["Chemin de la Colline", "Chemin des Salettes", "Route de Vence", "Chemin de Sainte-Claire"]),
    ("Les Gardettes", 43.6830, 7.1185, 650,
     ["Chemin des Gardettes", "Route de la Colle", "Chemin des Trious", "Chemin du Défoussat"]),
    ("La Fontette", 43.6905, 7.1330, 600,
     ["Chemin de la Fontette", "Chemin du Malvan", "Chemin des Fumerates", "Chemin de la Pounchounière"]),
]  # fmt: skip

FIRST_NAMES = [
    "Claire", "Julien", "Martine", "Philippe", "Sophie", "Laurent", "Nathalie", "Gérard", "Isabelle", "Thierry",
    "Céline", "Patrick", "Sandrine", "Michel", "Valérie", "Olivier", "Hélène", "Bernard", "Aurélie", "Christophe",
    "Monique", "Nicolas", "Sylvie", "Jean-Marc", "Camille", "Alain", "Émilie", "Pascal", "Josiane", "Frédéric",
    "Chantal", "Stéphane", "Brigitte", "Guillaume", "Odile", "Marc", "Agnès", "Yves", "Lucie", "Didier",
]  # fmt: skip
LAST_INITIALS = "ABCDFGJLMNPRSTV"

# Per category: what residents wrote. Each text is a whole description (at least 5 characters).
REPORTS: dict[str, list[str]] = {
    Category.CAMBRIOLAGE: [
        "Maison cambriolée pendant notre absence en fin d'après-midi : porte-fenêtre forcée, chambres fouillées.",
        "Cambriolage chez nous entre 18 h et 20 h, volet arraché côté jardin. Gendarmerie prévenue.",
        "Au retour du travail, porte d'entrée fracturée et bijoux volés. Soyez attentifs ce soir.",
        "Villa visitée pendant le week-end, fenêtre de la cuisine cassée. Plainte déposée à la brigade.",
        "Cambriolage dans le garage : vélos et outillage emportés, cadenas coupé.",
        "Intrusion pendant que nous dînions chez des voisins, vers 19 h 30 : baie vitrée forcée.",
    ],
    Category.TENTATIVE_CAMBRIOLAGE: [
        "Traces de pied-de-biche sur la porte de service ce matin, la serrure a tenu.",
        "Quelqu'un a tenté d'ouvrir le portail et a fait le tour de la maison vers 18 h, l'alarme l'a fait fuir.",
        "Volet roulant soulevé puis abandonné pendant la nuit, rien n'a été pris.",
        "Tentative d'effraction sur la fenêtre de la buanderie, vitre fêlée. Gendarmerie prévenue.",
    ],
    Category.VEHICULE_SUSPECT: [
        "Camionnette blanche sans inscription qui passe lentement devant les maisons depuis une heure.",
        "Voiture grise stationnée moteur allumé au bout de l'impasse, deux occupants qui observent les entrées.",
        "Fourgon garé sur le bas-côté, le conducteur photographie les portails.",
        "Scooter qui fait des allers-retours dans le chemin depuis 14 h, s'arrête devant les boîtes aux lettres.",
        "Utilitaire sans plaque arrière qui tourne dans le lotissement depuis ce matin.",
        "Berline foncée, vitres teintées, garée en travers près du parking du village depuis 2 heures.",
    ],
    Category.INDIVIDU_SUSPECT: [
        "Deux personnes qui sonnent aux portes puis repartent quand on répond, direction le chemin des Trious.",
        "Un homme regarde par-dessus les clôtures et note quelque chose dans un carnet.",
        "Quelqu'un escalade le muret du jardin voisin alors que les propriétaires sont absents.",
        "Une personne inspecte les voitures garées et essaie les poignées, partie vers le village.",
    ],
    Category.DEMARCHAGE_SUSPECT: [
        "Faux agents des eaux qui demandent à entrer pour « vérifier les canalisations ». Ne pas ouvrir.",
        "Démarcheurs qui proposent un nettoyage de toiture payé d'avance et insistent lourdement.",
        "Vendeurs de calendriers qui ne présentent aucune carte et demandent à entrer.",
        "Un prétendu technicien du gaz veut contrôler la chaudière sans rendez-vous.",
    ],
    Category.VOL: [
        "Vol dans une voiture garée au parking du village, vitre brisée, sac emporté.",
        "Vélo électrique volé devant la boulangerie en plein après-midi.",
        "Pots de fleurs et mobilier de jardin emportés pendant la nuit.",
        "Carburant siphonné dans deux véhicules garés dans le chemin.",
        "Vol à la portière au feu de la route de la Colle, sac arraché sur le siège passager.",
    ],
    Category.DEGRADATION: [
        "Boîtes aux lettres arrachées en haut du chemin pendant la nuit.",
        "Tags sur le mur du lavoir et sur deux portails.",
        "Rétroviseurs cassés sur plusieurs voitures garées le long de la route.",
        "Panneau de signalisation arraché et jeté dans le vallon.",
    ],
    Category.INCENDIE: [
        "Départ de feu dans les broussailles en bord de route, pompiers appelés.",
        "Fumée importante au-dessus du vallon, des flammes sont visibles. Pompiers prévenus (18).",
        "Feu de poubelle qui menace une haie de cyprès, pompiers en route.",
        "Écobuage non surveillé près des maisons malgré l'interdiction, le vent se lève.",
    ],
    Category.AUTRE: [
        "Chien errant agressif dans le chemin, attention aux enfants à la sortie de l'école.",
        "Éclairage public en panne sur tout le chemin depuis hier soir.",
        "Portail de la déchetterie resté ouvert toute la nuit.",
        "Colis déposés devant les portes puis récupérés par quelqu'un d'autre, vérifiez vos livraisons.",
    ],
}

CONFIRMATIONS = [
    "Moi aussi, je l'ai vu passer il y a dix minutes.",
    "Même chose de notre côté, plus haut dans le chemin.",
    "Confirmé, je viens de les voir repartir vers la route.",
    "Nous aussi, la caméra du portail l'a filmé.",
    "Vu également depuis ma fenêtre.",
]

REJECTION_REASONS = [
    "Doublon d'une alerte déjà publiée.",
    "Faits de plus de 7 jours : à signaler directement à la gendarmerie (17).",
    "Description trop imprécise pour prévenir utilement les voisins.",
    "Litige de voisinage : ne relève pas de la vigilance.",
    "Met en cause une personne identifiable : reformulez sur les faits.",
    "Hors de la commune : transmis à la mairie voisine.",
]

END_BODIES: dict[str, list[str]] = {
    Category.CAMBRIOLAGE: ["La gendarmerie est passée et enquête : fin d'alerte, merci de votre vigilance."],
    Category.TENTATIVE_CAMBRIOLAGE: ["Patrouille passée dans le quartier : fin d'alerte."],
    Category.VEHICULE_SUSPECT: [
        "Véhicule contrôlé par la gendarmerie : rien d'anormal, fin d'alerte.",
        "Le véhicule a quitté la commune : fin d'alerte.",
    ],
    Category.INDIVIDU_SUSPECT: ["Les personnes ont quitté le quartier : fin d'alerte."],
    Category.DEMARCHAGE_SUSPECT: ["Les démarcheurs ont été contrôlés par la police municipale : fin d'alerte."],
    Category.VOL: ["Plainte enregistrée, enquête en cours : fin d'alerte."],
    Category.DEGRADATION: ["Les services techniques ont remis en état : fin d'alerte."],
    Category.INCENDIE: ["Le feu est éteint, les pompiers restent sur place pour surveiller : fin d'alerte."],
    Category.AUTRE: ["Situation réglée : fin d'alerte."],
}

# Errata of suspicious vehicles' alerts.
ERRATA = [
    "Rectificatif : le véhicule est reparti vers la route de Vence, pas vers le village.",
    "Rectificatif : le véhicule stationnait plus haut dans le chemin, près du virage.",
    "Rectificatif : le véhicule a été vu une heure plus tôt que l'heure indiquée.",
]

# The mayor's messages: month of the year, title, body, urgent, channels (empty: every channel), quartier
# (None: the whole commune).
BROADCASTS: list[tuple[int, str, str, bool, list[str], str | None]] = [
    (1, "Réunion publique des voisins vigilants",
     "Réunion publique jeudi à 18 h 30 salle des fêtes : bilan de l'année et conseils de la gendarmerie.",
     False, ["push"], None),
    (2, "Cambriolages en soirée",
     "Plusieurs cambriolages entre 17 h et 20 h cette semaine : fermez volets et portails dès la tombée de la nuit.",
     True, [], None),
    (4, "Faux agents des eaux",
     "De faux agents des eaux se présentent aux Gardettes. Aucun agent n'entre sans rendez-vous : appelez le 17.",
     False, [], "Les Gardettes"),
    (6, "Opération Tranquillité Vacances",
     "Partez l'esprit tranquille : inscrivez-vous à l'Opération Tranquillité Vacances auprès de la police municipale.",
     False, ["push"], None),
    (7, "Risque incendie très sévère",
     "Risque incendie très sévère : tout feu et tout barbecue sont interdits, massifs fermés. Urgence : 18 ou 112.",
     True, [], None),
    (8, "Vols dans les voitures des visiteurs",
     "Vols dans les voitures garées au parking du village : ne laissez rien de visible dans l'habitacle.",
     False, [], "Village"),
    (9, "Rentrée : les bons réflexes",
     "Rentrée : vérifiez vos fermetures et signalez tout véhicule qui repère les maisons.",
     False, ["push"], None),
    (10, "Faux couvreurs",
     "De faux couvreurs proposent un démoussage payé d'avance à la Fontette : ne signez rien et ne payez rien.",
     False, [], "La Fontette"),
    (11, "Vente de calendriers",
     "Les pompiers et les facteurs portent une carte : demandez-la. Aucune autre vente de calendriers n'est autorisée.",
     False, [], None),
    (12, "Fêtes de fin d'année",
     "Pendant les fêtes, les cambrioleurs visent les maisons vides : prévenez un voisin de votre absence.",
     False, [], None),
]  # fmt: skip
