//! The bytes that cross between the page and its labs (in workers, or in the WebGPU
//! module): a task in, its answer out, the sample pictures once. Two wasm instances
//! share no memory, so everything crosses as bytes; floats go as little-endian bits,
//! so a frame arrives exactly as it was computed.

use flamingo::{Interleaved, MaskRule};

use crate::request::{Frame, Part, Pictures, Readouts, Request};

/// What a lab is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// The whole forward; answered with a [`Frame`].
    Run(Request),
    /// The resampler over `images` images from `first`; answered with a [`Part`].
    Part {
        request: Request,
        first: usize,
        images: usize,
    },
    /// The frame from every image's part; answered with a [`Frame`].
    Join { request: Request, parts: Vec<Part> },
}

/// Why there is no WebGPU where the browser has the API but gives no adapter: the page
/// finds that out before fetching the WebGPU module, the module when it starts.
pub const NO_ADAPTER: &str = "WebGPU unavailable in this browser: no GPU adapter";

/// Why bytes could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed message between the page and a lab: {0}")]
pub struct WireError(&'static str);

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn usize(&mut self, v: usize) -> &mut Self {
        self.0.extend_from_slice(&(v as u64).to_le_bytes());
        self
    }
    fn f32(&mut self, v: f32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.usize(v.len());
        self.0.extend_from_slice(v);
        self
    }
    fn floats(&mut self, v: &[f32]) -> &mut Self {
        self.usize(v.len());
        self.0.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        self
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WireError> {
        if self.0.len() < n {
            return Err(WireError("message ends early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn usize(&mut self) -> Result<usize, WireError> {
        let b = self.take(8)?.try_into().expect("8 bytes");
        usize::try_from(u64::from_le_bytes(b)).map_err(|_| WireError("length out of range"))
    }
    fn f32(&mut self) -> Result<f32, WireError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, WireError> {
        let n = self.usize()?;
        Ok(self.take(n)?.to_vec())
    }
    fn floats(&mut self) -> Result<Vec<f32>, WireError> {
        let n = self.usize()?;
        let raw = self.take(n.checked_mul(4).ok_or(WireError("length out of range"))?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    fn done(&self) -> Result<(), WireError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(WireError("bytes left over"))
        }
    }
}

impl Request {
    /// The request as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.usize(self.k)
            .usize(self.depth)
            .usize(self.patch)
            .usize(self.size)
            .usize(self.width)
            .f32(self.alpha)
            .f32(self.ff)
            .bytes(self.prompt.to_string().as_bytes())
            .usize(usize::from(self.mode == MaskRule::MostRecent))
            .usize(self.layer)
            .usize(self.head.map_or(0, |h| h + 1));
        w.0
    }

    /// A request from [`Request::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let request = Self {
            k: r.usize()?,
            depth: r.usize()?,
            patch: r.usize()?,
            size: r.usize()?,
            width: r.usize()?,
            alpha: r.f32()?,
            ff: r.f32()?,
            prompt: Interleaved::parse(
                &String::from_utf8(r.bytes()?).map_err(|_| WireError("prompt is not UTF-8"))?,
            ),
            mode: MaskRule::from_only_attend_immediate_media(r.usize()? == 1),
            layer: r.usize()?,
            head: r.usize()?.checked_sub(1),
        };
        r.done()?;
        Ok(request)
    }
}

impl Task {
    /// The task as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Task::Run(r) => w.usize(0).bytes(&r.to_bytes()),
            Task::Part {
                request,
                first,
                images,
            } => w
                .usize(1)
                .bytes(&request.to_bytes())
                .usize(*first)
                .usize(*images),
            Task::Join { request, parts } => {
                w.usize(2).bytes(&request.to_bytes()).usize(parts.len());
                for p in parts {
                    w.bytes(&p.to_bytes());
                }
                &mut w
            }
        };
        w.0
    }

    /// A task from [`Task::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let kind = r.usize()?;
        let request = Request::from_bytes(&r.bytes()?)?;
        let task = match kind {
            0 => Task::Run(request),
            1 => Task::Part {
                request,
                first: r.usize()?,
                images: r.usize()?,
            },
            2 => {
                let count = r.usize()?;
                // Each part takes at least its length's 8 bytes: no allocation beyond the message.
                if count > r.0.len() / 8 {
                    return Err(WireError("length out of range"));
                }
                let parts = (0..count)
                    .map(|_| Part::from_bytes(&r.bytes()?))
                    .collect::<Result<_, _>>()?;
                Task::Join { request, parts }
            }
            _ => return Err(WireError("unknown task")),
        };
        r.done()?;
        Ok(task)
    }
}

