"""The ready instructions of each hazard: short French texts from the State's official guidance, per level.

The mayor reads and edits them before anything is sent (the desk's form and the API's `instruction` are
pre-filled with them, never sent behind the mayor's back), so they are a starting point, not the law: local
orders (evacuation, a shelter's address, where water is handed out) are the mayor's to add.

Written from (docs/risks.md lists the pages): the government's "bons réflexes" for major risks and Géorisques'
"Que faire en cas de…" (ministère de la Transition écologique), Météo-France's vigilance advice for each
phenomenon and colour, Vigicrues' advice for floods, the national forest-fire prevention campaign, the health
ministry's heatwave advice (Canicule info service), Santé publique France on carbon monoxide.

Always French: they are sent to residents, whose messages are French whatever the language of the mayor's
screen (like the SMS texts), so they are data here, not strings for the catalogue.
"""

from .models import Hazard, Level

# Levels from the mildest, to pick each hazard's text for a level: the text of the highest threshold reached.
LEVEL_ORDER = [Level.INFORMATION, Level.YELLOW, Level.ORANGE, Level.RED]

EMERGENCY = "En cas d'urgence : 112 (114 par SMS pour les personnes sourdes ou malentendantes)."

# For each hazard, (from this level on, this text), mildest first; the first threshold is always INFORMATION.
TEXTS: dict[Hazard, list[tuple[Level, str]]] = {
    Hazard.FLOOD: [
        (Level.INFORMATION,
         "Tenez-vous informé de la montée des eaux (vigicrues.gouv.fr, radio locale). Évitez les abords des cours "
         "d'eau. Mettez à l'abri vos biens sensibles à l'eau. Ne vous engagez jamais sur une route inondée."),
        (Level.ORANGE,
         "Limitez vos déplacements et tenez-vous informé (vigicrues.gouv.fr, radio locale). Ne vous engagez jamais, "
         "à pied ou en voiture, sur une route inondée : 30 cm d'eau suffisent à emporter une voiture. Éloignez-vous "
         "des cours d'eau, ne stationnez ni sur les berges ni sur les ponts. Ne descendez pas dans les sous-sols. "
         "Mettez vos papiers et vos biens en hauteur. " + EMERGENCY),
        (Level.RED,
         "Mettez-vous à l'abri dans un bâtiment en dur et montez dans les étages. Ne prenez pas votre voiture. Ne "
         "descendez pas dans les sous-sols ni les parkings souterrains. Éloignez-vous des cours d'eau, ne vous "
         "engagez jamais sur une route inondée. Coupez l'électricité et le gaz si l'eau entre. N'allez pas chercher "
         "vos enfants à l'école : ils y sont pris en charge. Écoutez la radio locale et suivez les consignes des "
         "autorités ; évacuez si elles le demandent. " + EMERGENCY),
    ],
    Hazard.FOREST_FIRE: [
        (Level.INFORMATION,
         "Risque de feu de forêt : aucun feu, barbecue ni travaux produisant des étincelles près de la végétation, "
         "aucun mégot jeté. Respectez les interdictions d'accès aux massifs. Témoin d'un départ de feu : appelez le "
         "18 ou le 112 (114 par SMS) en donnant le lieu le plus précis possible."),
        (Level.ORANGE,
         "N'allez pas dans les massifs. Si le feu approche, mettez-vous à l'abri dans un bâtiment en dur : la voiture "
         "n'est pas un abri sûr. Fermez portes, fenêtres et volets, bouchez les aérations et le bas des portes avec "
         "des linges mouillés. Rentrez les tuyaux d'arrosage, éloignez les bouteilles de gaz, ouvrez votre portail "
         "aux pompiers. Respirez à travers un linge humide. Suivez les consignes des pompiers et de la mairie. "
         "Témoin d'un départ de feu : 18 ou 112 (114 par SMS)."),
    ],
    Hazard.STORM: [
        (Level.INFORMATION,
         "Rentrez ou attachez ce que le vent peut emporter (mobilier de jardin, poubelles, bâches). Soyez prudents "
         "sur la route et en forêt, où des branches peuvent tomber. Ne vous abritez pas sous les arbres."),
        (Level.ORANGE,
         "Limitez vos déplacements et évitez les bois et forêts. Rentrez ou attachez ce que le vent peut emporter. "
         "Ne montez pas sur les toits. Ne touchez pas aux fils électriques tombés à terre. Gardez une lampe de poche "
         "et un téléphone chargé en cas de coupure de courant. Sur le littoral, éloignez-vous du bord de mer. "
         + EMERGENCY),
        (Level.RED,
         "Restez chez vous et ne vous déplacez qu'en cas d'absolue nécessité. Fermez portes et volets, éloignez-vous "
         "des fenêtres. Ne montez pas sur les toits, ne touchez pas aux fils électriques tombés à terre. Un groupe "
         "électrogène s'utilise toujours dehors : ses gaz tuent. Prenez des nouvelles de vos voisins. Écoutez la "
         "radio locale et suivez les consignes des autorités. " + EMERGENCY),
    ],
    Hazard.HEATWAVE: [
        (Level.INFORMATION,
         "Buvez de l'eau régulièrement sans attendre d'avoir soif. Mouillez-vous le corps et restez au frais. Fermez "
         "volets et fenêtres le jour, aérez la nuit. Évitez l'alcool et les efforts aux heures les plus chaudes. "
         "Prenez des nouvelles de vos proches fragiles. Canicule info service : 0 800 06 66 66 (appel gratuit)."),
        (Level.ORANGE,
         "Buvez de l'eau régulièrement et mouillez-vous le corps. Ne sortez pas aux heures les plus chaudes ; passez "
         "quelques heures par jour dans un lieu frais. Fermez volets et fenêtres le jour. Évitez l'alcool et les "
         "efforts physiques. Appelez vos proches âgés, isolés ou malades. En cas de malaise, appelez le 15. "
         "Canicule info service : 0 800 06 66 66 (appel gratuit)."),
        (Level.RED,
         "Canicule extrême : tout le monde est en danger, même en bonne santé. Buvez de l'eau régulièrement, "
         "mouillez-vous le corps plusieurs fois par jour, restez dans un lieu frais. Arrêtez toute activité "
         "physique. Prenez des nouvelles de vos proches et voisins fragiles. En cas de malaise ou de troubles du "
         "comportement, appelez le 15. Suivez les consignes des autorités."),
    ],
    Hazard.SNOW_ICE: [
        (Level.INFORMATION,
         "Soyez prudents si vous devez vous déplacer : renseignez-vous sur l'état des routes avant de partir et "
         "respectez les restrictions de circulation. Attention aux chutes sur les trottoirs."),
        (Level.ORANGE,
         "Limitez vos déplacements. Si vous devez prendre la route : véhicule équipé, conditions de circulation "
         "vérifiées, de quoi boire, manger et vous couvrir. Attention aux chutes sur les trottoirs. Ne touchez pas "
         "aux fils électriques tombés à terre. Chauffez-vous sans danger : pas de chauffage d'appoint à combustion en "
         "continu ni de groupe électrogène à l'intérieur (monoxyde de carbone). " + EMERGENCY),
        (Level.RED,
         "Restez chez vous : aucun déplacement qui ne soit absolument indispensable. Bloqué sur la route, restez dans "
         "votre véhicule. Chauffez-vous sans danger : jamais de groupe électrogène à l'intérieur, pas de chauffage "
         "d'appoint à combustion en continu (monoxyde de carbone). Protégez vos canalisations du gel. Prenez des "
         "nouvelles de vos voisins fragiles. Suivez les consignes des autorités. " + EMERGENCY),
    ],
    Hazard.INDUSTRIAL: [
        (Level.INFORMATION,
         "Restez à l'écoute des consignes de la mairie et des autorités (radio locale). Si la sirène retentit ou si "
         "la mise à l'abri est demandée : rejoignez un bâtiment en dur, fermez portes et fenêtres, n'allez pas "
         "chercher vos enfants à l'école."),
        (Level.ORANGE,
         "Rejoignez sans attendre le bâtiment en dur le plus proche et restez-y. Fermez portes et fenêtres, "
         "calfeutrez les aérations, arrêtez ventilation et climatisation ; éloignez-vous des fenêtres. N'allez pas "
         "chercher vos enfants à l'école : ils y sont pris en charge. Ne fumez pas, évitez toute flamme ou étincelle. "
         "Gêne respiratoire : respirez à travers un linge humide. Ne téléphonez qu'en cas d'urgence, pour laisser les "
         "réseaux aux secours. Écoutez la radio ; ne sortez qu'à la fin de l'alerte ou sur ordre d'évacuation."),
    ],
    Hazard.WATER_CUT: [
        (Level.INFORMATION,
         "Gardez une réserve d'eau pour la durée annoncée (boisson, cuisine, toilette). Fermez vos robinets pour "
         "éviter fuites et dégâts au retour de l'eau ; laissez-la couler quelques instants avant de la boire si elle "
         "est trouble. Prenez des nouvelles de vos voisins fragiles. Suivez les informations de la mairie, "
         "notamment sur les points de distribution d'eau."),
    ],
    Hazard.POWER_CUT: [
        (Level.INFORMATION,
         "Débranchez les appareils sensibles pour les protéger au retour du courant. Ouvrez le moins possible "
         "réfrigérateur et congélateur. Éclairez-vous à la lampe de poche plutôt qu'à la bougie. Jamais de groupe "
         "électrogène ni de chauffage d'appoint à combustion dans un local fermé : risque d'intoxication au monoxyde "
         "de carbone. Sous assistance médicale électrique : contactez votre prestataire. Prenez des nouvelles de vos "
         "voisins fragiles."),
    ],
    Hazard.OTHER: [
        (Level.INFORMATION, "Restez informé et suivez les consignes de la mairie et des autorités. " + EMERGENCY),
    ],
}

