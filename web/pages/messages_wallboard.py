"""The live wallboard's per-queue texts (web/pages/messages.py takes them into the one catalogue)."""

from __future__ import annotations

# key: (français, English)
WALLBOARD_MESSAGES: dict[str, tuple[str, str]] = {
    "wallboard.now": ("En ce moment", "Right now"),
    "wallboard.agents": ("Agents des files", "Queue agents"),
    "wallboard.today": ("Aujourd'hui", "Today"),
    "wallboard.logged_in": ("Connectés", "Logged in"),
    "wallboard.offered": ("Offerts", "Offered"),
    "wallboard.answered": ("Répondus", "Answered"),
    "wallboard.abandoned": ("Abandonnés", "Abandoned"),
    "wallboard.abandon_rate": ("Taux d'abandon", "Abandon rate"),
    "wallboard.service_level": ("Niveau de service", "Service level"),
    "wallboard.wait_avg": ("Attente moyenne", "Average wait"),
    "wallboard.aht": ("DMT", "AHT"),
    "wallboard.sl_detail": ("{answered} sur {queued} répondus en {seconds} s au plus ; cible {target}",
                            "{answered} of {queued} answered within {seconds} s; target {target}"),
    "wallboard.wait_over": ("Attente au-delà du seuil de {seconds} s", "Waiting longer than the {seconds} s threshold"),
    "wallboard.legend": ("En rouge : une file dont le niveau de service du jour est sous sa cible, ou dont un "
                         "appelant attend au-delà de son seuil. Les chiffres du jour se mettent à jour en "
                         "quelques secondes.",
                         "In red: a queue whose service level today is under its target, or with a caller "
                         "waiting beyond its threshold. The day's figures catch up within a few seconds."),
}
