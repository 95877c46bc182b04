//! Image pipeline, transform (Rust, the `image` crate from Debian): decodes the image (PNG, JPEG or
//! PNM), converts it to grayscale, resizes it to half size (triangle filter), and sends the raw
//! pixels, behind an 8-byte width/height header (u32 little-endian each), to "encoder", as the C
//! transform does. Replies with the encoder's reply.

use image::imageops::FilterType;

fn handle(payload: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    let decoded = image::load_from_memory(payload).map_err(|e| {
        eprintln!("decode: {e}");
        roadrunner::Status::Invalid
    })?;
    let (w, h) = (decoded.width(), decoded.height());
    let (ow, oh) = ((w / 2).max(1), (h / 2).max(1));
    let gray = image::imageops::resize(&decoded.to_luma8(), ow, oh, FilterType::Triangle);
    let mut out = Vec::with_capacity(8 + gray.as_raw().len());
    out.extend_from_slice(&ow.to_le_bytes());
    out.extend_from_slice(&oh.to_le_bytes());
    out.extend_from_slice(gray.as_raw());
    eprintln!("decoded {w}x{h}, sending {ow}x{oh} grayscale");
    let mut reply = [0u8; 128];
    let n = roadrunner::request("encoder", &out, &mut reply)
        .inspect_err(|s| eprintln!("send to encoder: {s}"))?;
    roadrunner::reply(&reply[..n])
}

roadrunner::receiver!(handle);