# Where each hazard's texts come from: shown with them (GET /warnings/instructions) and listed in docs/risks.md.
RISKS_GOUV = "https://www.risques.gouv.fr/"
GEORISQUES = "https://www.georisques.gouv.fr/me-preparer-me-proteger"
METEO_FRANCE = "https://vigilance.meteofrance.fr/fr"
SOURCES: dict[Hazard, list[str]] = {
    Hazard.FLOOD: ["https://www.vigicrues.gouv.fr/", METEO_FRANCE, RISKS_GOUV, GEORISQUES],
    Hazard.FOREST_FIRE: ["https://www.feux-foret.gouv.fr/", RISKS_GOUV, GEORISQUES],
    Hazard.STORM: [METEO_FRANCE, RISKS_GOUV],
    Hazard.HEATWAVE: [METEO_FRANCE, "https://sante.gouv.fr/sante-et-environnement/risques-climatiques/canicule"],
    Hazard.SNOW_ICE: [METEO_FRANCE, RISKS_GOUV],
    Hazard.INDUSTRIAL: ["https://www.georisques.gouv.fr/me-preparer-me-proteger/que-faire-en-cas-d-accident-industriel",
                        RISKS_GOUV],
    Hazard.WATER_CUT: [RISKS_GOUV],
    Hazard.POWER_CUT: ["https://www.santepubliquefrance.fr/", RISKS_GOUV],
    Hazard.OTHER: [RISKS_GOUV],
}


def ready_text(hazard: str, level: str) -> str:
    """The ready instructions for this hazard at this level (those of the highest threshold it reaches)."""
    rank = LEVEL_ORDER.index(Level(level))
    text = ""
    for threshold, words in TEXTS[Hazard(hazard)]:
        if LEVEL_ORDER.index(threshold) <= rank:
            text = words
    return text


def sources(hazard: str) -> list[str]:
    return list(SOURCES[Hazard(hazard)])
