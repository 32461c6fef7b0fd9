//! The film's words: subtitles, choice labels, notices and credits, typeset
//! with the font the film ships (Atkinson Hyperlegible Next, SIL OFL 1.1,
//! `assets/fonts/`), shaped and wrapped by cosmic-text and rasterised by swash
//! into a [`Block`]: an RGBA image the renderer puts on a quad in the world.
//!
//! Blocks are made at the headset's pixel density ([`TEXELS_PER_METRE`]), so a
//! word reads as crisply on a Quest 3 as its display allows, and a block's
//! size in metres is its size in texels over that density. Text the block
//! cannot hold shrinks (down to the look's smallest size) and then ends in an
//! ellipsis ([`Block::clipped`]); characters the font lacks are drawn as its
//! box glyph and counted ([`Block::missing`]). Nothing here panics on any
//! UTF-8 the story holds.
//!
//! No system fonts are read (no fontconfig): the film looks the same on every
//! machine, and a headset needs no font files beside the binary.

use cosmic_text::{
    fontdb, Align, Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, SwashCache,
    SwashContent, Weight, Wrap,
};

/// The regular face, embedded: a film without words is not a film.
const REGULAR: &[u8] =
    include_bytes!("../../../assets/fonts/AtkinsonHyperlegibleNext_400Regular.ttf");
/// The semibold face: speakers' names and headings.
const SEMIBOLD: &[u8] =
    include_bytes!("../../../assets/fonts/AtkinsonHyperlegibleNext_600SemiBold.ttf");
/// The shipped family's name.
pub const FAMILY: &str = "Atkinson Hyperlegible Next";

/// Texels per metre of a block in the world: 1200, which is about 36 texels
/// per degree at 1.6–1.8 m (where panels and subtitles float), half as much
/// again as a Quest 3's 25 pixels per degree, so the display, not the text,
/// limits sharpness (and a desktop window, which sees the text smaller,
/// samples it down).
pub const TEXELS_PER_METRE: f32 = 1200.0;

/// An sRGB colour with straight (not premultiplied) alpha.
pub type Rgba = [u8; 4];

/// How a block is typeset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Font size (em), texels.
    pub font_px: f32,
    /// The smallest the font may shrink to before the text is cut with an ellipsis.
    pub min_font_px: f32,
    /// Line spacing, in ems.
    pub line_spacing: f32,
    /// Block width, texels (padding included).
    pub width_px: u32,
    /// A fixed block height (a panel), texels; `None`: as tall as the lines need, up to
    /// `max_lines`.
    pub height_px: Option<u32>,
    /// The most lines the block shows.
    pub max_lines: usize,
    /// Space between the text and the block's edge, texels.
    pub padding_px: u32,
    /// The text's colour.
    pub ink: Rgba,
    /// The speaker's name's colour (`NAME: line`).
    pub accent: Rgba,
    /// The plate behind the text (alpha 0: none).
    pub plate: Rgba,
    /// Lines centred (subtitles, labels) or flush left (notices).
    pub centred: bool,
    /// The first line (up to the first newline) is a heading, set like a speaker's name.
    pub heading: bool,
}

impl Look {
    /// Subtitles: 42 mm em (≈ 1.3° at 1.8 m, a cap height near 1°, within XR captioning
    /// guidance), white on an opaque dark plate so they read over any set and never change
    /// with the grade behind them, 1.05 m wide
    /// (≈ 33°: the eyes read a line without turning the head), at most four lines.
    pub const SUBTITLE: Look = Look {
        font_px: 50.0,
        min_font_px: 36.0,
        line_spacing: 1.25,
        width_px: 1260,
        height_px: None,
        max_lines: 4,
        padding_px: 22,
        ink: [245, 245, 240, 255],
        accent: [255, 206, 120, 255],
        plate: [12, 14, 20, 255],
        centred: true,
        heading: false,
    };
    /// A choice panel's label: the face of a 0.42 × 0.26 m panel, on a light veil so the
    /// words read on the panel lit by the pointer as on the plain one.
    pub const PANEL: Look = Look {
        font_px: 36.0,
        min_font_px: 22.0,
        line_spacing: 1.2,
        width_px: 504,
        height_px: Some(312),
        max_lines: 12,
        padding_px: 24,
        ink: [250, 248, 240, 255],
        accent: [255, 206, 120, 255],
        plate: [8, 10, 16, 120],
        centred: true,
        heading: false,
    };
    /// Notices, menus and credits: flush left on a plate, 1.05 m wide, a 42 mm em (as large
    /// as the subtitles at their distance), the first line a heading.
    pub const NOTICE: Look = Look {
        font_px: 50.0,
        min_font_px: 30.0,
        line_spacing: 1.3,
        width_px: 1260,
        height_px: None,
        max_lines: 16,
        padding_px: 36,
        ink: [240, 240, 236, 255],
        accent: [255, 206, 120, 255],
        plate: [16, 18, 26, 235],
        centred: false,
        heading: true,
    };
}

