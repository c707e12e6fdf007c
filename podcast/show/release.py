"""What is out when: drafts stay in, an episode dated in the future waits for its date, and
radio partners may get an episode earlier (`radio_release`), under embargo until its date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from podcast.show.model import Episode, Show


@dataclass(frozen=True)
class Release:
    """The episodes of one build by audience, and when the next one is due."""

    public: tuple[Episode, ...]  # feed.xml, the website, radio.xml
    radio_only: tuple[Episode, ...]  # the partners' drop boxes only, under embargo
    held_back: tuple[Episode, ...]  # drafts and episodes not yet due for anyone
    next_release: datetime | None  # the next moment a build would publish more

    @property
    def rendered(self) -> tuple[Episode, ...]:
        """The episodes whose audio a build renders."""
        return self.public + self.radio_only


def release(show: Show, now: datetime, preview: bool = False) -> Release:
    """Sort the show's episodes for a build at `now`; a `preview` shows everything."""
    if preview:
        return Release(show.episodes, (), (), None)
    public, radio_only, held_back, upcoming = [], [], [], []
    for episode in show.episodes:
        meta = episode.meta
        if meta.status == "draft":
            held_back.append(episode)
        elif meta.date <= now:
            public.append(episode)
        elif meta.radio_release is not None and meta.radio_release <= now:
            radio_only.append(episode)
            upcoming.append(meta.date)
        else:
            held_back.append(episode)
            upcoming += [meta.radio_release or meta.date, meta.date]
    future = [moment for moment in upcoming if moment > now]
    return Release(tuple(public), tuple(radio_only), tuple(held_back), min(future, default=None))


def preview_mark(episode: Episode, now: datetime) -> str | None:
    """What a preview marks an episode as, which a build at `now` would not publish for
    everyone: "draft", "embargo" (out for radio partners only) or "scheduled"; else None."""
    meta = episode.meta
    if meta.status == "draft":
        return "draft"
    if meta.date <= now:
        return None
    if meta.radio_release is not None and meta.radio_release <= now:
        return "embargo"
    return "scheduled"
