//! Reading PNG files into pixels, with errors that name the file.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::Path;

/// An 8-bit RGB PNG's width, height and pixels (RGB interleaved, top row first). RGBA, grey and
/// grey-with-alpha images are converted; 16-bit ones are reduced to 8 bits.
pub fn read_rgb_png(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let file = fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec
        .read_info()
        .with_context(|| format!("{}: not a PNG image", path.display()))?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buf)
        .with_context(|| format!("{}: damaged PNG image", path.display()))?;
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