/// A typeset block: straight-alpha sRGB RGBA, row-major, `width` × `height`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Width, texels.
    pub width: u32,
    /// Height, texels.
    pub height: u32,
    /// Pixels, 4 bytes each.
    pub rgba: Vec<u8>,
    /// The font size the text fitted at, texels.
    pub font_px: f32,
    /// Lines shown.
    pub lines: usize,
    /// The text did not fit even at the smallest size and ends in an ellipsis.
    pub clipped: bool,
    /// Characters the font lacks (drawn as its box).
    pub missing: usize,
}

impl Block {
    /// Size in the world, metres (width, height).
    pub fn size_m(&self) -> (f32, f32) {
        (
            self.width as f32 / TEXELS_PER_METRE,
            self.height as f32 / TEXELS_PER_METRE,
        )
    }
}

/// Who speaks a line (the rule the stage follows too): `MARA: Cold hands.` →
/// (`Some("MARA")`, `Cold hands.`).
pub use showrunner_core::speaker;

/// Typesets blocks with the shipped font. Holds the shaper's font database and
/// the glyph raster cache, so keep one and reuse it.
pub struct Typesetter {
    fonts: FontSystem,
    glyphs: SwashCache,
}

impl Default for Typesetter {
    fn default() -> Self {
        Self::new()
    }
}

impl Typesetter {
    /// Loads the shipped faces (a few milliseconds; no system fonts).
    pub fn new() -> Self {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(SEMIBOLD.to_vec());
        db.set_sans_serif_family(FAMILY);
        let fonts = FontSystem::new_with_locale_and_db("en-GB".into(), db);
        Self {
            fonts,
            glyphs: SwashCache::new(),
        }
    }

