"""The pictures of an episode's show notes, published web-sized (show/images.py web_picture)
under names made from their content."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.writer import OutputWriter


class NotePictures:
    """Each picture the notes show (`![what it shows](photo.jpg)`), beside the pages."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        for picture, relative in context.pictures:
            writer.write(relative, picture.data)
