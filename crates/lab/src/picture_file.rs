//! Vetting a picture file before the browser decodes it. Given a huge picture or a renamed
//! text file, a browser stalls the tab or fails without a reason a student can act on, so the
//! page reads the few header bytes itself and says in one sentence what is wrong.

/// Formats the page accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
    Bmp,
}

impl Format {
    /// The name a student knows the format by, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Gif => "GIF",
            Format::Webp => "WebP",
            Format::Bmp => "BMP",
        }
    }

    /// The type to label the bytes with, so the browser decodes them without sniffing again.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Bmp => "image/bmp",
        }
    }
}

/// The largest side and pixel count the page decodes: beyond them the decoded picture alone
/// takes hundreds of megabytes, more than a school laptop's tab can hold.
pub const MAX_SIDE: u32 = 8192;
pub const MAX_PIXELS: u64 = 40_000_000;
/// Largest file accepted, in bytes: refused before any parsing, so a huge file never reaches
/// the decoder.
pub const MAX_BYTES: usize = 30 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

const ACCEPTED: &str = "PNG, JPEG, GIF, WebP or BMP";

/// Why a header could not be read: running out of bytes is told apart from nonsense in them,
/// since a cut-short download is fixed differently from a damaged or misnamed file.
enum Fault {
    Short,
    Damaged,
}

/// Reads the format and size from the first bytes, refusing what the page will not decode,
/// each with a one-sentence message for a student.
pub fn inspect(bytes: &[u8]) -> Result<Header, String> {
    if bytes.is_empty() {
        return Err("This file is empty.".into());
    }
    if let Some(refusal) = too_large(bytes.len() as u64) {
        return Err(refusal);
    }
    let Some(format) = sniff(bytes) else {
        return Err(unknown(bytes));
    };
    let (width, height) = size(format, bytes).map_err(|fault| {
        let name = format.name();
        match fault {
            Fault::Short => format!("This {name} file is cut short: its header is incomplete."),
            Fault::Damaged => format!(
                "This file starts like a {name} but its header is damaged, so the page cannot read it."
            ),
        }
    })?;
    if width == 0 || height == 0 {
        return Err(format!("This picture has no pixels ({width} × {height})."));
    }
    let limit = if width > MAX_SIDE || height > MAX_SIDE {
        format!("{MAX_SIDE} pixels a side")
    } else if u64::from(width) * u64::from(height) > MAX_PIXELS {
        format!("{} million pixels in all", MAX_PIXELS / 1_000_000)
    } else {
        return Ok(Header {
            format,
            width,
            height,
        });
    };
    Err(format!(
        "This picture is {width} × {height} pixels; the page takes at most {limit}."
    ))
}

/// Whether `bytes` start with `sig`, or are a cut-short copy of it at least four bytes long
/// (so a truncated download is still named by its format).
fn signed(bytes: &[u8], sig: &[u8]) -> bool {
    let n = bytes.len().min(sig.len());
    n >= sig.len().min(4) && bytes.get(..n) == sig.get(..n)
}

/// Whether a PNG or JPEG file whose header `inspect` passed also has its end: a
/// download cut short keeps a valid header, and browsers differ on whether they show
/// the part that came or refuse it, so the page says so itself. Other formats are
/// left to the browser's decoder.
pub fn check_end(header: &Header, bytes: &[u8]) -> Result<(), String> {
    let find = |needle: &[u8]| bytes.windows(needle.len()).rposition(|w| w == needle);
    let complete = match header.format {
        Format::Png => find(b"IEND").is_some(),
        // The end-of-image marker after the last start of scan (an EXIF thumbnail has
        // its own pair earlier; bytes a phone appends after the end do not matter).
        Format::Jpeg => match find(&[0xff, 0xda]) {
            Some(scan) => bytes[scan..].windows(2).any(|w| w == [0xff, 0xd9]),
            None => false,
        },
        _ => true,
    };
    if complete {
        Ok(())
    } else {
        Err(format!(
            "This {} file is cut short: its header is there but the picture's data ends early, as after an interrupted download.",
            header.format.name()
        ))
    }
}