    /// Typesets `text` (any UTF-8; newlines break lines) as `look` says. A leading
    /// `NAME: ` is set as the speaker, in the accent colour and semibold.
    pub fn set(&mut self, text: &str, look: &Look) -> Block {
        let width = look.width_px.max(2 * look.padding_px + 16);
        let inner_w = (width - 2 * look.padding_px) as f32;
        let max_inner_h = look
            .height_px
            .map(|h| h.saturating_sub(2 * look.padding_px) as f32);
        let min = look.min_font_px.clamp(4.0, look.font_px.max(4.0));
        let mut size = look.font_px.max(min);
        let mut buffer = Buffer::new_empty(Metrics::new(size, size * look.line_spacing));
        let (who, words) = match text.split_once('\n') {
            Some((head, rest)) if look.heading => (Some(head), rest),
            _ => speaker(text),
        };
        let gap = if look.heading && who.is_some() {
            "\n"
        } else {
            "  "
        };
        let fits = |lines: usize, line_h: f32| {
            lines <= look.max_lines.max(1)
                && max_inner_h.is_none_or(|h| lines as f32 * line_h <= h + 0.5)
        };
        // Shrink in 8 % steps until the text fits, or the smallest size is reached.
        let (lines, clipped) = loop {
            let line_h = (size * look.line_spacing).ceil();
            buffer.set_metrics_and_size(Metrics::new(size, line_h), Some(inner_w), None);
            buffer.set_wrap(Wrap::WordOrGlyph);
            let attrs = Attrs::new().family(Family::SansSerif);
            let ink = Color::rgba(look.ink[0], look.ink[1], look.ink[2], look.ink[3]);
            let accent = Color::rgba(
                look.accent[0],
                look.accent[1],
                look.accent[2],
                look.accent[3],
            );
            let name = who.map(|n| format!("{n}{gap}"));
            let mut spans: Vec<(&str, Attrs)> = Vec::with_capacity(2);
            if let Some(n) = &name {
                spans.push((n, attrs.clone().weight(Weight::SEMIBOLD).color(accent)));
            }
            spans.push((words, attrs.clone().color(ink)));
            let align = if look.centred {
                Align::Center
            } else {
                Align::Left
            };
            buffer.set_rich_text(spans, &attrs, Shaping::Advanced, Some(align));
            buffer.shape_until_scroll(&mut self.fonts, false);
            let lines = buffer.layout_runs().count();
            if fits(lines, line_h) {
                break (lines, false);
            }
            if size <= min {
                // Keep what fits and end the last kept line with an ellipsis.
                let keep = (0..=lines)
                    .rev()
                    .find(|n| fits(*n, line_h))
                    .unwrap_or(0)
                    .max(1);
                let mut cut = cut_to_lines(&buffer, keep);
                // The ellipsis may push the last line over: give back words until it fits.
                loop {
                    let mut shown = String::with_capacity(cut.len() + 3);
                    shown.push_str(cut.trim_end());
                    shown.push('…');
                    let rest = shown
                        .strip_prefix(name.as_deref().unwrap_or(""))
                        .unwrap_or(&shown);
                    let mut spans: Vec<(&str, Attrs)> = Vec::with_capacity(2);
                    if let Some(n) = &name {
                        spans.push((n, attrs.clone().weight(Weight::SEMIBOLD).color(accent)));
                    }
                    spans.push((rest, attrs.clone().color(ink)));
                    buffer.set_rich_text(spans, &attrs, Shaping::Advanced, Some(align));
                    buffer.shape_until_scroll(&mut self.fonts, false);
                    if buffer.layout_runs().count() <= keep || cut.is_empty() {
                        break;
                    }
                    let trimmed = cut.trim_end();
                    let at = trimmed.rfind(char::is_whitespace).unwrap_or(0);
                    let at = if at == 0 {
                        trimmed.char_indices().last().map_or(0, |(i, _)| i)
                    } else {
                        at
                    };
                    cut.truncate(at);
                }
                break (buffer.layout_runs().count().min(keep), true);
            }
            size = (size * 0.92).max(min);
        };
        let line_h = (size * look.line_spacing).ceil();
        let height = look
            .height_px
            .unwrap_or((lines.max(1) as f32 * line_h).ceil() as u32 + 2 * look.padding_px)
            .max(2 * look.padding_px + 1);
        let text_h = lines as f32 * line_h;
        // Vertically centred in a fixed block; at the top padding otherwise.
        let top = match look.height_px {
            Some(h) => ((h as f32 - text_h) / 2.0).max(look.padding_px as f32),
            None => look.padding_px as f32,
        };
        let mut rgba = plate(width, height, look.plate);
        let missing = buffer
            .layout_runs()
            .take(lines)
            .flat_map(|r| r.glyphs.iter())
            .filter(|g| g.glyph_id == 0)
            .count();
        let (w, h) = (width as i32, height as i32);
        let (ox, oy) = (look.padding_px as i32, top.round() as i32);
        let limit_y = if look.height_px.is_some() {
            h - look.padding_px as i32 / 2
        } else {
            h
        };
        let ink = Color::rgba(look.ink[0], look.ink[1], look.ink[2], look.ink[3]);
        // Each glyph's cached coverage mask composited row by row, clipped once per glyph.
        for run in buffer.layout_runs().take(lines) {
            for glyph in run.glyphs {
                let at = glyph.physical((0.0, run.line_y), 1.0);
                let c = glyph.color_opt.unwrap_or(ink);
                let Some(image) = self.glyphs.get_image(&mut self.fonts, at.cache_key) else {
                    continue;
                };
                let p = image.placement;
                let (gx, gy) = (at.x + p.left + ox, at.y - p.top + oy);
                let (gw, gh) = (p.width as i32, p.height as i32);
                let x0 = gx.max(0);
                let x1 = (gx + gw).min(w);
                let y0 = gy.max(0);
                let y1 = (gy + gh).min(limit_y);
                let colour = matches!(image.content, SwashContent::Color);
                for y in y0..y1 {
                    for x in x0..x1 {
                        let k = ((y - gy) * gw + (x - gx)) as usize;
                        let src = if colour {
                            let d = image.data.get(k * 4..k * 4 + 4).unwrap_or(&[0; 4]);
                            [d[0], d[1], d[2], d[3]]
                        } else {
                            let a = image.data.get(k).copied().unwrap_or(0);
                            [
                                c.r(),
                                c.g(),
                                c.b(),
                                ((u32::from(a) * u32::from(c.a()) + 127) / 255) as u8,
                            ]
                        };
                        let i = ((y * w + x) * 4) as usize;
                        over(&mut rgba[i..i + 4], src);
                    }
                }
            }
        }
        Block {
            width,
            height,
            rgba,
            font_px: size,
            lines,
            clipped,
            missing,
        }
    }
}