impl Part {
    /// The part as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.usize(self.first)
            .usize(self.images)
            .floats(&self.latents)
            .floats(&self.attention);
        w.0
    }

    /// A part from [`Part::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let part = Self {
            first: r.usize()?,
            images: r.usize()?,
            latents: r.floats()?,
            attention: r.floats()?,
        };
        r.done()?;
        Ok(part)
    }
}

impl Frame {
    /// The frame as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        let o = &self.readouts;
        w.usize(self.patches)
            .usize(self.grid)
            .usize(self.k)
            .floats(&self.resampler_attention)
            .usize(self.tokens)
            .usize(self.images)
            .floats(&self.cross_attention)
            .f32(o.max_diff)
            .f32(o.visual_share)
            .usize(o.identical)
            .usize(o.values);
        w.0
    }

    /// FNV-1a over the frame's bytes: two frames with one bit apart differ here, so the
    /// browser tests compare frames computed by one worker and by several through it.
    pub fn fingerprint(&self) -> u64 {
        self.to_bytes().iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// A frame from [`Frame::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let frame = Self {
            patches: r.usize()?,
            grid: r.usize()?,
            k: r.usize()?,
            resampler_attention: r.floats()?,
            tokens: r.usize()?,
            images: r.usize()?,
            cross_attention: r.floats()?,
            readouts: Readouts {
                max_diff: r.f32()?,
                visual_share: r.f32()?,
                identical: r.usize()?,
                values: r.usize()?,
            },
        };
        r.done()?;
        let weights = (
            frame.k * frame.patches,
            frame.tokens * frame.images * frame.k,
        );
        if (frame.resampler_attention.len(), frame.cross_attention.len()) != weights {
            return Err(WireError("a frame's sizes do not match its weights"));
        }
        Ok(frame)
    }
}

impl Pictures {
    /// Every side length's pictures as bytes.
    pub fn to_bytes(all: &[Pictures]) -> Vec<u8> {
        let mut w = Writer::default();
        w.usize(all.len());
        for p in all {
            w.usize(p.size).usize(p.rgba.len());
            for rgba in &p.rgba {
                w.bytes(rgba);
            }
        }
        w.0
    }

