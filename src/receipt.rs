//! The receipt's QR code: a PNG for Telegram, Unicode blocks for a terminal.

use image::{ImageFormat, Luma};
use qrcode::{QrCode, render::unicode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("cannot encode as QR: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("cannot write PNG: {0}")]
    Png(#[from] image::ImageError),
    #[error("the drawing task was cancelled")]
    Cancelled,
}

/// A PNG of the QR code of `data`, large enough to scan from a phone.
pub fn qr_png(data: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::new(data.as_bytes())?;
    let image = code
        .render::<Luma<u8>>()
        .min_dimensions(360, 360)
        .quiet_zone(true)
        .build();
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}

/// [`qr_png`] on a blocking thread: encoding and compressing take
/// milliseconds, which the async workers owe to other chats.
pub async fn qr_png_off_thread(data: &str) -> Result<Vec<u8>, QrError> {
    let data = data.to_owned();
    tokio::task::spawn_blocking(move || qr_png(&data))
        .await
        .map_err(|_| QrError::Cancelled)?
}

/// The QR code of `data` drawn with half blocks, for the terminal demo.
pub fn qr_terminal(data: &str) -> Result<String, QrError> {
    let code = QrCode::new(data.as_bytes())?;
    Ok(code
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// The text of the QR code in a PNG (or other image), if one can be read.
pub fn decode_qr(image_bytes: &[u8]) -> Option<String> {
    let img = image::load_from_memory(image_bytes).ok()?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, content)| content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_starts_with_the_png_signature() {
        let png = qr_png("BP022FOY481070").expect("encodes");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn terminal_rendering_has_rows() {
        let text = qr_terminal("BP022FOY481070").expect("encodes");
        assert!(text.lines().count() > 10);
    }
}