/// The text of the first `keep` visual lines of a laid-out buffer, as the
/// author wrote it (the spaces a wrap swallowed kept).
fn cut_to_lines(buffer: &Buffer, keep: usize) -> String {
    let Some(last) = buffer.layout_runs().take(keep).last() else {
        return String::new();
    };
    let end = last.glyphs.iter().map(|g| g.end).max().unwrap_or(0);
    let mut out = String::new();
    for (i, line) in buffer.lines.iter().enumerate().take(last.line_i + 1) {
        if i > 0 {
            out.push('\n');
        }
        let text = line.text();
        if i == last.line_i {
            out.push_str(text.get(..end).unwrap_or(text));
        } else {
            out.push_str(text);
        }
    }
    out
}

/// A `width` × `height` plate of `colour` with rounded corners (a quarter of
/// the shorter side at most, 24 texels), anti-aliased; colour kept where it is
/// transparent so filtering never darkens the edge.
fn plate(width: u32, height: u32, colour: Rgba) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let r = (width.min(height) as f32 / 4.0).min(24.0);
    let texel = |x: usize, y: usize| -> [u8; 4] {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let cx = fx.clamp(r, width as f32 - r);
        let cy = fy.clamp(r, height as f32 - r);
        let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
        let cover = (r + 0.5 - d).clamp(0.0, 1.0);
        [
            colour[0],
            colour[1],
            colour[2],
            (f32::from(colour[3]) * cover + 0.5) as u8,
        ]
    };
    // Only the texels near the left and right edges vary along a row.
    let edge = (r.ceil() as usize + 1).min(w / 2);
    let row = |y: usize| -> Vec<u8> {
        let mut out = Vec::with_capacity(w * 4);
        let inner = texel(w / 2, y);
        for x in 0..w {
            if x < edge || x + edge >= w {
                out.extend_from_slice(&texel(x, y));
            } else {
                out.extend_from_slice(&inner);
            }
        }
        out
    };
    let mut rgba = Vec::with_capacity(w * h * 4);
    // Rows clear of the corners are all alike: one is computed and copied.
    let corner = (r.ceil() as usize + 1).min(h);
    let middle = row(corner.min(h.saturating_sub(1)));
    for y in 0..h {
        if y < corner || y + corner >= h {
            rgba.extend_from_slice(&row(y));
        } else {
            rgba.extend_from_slice(&middle);
        }
    }
    rgba
}