/// The refusal for a file of `len` bytes over the limit, said before it is read.
pub fn too_large(len: u64) -> Option<String> {
    (len > MAX_BYTES as u64).then(|| {
        // Rounded up, so a file just over the limit does not read as exactly at it.
        let tenths = (len * 10).div_ceil(1024 * 1024);
        let (whole, tenth) = (tenths / 10, tenths % 10);
        let most = MAX_BYTES / (1024 * 1024);
        format!("This file is {whole}.{tenth} MB; the page takes at most {most} MB.")
    })
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    let webp = signed(bytes, b"RIFF") && bytes.get(8..12).is_none_or(|tag| tag == b"WEBP");
    if signed(bytes, b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if signed(bytes, b"\xff\xd8") {
        Some(Format::Jpeg)
    } else if signed(bytes, b"GIF87a") || signed(bytes, b"GIF89a") {
        Some(Format::Gif)
    } else if webp {
        Some(Format::Webp)
    } else if signed(bytes, b"BM") {
        Some(Format::Bmp)
    } else {
        None
    }
}

/// The message for bytes of no accepted format: markup and text are named, since a renamed
/// SVG or text file is the usual way a student ends up here.
fn unknown(bytes: &[u8]) -> String {
    // Only a bounded start is looked at, so a large file costs no more than a small one.
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    if start.and_then(|i| head.get(i)) == Some(&b'<') {
        let svg = head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"));
        return if svg {
            format!(
                "This SVG is a drawing made of code; the page takes pixel pictures ({ACCEPTED})."
            )
        } else {
            format!("This file is markup (HTML or XML), not a picture; the page takes {ACCEPTED}.")
        };
    }
    // A multi-byte character cut by the bound above still counts as text.
    let valid = match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => head
            .get(..e.valid_up_to())
            .and_then(|h| std::str::from_utf8(h).ok()),
        Err(_) => None,
    };
    let text = valid.is_some_and(|t| {
        t.chars()
            .all(|c| !c.is_control() || "\t\n\r\x0c".contains(c))
    });
    if text {
        format!("This file is not a picture the page can read ({ACCEPTED}); it starts like text.")
    } else {
        format!("This file is not a picture the page can read ({ACCEPTED}).")
    }
}

fn take<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], Fault> {
    let chunk = bytes.get(at..).and_then(|rest| rest.first_chunk::<N>());
    chunk.copied().ok_or(Fault::Short)
}

fn be16(bytes: &[u8], at: usize) -> Result<u32, Fault> {
    Ok(u16::from_be_bytes(take(bytes, at)?).into())
}

fn le16(bytes: &[u8], at: usize) -> Result<u32, Fault> {
    Ok(u16::from_le_bytes(take(bytes, at)?).into())
}

fn le24(bytes: &[u8], at: usize) -> Result<u32, Fault> {
    let [a, b, c] = take(bytes, at)?;
    Ok(u32::from_le_bytes([a, b, c, 0]))
}

fn le32(bytes: &[u8], at: usize) -> Result<u32, Fault> {
    Ok(u32::from_le_bytes(take(bytes, at)?))
}

