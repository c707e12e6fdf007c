"""The site's pages and the files every site has: the index, a page per episode, the radio
partners' programme sheets, the show's own pages (pages/*.md), the stylesheet and the icon.
Each is one entry of `SITE_OUTPUTS` (outputs/site.py)."""

from __future__ import annotations

from podcast.outputs import urls
from podcast.outputs.notes import PublishedPicture, notes_html, publish_image_sources
from podcast.outputs.site_context import SiteContext, language_versions
from podcast.outputs.writer import OutputWriter
from podcast.show.images import favicon, web_picture


class Favicon:
    """The site's icon, made from the cover."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        writer.write(urls.FAVICON, favicon(site.cover))


class IndexPage:
    """index.html: the public episodes, newest first."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        newest_first = sorted(site.public, key=lambda r: r.episode.date, reverse=True)
        index = site.env.get_template("index.html")
        writer.write(urls.INDEX, index.render(root="", episodes=newest_first, **site.common))


class EpisodePages:
    """A page per public episode, in its own language, linked to the one before and after
    and to its translations. Episodes out for radio partners only have none."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        in_order = site.in_order
        versions = language_versions(site.show, site.public)
        template = site.env.get_template("episode.html")
        for position, item in enumerate(in_order):
            page_lang = site.page_language(item)
            html = template.render(
                root="../",
                item=item,
                previous=in_order[position - 1] if position > 0 else None,
                next=in_order[position + 1] if position + 1 < len(in_order) else None,
                versions=versions.get(item.episode.slug, []),
                page_lang=page_lang,
                **{**site.common, "t": site.strings(page_lang)},
            )
            writer.write(urls.episode_page(item.episode), html)


class ProgrammeSheets:
    """The radio partners' page about each episode with a broadcast rendition, and their
    page (urls.PARTNERS_PAGE): the radio feed's address and the sheets. An episode under
    embargo has none: its sheet goes into the partners' drop boxes (outputs/partners.py)."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        template = site.env.get_template("programme.html")
        for item in site.in_order:
            if item.programme is None:
                continue
            context = {**site.common, "t": site.strings(site.page_language(item))}
            sheet = template.render(root="../", item=item, sheet=item.programme, **context)
            writer.write(urls.episode_programme(item.episode, ".html"), sheet)
        if site.show.config.audio.broadcast:
            sheets = [item for item in reversed(site.in_order) if item.programme is not None]
            page = site.env.get_template("partners.html")
            writer.write(urls.PARTNERS_PAGE, page.render(root="../", sheets=sheets, **site.common))


class ShowPages:
    """The show's pages (pages/*.md) with their pictures, at the root of the site."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        template = site.env.get_template("page.html")
        for page in site.show.pages:
            published = {}
            for image in page.images:
                picture = web_picture(image.path)
                names = []
                for version in (picture, *picture.smaller):
                    names.append(urls.page_image(page.name, version.digest, image.path.suffix))
                    writer.write(names[-1], version.data)
                # Pages sit at the root, beside images/: links relative to them.
                published[image.src] = PublishedPicture(names[0], picture, tuple(names[1:]))
            page_html = publish_image_sources(notes_html(page.markdown, True), published)
            html = template.render(root="", page=page, page_html=page_html, **site.common)
            writer.write(urls.show_page(page.name), html)


class Stylesheet:
    """style.css, from the theme."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        writer.write(urls.STYLESHEET, site.env.get_template("style.css").render())