/// Straight-alpha "over": `src` composited onto `dst` in place.
fn over(dst: &mut [u8], src: Rgba) {
    if src[3] == 0 {
        return;
    }
    if src[3] == 255 || dst[3] == 0 {
        dst.copy_from_slice(&src);
        return;
    }
    // Integer "over" (×255 fixed point): one division a channel.
    let (sa, da) = (u32::from(src[3]), u32::from(dst[3]));
    let db = da * (255 - sa); // dst alpha × (1 − src alpha), ×255²
    let oa = sa * 255 + db; // out alpha ×255²
    for k in 0..3 {
        let c = (u32::from(src[k]) * sa * 255 + u32::from(dst[k]) * db + oa / 2) / oa;
        dst[k] = c.min(255) as u8;
    }
    dst[3] = ((oa + 127) / 255).min(255) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ink_rows(b: &Block, look: &Look) -> (u32, u32) {
        // Rows holding ink-coloured texels (bright, opaque): the text's vertical extent.
        let bright = |i: usize| b.rgba[i] > 200 && b.rgba[i + 1] > 200 && b.rgba[i + 3] > 200;
        let mut rows = (0..b.height)
            .filter(|y| (0..b.width).any(|x| bright(((y * b.width + x) * 4) as usize)));
        let first = rows.next().unwrap_or(0);
        let last = rows.next_back().unwrap_or(first);
        let _ = look;
        (first, last)
    }

    #[test]
    fn a_line_is_typeset_at_the_looks_size_on_its_plate() {
        let mut t = Typesetter::new();
        let b = t.set("MARA: Cold hands. Good.", &Look::SUBTITLE);
        assert_eq!(b.width, Look::SUBTITLE.width_px);
        assert_eq!((b.lines, b.clipped, b.missing), (1, false, 0));
        assert_eq!(b.font_px, Look::SUBTITLE.font_px);
        assert_eq!(b.rgba.len(), (b.width * b.height * 4) as usize);
        // The plate's colour in a corner-free spot, the speaker's accent somewhere.
        let mid = ((2 * b.width + b.width / 2) * 4) as usize;
        assert_eq!(&b.rgba[mid..mid + 4], &Look::SUBTITLE.plate);
        let accent = b
            .rgba
            .chunks(4)
            .any(|p| p[0] > 240 && (180..230).contains(&p[1]) && p[2] < 150);
        assert!(accent, "the speaker's name is in the accent colour");
        let (w, h) = b.size_m();
        assert!(
            (w - 1.05).abs() < 1e-3 && h > 0.04 && h < 0.15,
            "{w} × {h} m"
        );
    }

    #[test]
    fn a_200_character_line_wraps_inside_its_panel() {
        let mut t = Typesetter::new();
        let line: String = "Row out past the Teeth in the dark, with the lamp lit and the glass \
                    falling, because the skipper of the Kittiwake cannot see the light and will \
                    steer for the rocks unless someone goes down to the slip and shows him the way."
            .chars()
            .take(200)
            .collect();
        assert_eq!(line.chars().count(), 200);
        let look = Look::PANEL;
        let b = t.set(&line, &look);
        assert_eq!(
            (b.width, b.height),
            (look.width_px, look.height_px.unwrap())
        );
        assert!(
            !b.clipped,
            "200 characters fit by shrinking, at {} px",
            b.font_px
        );
        assert!(b.font_px < look.font_px && b.font_px >= look.min_font_px);
        assert!(b.lines >= 4, "{} lines", b.lines);
        // Every inked texel is inside the padding, on all four sides.
        let pad = look.padding_px;
        for y in 0..b.height {
            for x in 0..b.width {
                let i = ((y * b.width + x) * 4) as usize;
                // Ink is light; the veil behind it is dark.
                if b.rgba[i] > 60 {
                    assert!(
                        x >= pad / 2
                            && x < b.width - pad / 2
                            && y >= pad / 2
                            && y < b.height - pad / 2,
                        "ink at ({x}, {y}) outside the panel's margin"
                    );
                }
            }
        }
        let (top, bottom) = ink_rows(&b, &look);
        assert!(
            bottom - top > b.height / 3,
            "the text fills the panel: rows {top}..{bottom}"
        );
    }

    #[test]
    fn text_too_long_for_the_smallest_size_ends_in_an_ellipsis() {
        let mut t = Typesetter::new();
        let long = "word ".repeat(400);
        let b = t.set(&long, &Look::PANEL);
        assert!(b.clipped);
        assert_eq!(b.font_px, Look::PANEL.min_font_px);
        assert_eq!(b.height, Look::PANEL.height_px.unwrap());
        let sub = t.set(&long, &Look::SUBTITLE);
        assert!(sub.clipped && sub.lines <= Look::SUBTITLE.max_lines);
    }

    #[test]
    fn characters_the_font_lacks_are_counted_and_drawn_as_a_box() {
        let mut t = Typesetter::new();
        let plain = t.set("Naïve café, déjà vu — “quoted”…", &Look::PANEL);
        assert_eq!(plain.missing, 0, "accents and punctuation are in the font");
        let emoji = t.set("Storm 🌊⚓ tonight", &Look::PANEL);
        assert_eq!(emoji.missing, 2);
        let inked = |b: &Block| b.rgba.chunks(4).filter(|p| p[0] > 128).count();
        let bare = t.set("Storm  tonight", &Look::PANEL);
        assert!(
            inked(&emoji) > inked(&bare),
            "the missing glyphs are drawn, as boxes"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_text_typesets_without_panicking(text in "\\PC{0,300}", look in 0usize..3) {
            let look = [Look::SUBTITLE, Look::PANEL, Look::NOTICE][look];
            let mut t = Typesetter::new();
            let b = t.set(&text, &look);
            prop_assert_eq!(b.rgba.len(), (b.width * b.height * 4) as usize);
            prop_assert!(b.lines <= look.max_lines);
        }
    }
}