    /// Pictures from [`Pictures::to_bytes`], each checked to hold `size²` RGBA pixels.
    pub fn from_bytes(bytes: &[u8]) -> Result<Vec<Pictures>, WireError> {
        let mut r = Reader(bytes);
        let sets = r.usize()?;
        let mut all = Vec::new();
        for _ in 0..sets {
            let size = r.usize()?;
            let count = r.usize()?;
            let rgba = (0..count)
                .map(|_| r.bytes())
                .collect::<Result<Vec<_>, _>>()?;
            if rgba.is_empty()
                || rgba
                    .iter()
                    .any(|p| Some(p.len()) != size.checked_pow(2).and_then(|n| n.checked_mul(4)))
            {
                return Err(WireError("a picture's size does not match its pixels"));
            }
            all.push(Pictures { size, rgba });
        }
        r.done()?;
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            k: 64,
            depth: 6,
            patch: 14,
            size: 224,
            width: 256,
            alpha: -0.0,
            ff: f32::MIN_POSITIVE,
            prompt: Interleaved::parse("<image> a cat <video:3> a dog <image>"),
            mode: MaskRule::AllPreceding,
            layer: usize::MAX,
            head: Some(0),
        }
    }

    #[test]
    fn a_request_arrives_unchanged() {
        let r = request();
        let back = Request::from_bytes(&r.to_bytes()).unwrap();
        assert_eq!(back, r);
        assert!(back.alpha.is_sign_negative(), "-0.0 keeps its sign");
        let mean = Request {
            head: None,
            mode: MaskRule::MostRecent,
            ..r
        };
        assert_eq!(Request::from_bytes(&mean.to_bytes()).unwrap(), mean);
    }

    #[test]
    fn a_frame_arrives_bit_for_bit() {
        let frame = Frame {
            patches: 4,
            grid: 2,
            k: 2,
            resampler_attention: vec![0.1, f32::NAN, 1e-30, -2.5, 0.0, 1.0, 3.0, 0.25],
            tokens: 3,
            images: 1,
            cross_attention: vec![0.5; 6],
            readouts: Readouts {
                max_diff: 0.0,
                visual_share: 1e-7,
                identical: 5,
                values: 6,
            },
        };
        let back = Frame::from_bytes(&frame.to_bytes()).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&back.resampler_attention),
            bits(&frame.resampler_attention)
        );
        assert_eq!(back.cross_attention, frame.cross_attention);
        assert_eq!(
            (back.patches, back.grid, back.k, back.tokens, back.images),
            (4, 2, 2, 3, 1)
        );
        assert_eq!(back.readouts, frame.readouts);
        assert_eq!(back.fingerprint(), frame.fingerprint());
        let mut flipped = frame.clone();
        flipped.cross_attention[5] = f32::from_bits(0.5f32.to_bits() ^ 1);
        assert_ne!(flipped.fingerprint(), frame.fingerprint(), "one bit apart");
    }

    #[test]
    fn tasks_arrive_unchanged_and_garbage_is_refused() {
        let part = Part {
            first: 1,
            images: 2,
            latents: vec![1.5, -0.0, f32::MAX],
            attention: Vec::new(),
        };
        for task in [
            Task::Run(request()),
            Task::Part {
                request: request(),
                first: 2,
                images: 1,
            },
            Task::Join {
                request: request(),
                parts: vec![part.clone(), part],
            },
        ] {
            let bytes = task.to_bytes();
            assert_eq!(Task::from_bytes(&bytes).unwrap(), task);
            for cut in [0, 1, 8, bytes.len() - 1] {
                assert!(Task::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
            }
        }
        let mut unknown = Task::Run(request()).to_bytes();
        unknown[0] = 9;
        let e = Task::from_bytes(&unknown).unwrap_err();
        assert!(e.to_string().contains("unknown task"), "{e}");
    }

    #[test]
    fn pictures_arrive_and_bad_sizes_are_refused() {
        let all = vec![
            Pictures {
                size: 2,
                rgba: vec![vec![7; 16], vec![9; 16]],
            },
            Pictures {
                size: 1,
                rgba: vec![vec![1, 2, 3, 4]],
            },
        ];
        let back = Pictures::from_bytes(&Pictures::to_bytes(&all)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].size, &back[0].rgba), (2, &all[0].rgba));
        assert_eq!((back[1].size, &back[1].rgba), (1, &all[1].rgba));
        let wrong = vec![Pictures {
            size: 3,
            rgba: vec![vec![0; 16]],
        }];
        assert!(Pictures::from_bytes(&Pictures::to_bytes(&wrong)).is_err());
    }

    #[test]
    fn truncated_or_padded_bytes_are_refused_with_a_message() {
        let bytes = request().to_bytes();
        let short = Request::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(short.to_string().contains("ends early"), "{short}");
        let mut long = bytes.clone();
        long.push(0);
        assert!(
            Request::from_bytes(&long)
                .unwrap_err()
                .to_string()
                .contains("left over")
        );
        // The prompt's length, after five sizes and two gates.
        let mut huge = bytes;
        huge[48..56].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Request::from_bytes(&huge).is_err());
        assert!(Frame::from_bytes(&[]).is_err());
    }

    #[test]
    fn a_frame_whose_sizes_disagree_with_its_weights_is_refused() {
        let frame = Frame {
            patches: 4,
            grid: 2,
            k: 2,
            resampler_attention: vec![0.0; 7],
            tokens: 1,
            images: 0,
            cross_attention: Vec::new(),
            readouts: Readouts {
                max_diff: 0.0,
                visual_share: 0.0,
                identical: 0,
                values: 0,
            },
        };
        let e = Frame::from_bytes(&frame.to_bytes()).unwrap_err();
        assert!(e.to_string().contains("do not match"), "{e}");
        let fixed = Frame {
            resampler_attention: vec![0.0; 8],
            ..frame
        };
        assert_eq!(Frame::from_bytes(&fixed.to_bytes()).unwrap(), fixed);
    }
}
