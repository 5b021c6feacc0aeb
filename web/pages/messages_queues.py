"""The queues page's texts (web/pages/messages.py takes them into the one catalogue)."""

from __future__ import annotations

# key: (français, English)
QUEUE_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.queues": ("Files d'attente", "Queues"),
    "queues.title": ("Files d'attente", "Queues"),
    "queues.note": ("Une file sans définition prend les réglages par défaut. Asterisk prend les changements au "
                    "prochain rechargement.",
                    "A queue without a definition takes the defaults. Asterisk takes changes at the next reload."),
    "queues.name": ("Nom", "Name"),
    "queues.client": ("Client", "Client"),
    "queues.shared": ("partagée", "shared"),
    "queues.label": ("Libellé", "Label"),
    "queues.strategy": ("Stratégie", "Strategy"),
    "queues.ring_timeout_s": ("Sonnerie (s)", "Ring timeout (s)"),
    "queues.retry_s": ("Nouvel essai après (s)", "Retry after (s)"),
    "queues.wrapup_s": ("Après-appel (s)", "Wrap-up (s)"),
    "queues.max_callers": ("Appelants au plus (0 : sans limite)", "Callers at most (0: no limit)"),
    "queues.max_wait_s": ("Attente au plus (s, 0 : sans limite)", "Wait at most (s, 0: no limit)"),
    "queues.announce_position": ("Annoncer la position", "Announce the position"),
    "queues.announce_holdtime": ("Annoncer l'attente estimée", "Announce the estimated wait"),
    "queues.announce_frequency_s": ("Annonces toutes les (s)", "Announcements every (s)"),
    "queues.music_class": ("Musique d'attente", "Music on hold"),
    "queues.service_level_s": ("Niveau de service (s)", "Service level (s)"),
    "queues.service_level_pct": ("Objectif de niveau de service (%)", "Service level target (%)"),
    "queues.penalty_rules": ("Règles de compétences (JSON)", "Skill rules (JSON)"),
    "queues.overflow_action": ("Débordement", "Overflow"),
    "queues.overflow_target": ("File de débordement", "Overflow queue"),
    "queues.overflow_schedule": ("Garde de débordement (horaire)", "Overflow on-call schedule"),
    "queues.callback_offer": ("Proposer le rappel", "Offer a callback"),
    "queues.callback_after_s": ("Rappel proposé après (s)", "Callback offered after (s)"),
    "queues.callback_key": ("Touche du rappel", "Callback key"),
    "queues.members": ("Agents (pénalité)", "Agents (penalty)"),
    "queues.yes": ("oui", "yes"),
    "queues.no": ("non", "no"),
    "queues.edit": ("Modifier", "Edit"),
    "queues.save": ("Enregistrer", "Save"),
    "queues.add": ("Nouvelle file", "New queue"),
    "queues.remove": ("Supprimer", "Remove"),
    "queues.confirm_remove": ("Supprimer la définition de la file {name} ?", "Remove the definition of queue {name}?"),
}
