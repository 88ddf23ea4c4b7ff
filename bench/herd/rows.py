"""Twenty rows shaped like the service's alerts: what the bare stack's list answers from memory."""

ROWS = [
    {"id": n, "commune": "99999", "kind": "report", "category": "vehicule_suspect", "title": f"Signalement {n}",
     "description": "Camionnette blanche qui tourne lentement dans le quartier, plaque partielle AB-12.",
     "latitude": 43.69, "longitude": 7.12, "occurred_at": "2026-12-05T03:12:00+01:00",
     "created_at": "2026-12-05T03:14:00+01:00", "status": "approved", "urgent": False, "confirmations_count": 2,
     "followups": []}
    for n in range(20)
]  # fmt: skip
