from rest_framework import serializers

from .models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "object", "before", "after"]

    def get_actor(self, entry: AuditEntry) -> dict | None:
        if entry.actor_id is None:
            return None
        return {"id": entry.actor_id, "name": entry.actor_name}

    def get_object(self, entry: AuditEntry) -> dict:
        return {"type": entry.object_type, "id": entry.object_id}
