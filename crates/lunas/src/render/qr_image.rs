//! `qrImage`: the QR payload drawn as a base64 PNG.

use base64::Engine;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module and modules of quiet zone around the code.
const SCALE: usize = 6;
const QUIET_ZONE: usize = 4;

pub fn png_base64(content: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut png_bytes = Vec::new();
    let side_u32 = u32::try_from(side)?;
    let mut encoder = png::Encoder::new(&mut png_bytes, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(png_bytes))
}
