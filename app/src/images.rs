//! PNG files: reading them into pixels, with errors that name the file, and writing every picture
//! the app exports marked with where it came from (XMP with IPTC's `DigitalSourceType`, in a PNG
//! `iTXt` chunk `XML:com.adobe.xmp`, where platforms and exiftool read it), atomically.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::Path;

/// An 8-bit RGB PNG's width, height and pixels (RGB interleaved, top row first). RGBA, grey and
/// grey-with-alpha images are converted; 16-bit ones are reduced to 8 bits.
pub fn read_rgb_png(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let file = fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let (info, buf) = decode_png(
        file,
        path,
        png::Transformations::EXPAND | png::Transformations::STRIP_16,
    )?;
    let px = (info.width * info.height) as usize;
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf[..px * 3].to_vec(),
        png::ColorType::Rgba => buf[..px * 4]
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        png::ColorType::Grayscale => buf[..px].iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => buf[..px * 2]
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        other => bail!(
            "{}: {other:?} images are not supported; save it as RGB",
            path.display()
        ),
    };
    Ok((info.width, info.height, rgb))
}

/// Decodes the PNG in `file` (read from `path`, named in errors) with `transformations`: its
/// frame's info and pixels.
pub fn decode_png(
    file: fs::File,
    path: &Path,
    transformations: png::Transformations,
) -> Result<(png::OutputInfo, Vec<u8>)> {
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(transformations);
    let mut reader = dec
        .read_info()
        .with_context(|| format!("{}: not a PNG image", path.display()))?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("{}: damaged PNG image", path.display()))?;
    Ok((info, buf))
}

pub use showrunner_provenance::Provenance;

/// Writes an 8- or 16-bit PNG of `color` pixels (`data`, top row first) to `path` atomically,
/// marked with `provenance`.
pub fn write_png(
    path: &Path,
    size: (u32, u32),
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    provenance: Provenance,
) -> Result<()> {
    let bytes = encode_png(path, size, color, depth, data, provenance)?;
    crate::persist::write_atomic(path, &bytes)
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// The PNG file [`write_png`] writes to `path` (named in errors), as bytes.
pub fn encode_png(
    path: &Path,
    (w, h): (u32, u32),
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    provenance: Provenance,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        enc.add_itxt_chunk("XML:com.adobe.xmp".into(), provenance.xmp())
            .with_context(|| format!("{}: cannot mark its provenance", path.display()))?;
        enc.write_header()
            .and_then(|mut w| w.write_image_data(data))
            .with_context(|| format!("{}: cannot encode", path.display()))?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_pictures_say_where_they_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("still.png");
        write_png(
            &p,
            (2, 1),
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            &[255, 0, 0, 0, 0, 255],
            Provenance::REFINED,
        )
        .unwrap();
        let (w, h, px) = read_rgb_png(&p).unwrap();
        assert_eq!((w, h, px), (2, 1, vec![255, 0, 0, 0, 0, 255]));
        let dec = png::Decoder::new(std::io::BufReader::new(fs::File::open(&p).unwrap()));
        let reader = dec.read_info().unwrap();
        let xmp = reader
            .info()
            .utf8_text
            .iter()
            .find(|t| t.keyword == "XML:com.adobe.xmp")
            .and_then(|t| t.get_text().ok())
            .expect("an XMP packet");
        assert!(
            xmp.contains("compositeWithTrainedAlgorithmicMedia"),
            "{xmp}"
        );
        assert!(xmp.contains("showrunner "), "{xmp}");
    }
}