/// Width and height as the header states them; checking them is left to `inspect`.
fn size(format: Format, b: &[u8]) -> Result<(u32, u32), Fault> {
    match format {
        Format::Png => {
            if take::<8>(b, 8)? != *b"\0\0\0\x0dIHDR" {
                return Err(Fault::Damaged);
            }
            Ok((
                u32::from_be_bytes(take(b, 16)?),
                u32::from_be_bytes(take(b, 20)?),
            ))
        }
        Format::Jpeg => jpeg_size(b),
        Format::Gif => Ok((le16(b, 6)?, le16(b, 8)?)),
        Format::Webp => match &take::<4>(b, 12)? {
            b"VP8 " if take::<3>(b, 23)? != [0x9d, 0x01, 0x2a] => Err(Fault::Damaged),
            b"VP8 " => Ok((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)),
            b"VP8L" if take::<1>(b, 20)? != [0x2f] => Err(Fault::Damaged),
            b"VP8L" => {
                let bits = le32(b, 21)?;
                Ok(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => Ok((le24(b, 24)? + 1, le24(b, 27)? + 1)),
            _ => Err(Fault::Damaged),
        },
        Format::Bmp => match le32(b, 14)? {
            12 => Ok((le16(b, 18)?, le16(b, 20)?)),
            // Smaller than any later DIB header: the bytes are not a bitmap's.
            0..16 => Err(Fault::Damaged),
            _ => {
                let width = i32::from_le_bytes(take(b, 18)?);
                let height = i32::from_le_bytes(take(b, 22)?);
                // A negative height only says the rows run top-down; a negative width is nonsense.
                let width = u32::try_from(width).map_err(|_| Fault::Damaged)?;
                Ok((width, height.unsigned_abs()))
            }
        },
    }
}

/// Walks the marker segments to the first frame header, which may follow EXIF, colour
/// profiles and tables of any length.
fn jpeg_size(b: &[u8]) -> Result<(u32, u32), Fault> {
    let mut at = 2;
    loop {
        if take::<1>(b, at)? != [0xff] {
            return Err(Fault::Damaged);
        }
        while take::<1>(b, at)? == [0xff] {
            at += 1;
        }
        let [marker] = take::<1>(b, at)?;
        at += 1;
        match marker {
            0x01 | 0xd0..=0xd7 => continue,
            // No stuffed byte, second start, end or scan can come before the frame header.
            0x00 | 0xd8..=0xda => return Err(Fault::Damaged),
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                return Ok((be16(b, at + 5)?, be16(b, at + 3)?));
            }
            _ => {}
        }
        let len = be16(b, at)?;
        if len < 2 {
            return Err(Fault::Damaged);
        }
        at += len as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let ihdr = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
        let rest = [8, 6, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
        [
            &ihdr[..],
            &width.to_be_bytes(),
            &height.to_be_bytes(),
            &rest,
        ]
        .concat()
    }

    /// A baseline or progressive frame header, after whatever segments come first.
    fn jpeg(before: &[u8], marker: u8, width: u16, height: u16) -> Vec<u8> {
        let components = [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
        let frame = [0xff, marker, 0, 17, 8];
        let sides = [height.to_be_bytes(), width.to_be_bytes()].concat();
        [&[0xff, 0xd8], before, &frame, &sides, &components].concat()
    }

    fn webp(chunk: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_le_bytes();
        [&b"RIFF\0\0\0\0WEBP"[..], chunk, &len, payload].concat()
    }

    fn valid() -> Vec<(Vec<u8>, Format, u32, u32)> {
        use Format::*;
        // An EXIF segment, then a fill byte before the frame header.
        let exif = b"\xff\xe1\0\x10Exif\0\0MM\0\x2a\0\0\0\x08\xff";
        let tables = [&b"\xff\xdb\0\x43\0"[..], &[1; 64]].concat();
        // Scale bits set in the top of each side, which the mask must drop.
        let vp8 = [0x50, 0x2a, 0, 0x9d, 0x01, 0x2a, 0x20, 0x83, 0x58, 0x42];
        let vp8l = [
            &[0x2f],
            &(799 | (599 << 14) | (1u32 << 28)).to_le_bytes()[..],
        ]
        .concat();
        let vp8x = [0x10, 0, 0, 0, 0x7f, 0x07, 0, 0x37, 0x04, 0];
        let bmp = b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0";
        let bmp = [
            &bmp[..],
            &300i32.to_le_bytes(),
            &(-200i32).to_le_bytes(),
            &[0; 28],
        ]
        .concat();
        let core = b"BM\0\0\0\0\0\0\0\0\x1a\0\0\0\x0c\0\0\0\x40\0\x30\0\x01\0\x18\0";
        vec![
            (png(1920, 1080), Png, 1920, 1080),
            (jpeg(exif, 0xc0, 640, 480), Jpeg, 640, 480),
            (jpeg(&tables, 0xc2, 1024, 768), Jpeg, 1024, 768),
            (b"GIF89a\x40\x01\xc8\x00\xf7\0\0".to_vec(), Gif, 320, 200),
            (webp(b"VP8 ", &vp8), Webp, 800, 600),
            (webp(b"VP8L", &vp8l), Webp, 800, 600),
            (webp(b"VP8X", &vp8x), Webp, 1920, 1080),
            (bmp, Bmp, 300, 200),
            (core.to_vec(), Bmp, 64, 48),
        ]
    }

    #[test]
    fn reads_each_format() {
        for (bytes, format, width, height) in valid() {
            let header = inspect(&bytes).map(|h| (h.format, h.width, h.height));
            assert_eq!(header, Ok((format, width, height)));
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        let refuses = |bytes: &[u8], message: &str| assert_eq!(inspect(bytes), Err(message.into()));
        refuses(b"", "This file is empty.");
        let unread = "This file is not a picture the page can read (PNG, JPEG, GIF, WebP or BMP)";
        refuses(b"hello world\n", &format!("{unread}; it starts like text."));
        refuses(
            &[0x13, 0x37, 0x00, 0xfe, 0x42, 0x99, 0x01],
            &format!("{unread}."),
        );
        let svg =
            b"\xef\xbb\xbf\n<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script>";
        let drawing = "This SVG is a drawing made of code; the page takes pixel pictures";
        refuses(svg, &format!("{drawing} (PNG, JPEG, GIF, WebP or BMP)."));
        let short = "file is cut short: its header is incomplete.";
        refuses(&png(1, 1)[..8], &format!("This PNG {short}"));
        refuses(
            &[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10],
            &format!("This JPEG {short}"),
        );
        let big = "This picture is 20000 × 20000 pixels; the page takes at most";
        refuses(&png(20000, 20000), &format!("{big} 8192 pixels a side."));
        assert!(inspect(&png(8000, 8000)).is_err_and(|e| e.ends_with("40 million pixels in all.")));
        refuses(&png(0, 10), "This picture has no pixels (0 × 10).");
        let huge = vec![0; MAX_BYTES + 1];
        refuses(&huge, "This file is 30.1 MB; the page takes at most 30 MB.");
    }

    #[test]
    fn a_file_cut_after_its_header_is_refused() {
        let header = |format| Header {
            format,
            width: 1,
            height: 1,
        };
        let png_whole = [
            &png(1, 1)[..],
            b"\0\0\0\x0aIDATxxxxxxxxxx\0\0\0\0\0\0\0\0IEND\xae\x42\x60\x82",
        ]
        .concat();
        assert_eq!(check_end(&header(Format::Png), &png_whole), Ok(()));
        let cut = check_end(&header(Format::Png), &png_whole[..40]);
        assert!(cut.is_err_and(|e| e.starts_with("This PNG file is cut short")));
        // A thumbnail's scan and end inside EXIF, then the main scan: only its end counts.
        let jpeg_whole = [
            &jpeg(b"\xff\xe1\0\x08\xff\xda\xff\xd9", 0xc0, 8, 8)[..],
            b"\xff\xda\0\x02\x12\xff\x00\x34\xff\xd9",
        ]
        .concat();
        assert_eq!(check_end(&header(Format::Jpeg), &jpeg_whole), Ok(()));
        let trailer = [&jpeg_whole[..], b"SEFT trailer a phone appends"].concat();
        assert_eq!(check_end(&header(Format::Jpeg), &trailer), Ok(()));
        let cut = &jpeg_whole[..jpeg_whole.len() - 2];
        assert!(
            check_end(&header(Format::Jpeg), cut)
                .is_err_and(|e| e.contains("JPEG file is cut short"))
        );
        assert_eq!(check_end(&header(Format::Gif), b"GIF89a"), Ok(()));
    }

    #[test]
    fn never_panics() {
        for (bytes, ..) in valid() {
            for end in 0..=bytes.len() {
                let _ = inspect(&bytes[..end]);
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let starts: [&[u8]; 7] = [
            b"",
            b"\x89PNG\r\n\x1a\n",
            b"\xff\xd8",
            b"GIF89a",
            b"RIFF",
            b"BM",
            b"<",
        ];
        for round in 0..20_000 {
            let mut bytes = starts[round % starts.len()].to_vec();
            if round % 14 == 4 {
                bytes.extend(b"\0\0\0\0WEBPVP8");
            }
            // Mostly marker and length bytes, so the walks go deep rather than fail at once.
            let pick = |r: u64| [0xff, 0x00, 0x01, 0xc0, (r >> 8) as u8][r as usize % 5];
            bytes.extend((0..next() % 64).map(|_| pick(next())));
            let _ = inspect(&bytes);
        }
    }
}
