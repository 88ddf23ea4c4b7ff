"""What the service remembers of its backups: when the last one succeeded, for the security report."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupRecord(models.Model):
    """One successful `manage.py backup` (its manifest written), in the database it backed up."""

    finished_at = models.DateTimeField(_("terminée le"), auto_now_add=True, db_index=True)
    dump = models.CharField(_("fichier"), max_length=255)  # the file's name only, not where it is kept
    size = models.BigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    rows = models.BigIntegerField(_("lignes"))

    class Meta:
        verbose_name = _("sauvegarde")
        verbose_name_plural = _("sauvegardes")
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} {self.dump}"
