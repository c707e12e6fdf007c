"""The vocabularies and limits of the platforms a feed must satisfy, one place each: Apple
Podcasts' categories, episode types and size limits, and the Podcasting 2.0 person taxonomy.
The schema, the images, the feed writer and its validation all read them from here."""

from __future__ import annotations

from typing import Literal, get_args

# Apple rejects descriptions and summaries longer than this (in bytes, in the feed).
APPLE_DESCRIPTION_MAX_BYTES = 4000
# Cover art: square, between these sizes (pixels per side).
APPLE_MIN_PX = 1400
APPLE_MAX_PX = 3000
# An MP3's chapter table (ID3 CTOC) counts its entries in one byte. Nested tables could hold
# more, but ffmpeg and most players read only the top one; more chapters are refused.
ID3_MAX_CHAPTERS = 255
EpisodeType = Literal["full", "trailer", "bonus"]
EPISODE_TYPES: frozenset[str] = frozenset(get_args(EpisodeType))
ShowType = Literal["episodic", "serial"]

# Apps and directories a show's `[subscribe]` table may name by key, with how they are shown;
# any other key is shown as written.
SUBSCRIBE_APPS = {
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "antennapod": "AntennaPod",
    "overcast": "Overcast",
    "pocketcasts": "Pocket Casts",
    "podcastaddict": "Podcast Addict",
    "castbox": "Castbox",
    "castro": "Castro",
    "amazon": "Amazon Music",
    "deezer": "Deezer",
    "youtube": "YouTube Music",
    "podimo": "Podimo",
    "fyyd": "fyyd",
    "podcastindex": "Podcast Index",
    "gpodder": "gpodder.net",
}


# Apple Podcasts categories (https://podcasters.apple.com/support/1691-apple-podcasts-categories).
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": (
        "Books",
        "Design",
        "Fashion & Beauty",
        "Food",
        "Performing Arts",
        "Visual Arts",
    ),
    "Business": (
        "Careers",
        "Entrepreneurship",
        "Investing",
        "Management",
        "Marketing",
        "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journals",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


# Podcasting 2.0 person taxonomy: group -> roles (lower case).
PERSON_TAXONOMY = {
    "creative direction": {
        "director",
        "assistant director",
        "executive producer",
        "senior producer",
        "producer",
        "associate producer",
        "development producer",
        "creative director",
    },
    "cast": {
        "host",
        "co-host",
        "guest host",
        "guest",
        "voice actor",
        "narrator",
        "announcer",
        "reporter",
    },
    "writing": {
        "author",
        "editorial director",
        "co-writer",
        "writer",
        "songwriter",
        "guest writer",
        "story editor",
        "managing editor",
        "script editor",
        "script coordinator",
        "researcher",
        "editor",
        "fact checker",
        "translator",
        "transcriber",
        "logger",
    },
    "audio post-production": {
        "studio coordinator",
        "technical director",
        "technical manager",
        "audio engineer",
        "remote recording engineer",
        "post production engineer",
    },
    "audio production": {
        "audio editor",
        "sound designer",
        "foley artist",
        "composer",
        "theme music",
        "music production",
        "music contributor",
    },
    "administration": {
        "production coordinator",
        "booking coordinator",
        "production assistant",
        "content manager",
        "marketing manager",
        "sales representative",
        "sales manager",
    },
    "visuals": {"graphic designer", "cover art designer"},
    "community": {"social media manager"},
    "misc.": {"consultant", "intern"},
    "video production": {"camera operator", "lighting designer", "camera grip", "assistant camera"},
    "video post-production": {"editor"},
}
